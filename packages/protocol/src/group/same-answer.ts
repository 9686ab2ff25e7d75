/**
 * SPEC §6 "the same answer": what Q members of a group must give for their answer to count. One
 * rule for the node asking a group (`askForQuorum`) and the client (`askGroup`).
 */
import { encode } from '../codec.js'
import { errorToWire } from '../error-wire.js'
import type { SafeMeshError } from '../errors.js'
import { sha3_256 } from '../hash.js'
import { encodeReply, type WireReply } from '../messages/node-messages.js'
import { bytesToHex } from '../xorname.js'

/** One member's answer: a reply, or a refusal. */
export type MemberAnswer = { readonly reply: WireReply } | { readonly error: SafeMeshError }

/**
 * A key equal for two answers exactly when they are the same answer: replies by their canonical
 * encoding, refusals by code and details (which a client acts on, such as `InvalidSuccessor`'s
 * current version), never by message text, which is each node's own.
 */
export function answerKey (answer: MemberAnswer): string {
  if ('reply' in answer) return `reply:${bytesToHex(sha3_256(encodeReply(answer.reply)))}`
  const { message: _message, ...rest } = errorToWire(answer.error)
  return `refusal:${bytesToHex(encode(rest))}`
}
