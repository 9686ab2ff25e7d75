/**
 * Transferable credit (issue 15, docs/protocol.md "Transferable credit"): an account's allowance
 * moves between accounts. `TransferCredit` goes to the payer's Maid-Managers like any mutation, one
 * message id for every try, so a retry after a timeout never pays twice. `ListCredits` lists the
 * credits the account received.
 */
import {
  SafeMeshError, answerKey, bytesToHex, compareBytes, encodeMessage, encodeWith, isMisrouted, receivedCreditSchema,
  type ReceivedCredit, type RequestOf, type WireReply, type XorName
} from '@safemesh/protocol'
import type { Actor } from '../identity.js'
import { askNode, type NodeAnswer } from '../quorum/answer.js'
import { refreshView } from '../quorum/group-quorum.js'
import { withRetries } from '../quorum/retry.js'
import { mutateOnce, newMessageId } from './account-requests.js'
import type { ClientContext, RequestOptions } from './request-context.js'

export interface TransferCreditOptions extends RequestOptions {
  /** What the transfer pays for (a share envelope's name, for a paid read); the payee's Maid-Managers keep it with the credit. */
  memo?: XorName
  /** The transfer's message id: give the same one again to retry a transfer whose outcome was not seen (it never pays twice). */
  messageId?: Uint8Array
}

export interface TransferCreditResult {
  /** What the payee's Maid-Managers know the payment by (with the payer's account name). */
  messageId: Uint8Array
}

/** Moves `amount` credits from the actor's account (its owner only) to the account `to`. */
export async function transferCredit (ctx: ClientContext, actor: Actor, to: XorName, amount: number, options: TransferCreditOptions = {}): Promise<TransferCreditResult> {
  if (!Number.isSafeInteger(amount) || amount < 1) throw new SafeMeshError('InvalidRequest', 'a transfer moves a whole number of credits, at least one')
  const messageId = options.messageId ?? newMessageId()
  const request: RequestOf<'TransferCredit'> = { type: 'TransferCredit', ...actor, messageId, to, amount, ...(options.memo != null ? { memo: options.memo } : {}) }
  await withRetries(ctx.retry, options.signal, async () => await mutateOnce(ctx, request, options))
  return { messageId }
}

/**
 * The credits the actor's account received (the most recent 1000, oldest first), once Q of its
 * Maid-Managers list the very same credits. Each member lists them in the order it recorded them,
 * which concurrent credits may make differ, so lists count as the same when they hold the same
 * credits; the order returned is that of the first member of the quorum.
 */
export async function listCredits (ctx: ClientContext, actor: Actor, options: RequestOptions = {}): Promise<ReceivedCredit[]> {
  const request: RequestOf<'ListCredits'> = { type: 'ListCredits', ...actor }
  return await withRetries(ctx.retry, options.signal, async () => await askForCredits(ctx, request, options))
}

async function askForCredits (ctx: ClientContext, request: RequestOf<'ListCredits'>, options: RequestOptions): Promise<ReceivedCredit[]> {
  const { quorum } = ctx.transport.params
  const group = ctx.transport.closeGroup(request.account)
  if (group.length < quorum) {
    await refreshView(ctx.transport, options.signal)
    throw new SafeMeshError('Timeout', `only ${group.length} nodes known near the account, fewer than a quorum of ${quorum}`)
  }
  const abandon = new AbortController()
  const signal = options.signal == null ? abandon.signal : AbortSignal.any([options.signal, abandon.signal])
  const body = encodeMessage(request)
  const classes = new Map<string, { count: number, answer: NodeAnswer }>()
  let pending = group.length
  let answered = 0
  try {
    return await new Promise<ReceivedCredit[]>((resolve, reject) => {
      const record = (answer: NodeAnswer): void => {
        pending--
        const key = classOf(answer)
        if (key !== undefined) {
          answered++
          const entry = classes.get(key) ?? { count: 0, answer }
          entry.count++
          classes.set(key, entry)
          if (entry.count >= quorum) {
            if (answer.kind === 'reply' && answer.reply.type === 'ListCredits') resolve(answer.reply.credits)
            else if (answer.kind === 'refusal' && isMisrouted(answer.error)) {
              refreshView(ctx.transport, options.signal).then(() => { reject(new SafeMeshError('NoQuorum', 'the nodes asked are not the account\'s group; this client\'s view of the network is out of date')) }, reject)
            } else if (answer.kind === 'refusal') reject(new SafeMeshError(answer.error.code, undefined, answer.error.details))
            return
          }
        } else if (answer.kind === 'invalid') {
          answered++
        }
        const best = Math.max(0, ...[...classes.values()].map(c => c.count))
        if (best + pending < quorum) {
          reject(answered >= quorum
            ? new SafeMeshError('NoQuorum', `${answered} of ${group.length} Maid-Managers answered but no ${quorum} listed the same credits`)
            : new SafeMeshError('Timeout', `only ${answered} of ${group.length} Maid-Managers answered; a quorum is ${quorum}`))
        }
      }
      for (const node of group) {
        askNode(ctx.transport, node, body, (reply: WireReply) => reply.type === 'ListCredits', {
          signal,
          timeout: ctx.timeout,
          ...(options.signal != null ? { callerSignal: options.signal } : {})
        }).then(record, reject)
      }
    })
  } finally {
    abandon.abort()
  }
}

/** Replies by the set of credits they list, refusals as every quorum counts them; silence and nonsense count for nothing. */
function classOf (answer: NodeAnswer): string | undefined {
  switch (answer.kind) {
    case 'reply': {
      if (answer.reply.type !== 'ListCredits') return undefined
      const items = answer.reply.credits.map(c => encodeWith(receivedCreditSchema, c)).sort(compareBytes)
      return `credits:${items.map(bytesToHex).join(',')}`
    }
    case 'refusal': return answerKey({ error: answer.error })
    default: return undefined
  }
}
