/**
 * One node's answer to one message, classified the way every quorum in the client counts it.
 */
import { SafeMeshError, decodeReply, isSafeMeshError, type WireReply } from '@safemesh/protocol'
import type { NodeRef, SendOptions, Transport } from '../network/transport.js'

export type NodeAnswer =
  /** A well-formed reply of the kind the request expects; `bytes` are what quorums compare. */
  | { readonly kind: 'reply', readonly node: NodeRef, readonly reply: WireReply, readonly bytes: Uint8Array }
  /** The node refused with a SPEC error code. */
  | { readonly kind: 'refusal', readonly node: NodeRef, readonly error: SafeMeshError }
  /** No answer in time, or unreachable. */
  | { readonly kind: 'silent', readonly node: NodeRef, readonly error: unknown }
  /** An answer no honest node would give (undecodable, or a reply of another kind). */
  | { readonly kind: 'invalid', readonly node: NodeRef, readonly error: SafeMeshError }

/** Whether a decoded reply is the kind of answer the request expects. */
export type ReplyCheck = (reply: WireReply) => boolean

/**
 * Sends `body` to `node` and classifies what comes back. Never rejects, except with the caller's
 * own abort reason when `callerSignal` aborts.
 */
export async function askNode (
  transport: Transport,
  node: NodeRef,
  body: Uint8Array,
  expects: ReplyCheck,
  options: SendOptions & { callerSignal?: AbortSignal }
): Promise<NodeAnswer> {
  let bytes: Uint8Array
  try {
    bytes = await transport.send(node, body, { ...(options.signal != null ? { signal: options.signal } : {}), ...(options.timeout != null ? { timeout: options.timeout } : {}) })
  } catch (err) {
    options.callerSignal?.throwIfAborted()
    // The messenger reports a timeout, an unreachable node and a closed stream all as Timeout, so a
    // node that answers "Timeout" itself cannot be told apart: it counts as silent either way.
    if (isSafeMeshError(err) && err.code !== 'Timeout') return { kind: 'refusal', node, error: err }
    return { kind: 'silent', node, error: err }
  }
  let reply: WireReply
  try {
    reply = decodeReply(bytes)
  } catch (err) {
    return { kind: 'invalid', node, error: isSafeMeshError(err) ? err : new SafeMeshError('InvalidRequest', 'undecodable reply') }
  }
  if (!expects(reply)) return { kind: 'invalid', node, error: new SafeMeshError('InvalidRequest', `unexpected ${reply.type} reply`) }
  return { kind: 'reply', node, reply, bytes }
}
