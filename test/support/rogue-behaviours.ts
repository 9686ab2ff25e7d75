import { peerIdFromString } from '@libp2p/peer-id'
import {
  MUTATION_REQUEST_TYPES, READ_REQUEST_TYPES, SafeMeshError, bytesEqual, bytesToHex, forwardOf, quorumOf, voteBytes,
  type ErrorCode, type Mutation, type WireReply
} from '@safemesh/protocol'
import { askForQuorum } from '@safemesh/net'
import type { PeerId } from '@libp2p/interface'
import { trueGroup } from './grind.js'
import { mutationOf } from './commits.js'
import type { MessageOf, MessageType, RogueHandler, RogueNode } from './rogue.js'

/**
 * What a rogue may answer, as handlers for `rogue.on(type, …)`: refuse, stay
 * silent, lie, or pass for an honest node where an attack needs the rest of
 * the group to keep working.
 */

/** Refuses with `code`. */
export function refuse (code: ErrorCode = 'InvalidRequest'): RogueHandler {
  return async () => { throw new SafeMeshError(code, 'rogue') }
}

/** Never answers: the sender waits for its own timeout (the rogue gives up only when the stream closes). */
export function silent (): RogueHandler {
  return async (_message, context) => await new Promise<WireReply>((_resolve, reject) => {
    const gone = (): void => { reject(new SafeMeshError('Timeout', 'the rogue left')) }
    if (context.signal.aborted) gone()
    else context.signal.addEventListener('abort', gone, { once: true })
  })
}

/** Answers with `reply`, or what `reply` makes of the message: the lie of a forged read. */
export function answer<T extends MessageType> (reply: WireReply | ((message: MessageOf<T>) => WireReply | Promise<WireReply>)): RogueHandler<T> {
  return async (message) => typeof reply === 'function' ? await reply(message) : reply
}

/** A Data-Manager that reports every forwarded mutation applied, whatever it is. */
export function agree (): RogueHandler<'Forward'> {
  return async (message) => ({ type: mutationOf(message).type })
}

/**
 * Answers with what `peer()` answers to the same message: a rogue that reads
 * truthfully, so that what a test reads by quorum shows what the honest
 * members hold rather than that Q − 1 liars can block a read (which they can).
 */
function relayTo<T extends MessageType> (rogue: RogueNode, peer: (message: MessageOf<T>) => PeerId): RogueHandler<T> {
  return async (message) => await rogue.send(peer(message), message)
}

/** Makes the rogue answer every read with what the honest node nearest the name (among `honest` peer ids) answers. */
export function relayReads (rogue: RogueNode, honest: readonly string[]): void {
  for (const type of READ_REQUEST_TYPES) {
    rogue.on(type, relayTo(rogue, (message: MessageOf<typeof type>) => peerIdFromString(trueGroup(message.name, honest, 1)[0] as string)))
  }
}

/**
 * Makes the rogue pass for an honest Maid-Manager: it forwards every mutation
 * to the group that executes it (the data's, or for an auth-key change the
 * key's own account group), as a vote of the account's group, and reports
 * their verdict. Q − 1 such
 * colluders let the honest members of a group keep their quorum.
 */
export function actAsMaidManager (rogue: RogueNode): void {
  const forward = async (request: Mutation): Promise<WireReply> => {
    // The tests' mutations are short, so they travel inside the Forward: the rogue never serves GetForwarded.
    const message = { type: 'Forward' as const, ...forwardOf(request, ownerOf(rogue, request)) }
    const group = rogue.routing.closeGroup(message.executor).filter(p => !p.equals(rogue.peerId))
    return await askForQuorum(group, async peer => await rogue.send(peer, message, 20_000), quorumOf(rogue.routing.groupSize))
  }
  for (const type of MUTATION_REQUEST_TYPES) rogue.on(type, forward)
}

/** The account's owner as its honest Maid-Managers handed it to the rogue, else the requester itself. */
function ownerOf (rogue: RogueNode, request: Mutation): Uint8Array {
  const pushed = rogue.received('PushAccount', r => bytesEqual(r.message.account, request.account)).at(-1)
  return pushed?.message.record.owner ?? request.requester
}

/**
 * Makes the rogue promise every take-over of the order as an honest member
 * without a vote does (it keeps no replica, so it claims the step before).
 */
export function promiseLikeAMember (): RogueHandler<'Prepare'> {
  return async (message) => ({ type: 'Promised', granted: true, seq: Math.max(0, message.seq - 1), round: message.round })
}

/**
 * Makes the rogue vote on the order as an honest member does: the first
 * proposal it sees for a step in a member's Commit (the sequencer's signed
 * proposal and the digest of the replica it leaves) it sends on to the group
 * as its own signed vote (without an honest member's wait for the step
 * before). A Propose alone names no digest, so it waits for a Commit.
 * Colluders that attack one thing and vote honestly on the rest: Q − 1
 * members that never vote would stall every step of the data (which they
 * can), and the test is about the attack, not that.
 */
export function voteLikeAMember (rogue: RogueNode): RogueHandler<'Commit' | 'Propose'> {
  const voted = new Set<string>()
  return async (message) => {
    const step = `${bytesToHex(message.name)}/${message.tag}/${message.seq}`
    if (message.type === 'Commit' && !voted.has(step)) {
      voted.add(step)
      const group = rogue.routing.closeGroup(message.name).filter(p => !p.equals(rogue.peerId))
      const vote = await rogue.privateKey.sign(voteBytes(message.name, message.tag, message.seq, message.round, message.sequencer, message.requestId, message.digest))
      void rogue.sendEach(group, { ...message, vote }).catch(() => {})
    }
    return { type: 'Ack' }
  }
}
