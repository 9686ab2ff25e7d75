/**
 * PutIData (SPEC §3, ARCHITECTURE "don't multiply bulk data"): the chunk's bytes go once to each
 * of its Data-Managers (`OfferChunk`), and only the small authority `PutIData {name, size}` goes
 * through the account's Maid-Managers, which charge one op when the Data-Managers report success.
 *
 * When Q Data-Managers answer that they already hold the chunk, it is on the network: no PutIData
 * is sent and nothing is charged. That makes an interrupted upload resumable without paying twice,
 * and a file that is already stored (deduplication) free to store again.
 */
import {
  SafeMeshError, encodeMessage, immutableDataName, type XorName
} from '@safemesh/protocol'
import type { Actor } from '../identity.js'
import { askNode, type NodeAnswer } from '../quorum/answer.js'
import { refreshView } from '../quorum/group-quorum.js'
import { withRetries } from '../quorum/retry.js'
import { mutateOnce, newMessageId } from './account-requests.js'
import type { ClientContext, RequestOptions } from './request-context.js'

export interface PutIDataResult {
  name: XorName
  /** True when the chunk was already stored (nothing charged). */
  alreadyStored: boolean
}

/**
 * Once Q Data-Managers have taken the offer, the others get this long again (at least
 * MIN_OFFER_GRACE ms) before the upload goes on without them: one dead node must not stall
 * every chunk for a whole timeout.
 */
const MIN_OFFER_GRACE = 500

export async function putImmutableData (ctx: ClientContext, actor: Actor, value: Uint8Array, options: RequestOptions = {}): Promise<PutIDataResult> {
  const { maxImmutableDataSize } = ctx.transport.params
  if (value.length > maxImmutableDataSize) {
    throw new SafeMeshError('DataTooLarge', `ImmutableData of ${value.length} bytes is over the limit of ${maxImmutableDataSize}`)
  }
  const name = immutableDataName(value)
  const offer = encodeMessage({ type: 'OfferChunk', value })
  // One message id for every try: a retry of a PutIData that succeeded unseen is not charged twice.
  const put = { type: 'PutIData' as const, account: actor.account, requester: actor.requester, messageId: newMessageId(), name, size: value.length }
  return await withRetries(ctx.retry, options.signal, async () => {
    if (await offerToDataManagers(ctx, name, offer, options.signal)) return { name, alreadyStored: true }
    await mutateOnce(ctx, put, options)
    return { name, alreadyStored: false }
  })
}

/**
 * Offers the bytes to every Data-Manager of `name`. Resolves true when Q of them already hold the
 * chunk, false when at least Q took the offer; throws the error Q of them agree on, else
 * `Timeout` / `NoQuorum`.
 */
async function offerToDataManagers (ctx: ClientContext, name: XorName, offer: Uint8Array, callerSignal: AbortSignal | undefined): Promise<boolean> {
  const { quorum } = ctx.transport.params
  const group = ctx.transport.closeGroup(name)
  if (group.length < quorum) {
    await refreshView(ctx.transport, callerSignal)
    throw new SafeMeshError('Timeout', `only ${group.length} nodes known near the chunk, fewer than a quorum of ${quorum}`)
  }
  const abandon = new AbortController()
  const signal = callerSignal == null ? abandon.signal : AbortSignal.any([callerSignal, abandon.signal])
  const started = performance.now()
  const answers: NodeAnswer[] = []
  let grace: ReturnType<typeof setTimeout> | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      let pending = group.length
      for (const node of group) {
        askNode(ctx.transport, node, offer, (reply) => reply.type === 'OfferChunk', {
          signal,
          timeout: ctx.timeout,
          ...(callerSignal != null ? { callerSignal } : {})
        }).then((answer) => {
          answers.push(answer)
          pending--
          const taken = answers.filter(a => a.kind === 'reply').length
          if (pending === 0 || countStored(answers) >= quorum) resolve()
          else if (taken >= quorum && grace === undefined) {
            grace = setTimeout(resolve, Math.max(MIN_OFFER_GRACE, 2 * (performance.now() - started)))
          }
        }, reject)
      }
    })
  } finally {
    clearTimeout(grace)
    abandon.abort()
  }
  if (countStored(answers) >= quorum) return true
  const taken = answers.filter(a => a.kind === 'reply').length
  if (taken >= quorum) return false
  const refusals = new Map<string, { count: number, error: SafeMeshError }>()
  for (const a of answers) {
    if (a.kind !== 'refusal') continue
    const entry = refusals.get(a.error.code) ?? { count: 0, error: a.error }
    entry.count++
    refusals.set(a.error.code, entry)
    if (entry.count >= quorum) throw entry.error
  }
  const answered = answers.filter(a => a.kind !== 'silent').length
  throw answered >= quorum
    ? new SafeMeshError('NoQuorum', `only ${taken} of ${group.length} Data-Managers took the chunk`)
    : new SafeMeshError('Timeout', `only ${answered} of ${group.length} Data-Managers answered the offer`)
}

function countStored (answers: readonly NodeAnswer[]): number {
  return answers.filter(a => a.kind === 'reply' && a.reply.type === 'OfferChunk' && a.reply.stored).length
}
