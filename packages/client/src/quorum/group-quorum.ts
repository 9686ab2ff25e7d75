/**
 * SPEC §6: a group's answer is accepted when Q of its members give the same one, by the rule both
 * sides share (`answerKey`).
 */
import { SafeMeshError, answerKey, bytesToHex, encode, errorToWire, isMisrouted, type WireReply } from '@safemesh/protocol'
import type { NodeRef, Transport } from '../network/transport.js'
import { askNode, type NodeAnswer, type ReplyCheck } from './answer.js'

export type GroupOutcome =
  /** Q members gave this identical success reply. */
  | { readonly kind: 'agreed', readonly reply: WireReply }
  /** Q members gave this refusal (code and details; the message when Q gave the same one, else the code's own). */
  | { readonly kind: 'refused', readonly error: SafeMeshError }
  /** No quorum can be reached any more: `NoQuorum` when Q members answered but disagreed, else `Timeout`. */
  | { readonly kind: 'failed', readonly error: SafeMeshError, readonly stale?: boolean }

export interface GroupQuorumOptions {
  quorum: number
  expects: ReplyCheck
  /** Per-node wait (ms). */
  timeout?: number
  signal?: AbortSignal
  /**
   * Keep the requests to members that have not answered yet going once the outcome is known
   * (until they answer or time out) instead of abandoning them. Mutations need this: a slow
   * member must still receive it, or its replica of the account falls behind the others'.
   */
  deliverToAll?: boolean
}

interface Tally {
  count: number
  /** For refusals: votes per encoded error, so the error returned is the one most members sent. */
  readonly forms: Map<string, { count: number, answer: NodeAnswer }>
}

/**
 * Sends `body` to every node of `group` at once and settles as soon as the outcome is certain:
 * a class of identical answers reaches Q, or none can any more. Requests still in flight are then
 * abandoned (unless `deliverToAll`). Rejects only with the caller's abort reason.
 */
export async function askGroup (transport: Transport, group: readonly NodeRef[], body: Uint8Array, options: GroupQuorumOptions): Promise<GroupOutcome> {
  const { quorum } = options
  options.signal?.throwIfAborted()
  if (group.length < quorum) {
    await refreshView(transport, options.signal)
    return { kind: 'failed', stale: true, error: new SafeMeshError('Timeout', `only ${group.length} nodes known near the target, fewer than a quorum of ${quorum}`) }
  }
  const abandon = new AbortController()
  const signal = options.signal == null ? abandon.signal : AbortSignal.any([options.signal, abandon.signal])
  const tallies = new Map<string, Tally>()
  let pending = group.length
  let answered = 0
  let invalid = 0
  const { promise, resolve, reject } = Promise.withResolvers<GroupOutcome>()
  let settled = false
  const settle = (outcome: GroupOutcome | Error): void => {
    if (settled) return
    settled = true
    if (options.deliverToAll !== true) abandon.abort()
    if (outcome instanceof Error) reject(outcome)
    else resolve(outcome)
  }

  const record = (answer: NodeAnswer): void => {
    pending--
    const key = classOf(answer)
    if (key !== undefined) {
      answered++
      const tally = tallies.get(key.class) ?? { count: 0, forms: new Map() }
      tallies.set(key.class, tally)
      tally.count++
      const form = tally.forms.get(key.form) ?? { count: 0, answer }
      form.count++
      tally.forms.set(key.form, form)
      if (tally.count >= quorum) {
        const outcome = outcomeOf(tally, quorum)
        if (outcome.kind === 'failed' && outcome.stale === true) {
          // Certain now (no further answer can change it), reported once the view is refreshed.
          settled = true
          if (options.deliverToAll !== true) abandon.abort()
          refreshView(transport, options.signal).then(() => { resolve(outcome) }, reject)
          return
        }
        settle(outcome)
        return
      }
    } else if (answer.kind === 'invalid') {
      answered++
      invalid++
    }
    const best = Math.max(0, ...[...tallies.values()].map(t => t.count))
    if (best + pending < quorum) {
      settle({
        kind: 'failed',
        error: answered >= quorum
          ? new SafeMeshError('NoQuorum', `${answered} of ${group.length} nodes answered but no ${quorum} agreed (${describeAnswers(tallies, invalid)})`)
          : new SafeMeshError('Timeout', `only ${answered} of ${group.length} nodes answered; a quorum is ${quorum}`)
      })
    }
  }

  for (const node of group) {
    askNode(transport, node, body, options.expects, {
      signal,
      ...(options.timeout != null ? { timeout: options.timeout } : {}),
      ...(options.signal != null ? { callerSignal: options.signal } : {})
    }).then(answer => { if (!settled) record(answer) }, (err: unknown) => { settle(err instanceof Error ? err : new Error(String(err))) })
  }
  return await promise
}

/**
 * Waits for the transport to refresh its view of the network (see `Transport.refresh`); rejects
 * only with the caller's abort reason.
 */
export async function refreshView (transport: Transport, signal: AbortSignal | undefined): Promise<void> {
  if (transport.refresh == null) return
  signal?.throwIfAborted()
  const refreshed = transport.refresh()
  if (signal == null) return await refreshed
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    refreshed.finally(() => { signal.removeEventListener('abort', onAbort) }).then(resolve, resolve)
  })
}

/** What the group said, for the error: "3 × one reply, 2 × another reply, 2 × Timeout, 1 × unverifiable". */
function describeAnswers (tallies: ReadonlyMap<string, Tally>, invalid: number): string {
  const parts: string[] = []
  let replies = 0
  for (const [, tally] of [...tallies].sort((a, b) => b[1].count - a[1].count)) {
    const refusal = [...tally.forms.values()][0]?.answer
    parts.push(refusal?.kind === 'refusal' ? `${tally.count} × ${refusal.error.code}` : `${tally.count} × ${replies++ === 0 ? 'one reply' : 'another reply'}`)
  }
  if (invalid > 0) parts.push(`${invalid} × unverifiable`)
  return parts.join(', ')
}

function classOf (answer: NodeAnswer): { class: string, form: string } | undefined {
  switch (answer.kind) {
    case 'reply':
      return { class: answerKey(answer), form: '' }
    case 'refusal':
      return { class: answerKey(answer), form: bytesToHex(encode(errorToWire(answer.error))) }
    default:
      return undefined
  }
}

function outcomeOf (tally: Tally, quorum: number): GroupOutcome {
  let best: { count: number, answer: NodeAnswer } | undefined
  for (const form of tally.forms.values()) if (best === undefined || form.count > best.count) best = form
  const answer = best?.answer
  if (answer?.kind === 'reply') return { kind: 'agreed', reply: answer.reply }
  if (answer?.kind === 'refusal') {
    // A group that agrees it could not finish (its own quorum or timeout failed) is worth retrying.
    if (answer.error.code === 'NoQuorum') return { kind: 'failed', error: answer.error }
    // Nodes that say they are not the name's group: the client asked the wrong nodes, from a view
    // that lacks nearer ones. Nothing about the request; retry once the view is refreshed.
    if (isMisrouted(answer.error)) {
      return { kind: 'failed', stale: true, error: new SafeMeshError('NoQuorum', `the nodes asked are not the group of this name (${answer.error.message}); this client's view of the network is out of date`) }
    }
    // The words shown are a quorum's too: a minority that merely outnumbers each honest wording picks nothing the user reads.
    if ((best?.count ?? 0) >= quorum) return { kind: 'refused', error: answer.error }
    return { kind: 'refused', error: new SafeMeshError(answer.error.code, undefined, answer.error.details) }
  }
  throw new Error('unreachable: a tally holds replies or refusals')
}
