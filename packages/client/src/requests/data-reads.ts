/**
 * Reads from the Data-Managers of a data name (SPEC §3, §6). Nothing a minority of them says is
 * ever accepted:
 *
 * - ImmutableData verifies itself (its name is its hash), so one honest node is enough: the nearest
 *   is asked first, and each bad or missing answer widens the search to the next two. `NoSuchData`
 *   only when Q members say so.
 * - MutableData reads go to all G members and are accepted when Q replies are byte-identical.
 */
import {
  SafeMeshError, encodeMessage, immutableDataName, isSafeMeshError, xorNameEquals,
  type ReadRequest, type ShareEnvelope, type SuccessResponse, type WireReply, type XorName
} from '@safemesh/protocol'
import type { NodeRef } from '../network/transport.js'
import { askNode, type NodeAnswer } from '../quorum/answer.js'
import { askGroup } from '../quorum/group-quorum.js'
import { withRetries } from '../quorum/retry.js'
import type { ClientContext, RequestOptions } from './request-context.js'

export type MutableDataRead = Exclude<ReadRequest, { type: 'GetIData' }>
export type { ShareEnvelope }

/** A MutableData read accepted on Q byte-identical answers, with bounded retries. */
export async function readMutableData<R extends MutableDataRead> (ctx: ClientContext, request: R, options: RequestOptions = {}): Promise<SuccessResponse<R['type']>> {
  const body = encodeMessage(request)
  return await withRetries(ctx.retry, options.signal, async () => {
    const outcome = await askGroup(ctx.transport, ctx.transport.closeGroup(request.name), body, {
      quorum: ctx.transport.params.quorum,
      expects: (reply: WireReply) => reply.type === request.type,
      timeout: ctx.timeout,
      ...(options.signal != null ? { signal: options.signal } : {})
    })
    if (outcome.kind !== 'agreed') throw outcome.error
    return outcome.reply as SuccessResponse<R['type']>
  })
}

/**
 * A read-gated share's gate entry and this client's own envelope (absent when it has none), on Q
 * identical answers: served only to a reader the gate names, until its expiry by the
 * Data-Managers' clocks (`Expired` after), and for a priced gate with `payment`, the messageId of
 * this client's TransferCredit paying for it (a retry within the paid window never pays twice).
 */
export async function getShareEnvelope (ctx: ClientContext, name: XorName, tag: number, payment?: Uint8Array, options: RequestOptions = {}): Promise<ShareEnvelope> {
  const reply = await readMutableData(ctx, { type: 'GetShareEnvelope', name, tag, ...(payment !== undefined ? { payment } : {}) }, options)
  return reply.envelope !== undefined ? { gate: reply.gate, envelope: reply.envelope } : { gate: reply.gate }
}

/** An ImmutableData value, checked against its name, with bounded retries. */
export async function readImmutableData (ctx: ClientContext, name: XorName, options: RequestOptions = {}): Promise<Uint8Array> {
  const body = encodeMessage({ type: 'GetIData', name })
  return await withRetries(ctx.retry, options.signal, async () => await searchGroup(ctx, name, body, options.signal))
}

/** How many more nodes to ask after each failed answer. */
const WIDEN_BY = 2
/** While no answer has come, one more node is asked this often (ms): a slow node costs little. */
const HEDGE_INTERVAL = 1_500

async function searchGroup (ctx: ClientContext, name: XorName, body: Uint8Array, callerSignal: AbortSignal | undefined): Promise<Uint8Array> {
  callerSignal?.throwIfAborted()
  const { quorum, maxImmutableDataSize } = ctx.transport.params
  const group = ctx.transport.closeGroup(name)
  if (group.length === 0) throw new SafeMeshError('Timeout', 'no nodes known near the data')
  const abandon = new AbortController()
  const signal = callerSignal == null ? abandon.signal : AbortSignal.any([callerSignal, abandon.signal])
  const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>()
  let next = 0
  let inFlight = 0
  let answered = 0
  let missing = 0
  let settled = false
  const settle = (result: Uint8Array | Error): void => {
    if (settled) return
    settled = true
    clearInterval(hedge)
    abandon.abort()
    if (result instanceof Uint8Array) resolve(result)
    else reject(result)
  }

  const onAnswer = (answer: NodeAnswer): void => {
    inFlight--
    if (settled) return
    if (answer.kind === 'reply' && answer.reply.type === 'GetIData') {
      const value = answer.reply.value
      if (value.length <= maxImmutableDataSize && xorNameEquals(immutableDataName(value), name)) {
        settle(value)
        return
      }
    }
    if (answer.kind !== 'silent') answered++
    if (answer.kind === 'refusal' && answer.error.code === 'NoSuchData' && ++missing >= quorum) {
      settle(new SafeMeshError('NoSuchData', `no ImmutableData ${Buffer.from(name).toString('hex')}`))
      return
    }
    for (let i = 0; i < WIDEN_BY; i++) launch()
    if (inFlight === 0 && next >= group.length) {
      settle(answered >= quorum
        ? new SafeMeshError('NoQuorum', `${answered} nodes answered but none with the data and fewer than ${quorum} said it does not exist`)
        : new SafeMeshError('Timeout', `only ${answered} of ${group.length} nodes answered`))
    }
  }

  const launch = (): void => {
    const node: NodeRef | undefined = group[next]
    if (node === undefined || settled) return
    next++
    inFlight++
    askNode(ctx.transport, node, body, (reply) => reply.type === 'GetIData', {
      signal,
      timeout: ctx.timeout,
      ...(callerSignal != null ? { callerSignal } : {})
    }).then(onAnswer, (err: unknown) => { settle(isSafeMeshError(err) || err instanceof Error ? err : new Error(String(err))) })
  }

  const hedge = setInterval(launch, HEDGE_INTERVAL)
  launch()
  return await promise
}
