import {
  bytesEqual, decodeMessage, encodeWith, forwardRequestId, mutableDataSchema, object, proposalBytes, randomXorName, sha3_256, uint, voteBytes,
  type DecisionCertificate, type MutableData, type Mutation, type WireMessage
} from '@safemesh/protocol'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { MessageOf, RogueNode } from './rogue.js'

/**
 * The rogue's side of ordering attacks: what a Data-Manager learns of a
 * mutation (its request id, from the Forward it is sent) and of a replica's
 * step (its seq), and the Commits it sends.
 */

/**
 * A `Commit` of `requestId` as step `seq`, signed by the rogue with its own key as the proposal of
 * the sequencer and as its vote (for a replica digest it cannot know, so made up): as much as any
 * member can say. Followers take it only from the member they count as the data's sequencer.
 */
export async function signedCommit (rogue: RogueNode, md: { name: Uint8Array, tag: number }, requestId: Uint8Array, seq: number): Promise<WireMessage> {
  const sequencer = rogue.peerId.publicKey?.raw as Uint8Array
  const signature = await rogue.privateKey.sign(proposalBytes(md.name, md.tag, seq, 0, requestId))
  const digest = sha3_256(requestId)
  const vote = await rogue.privateKey.sign(voteBytes(md.name, md.tag, seq, 0, sequencer, requestId, digest))
  return { type: 'Commit', name: md.name, tag: md.tag, requestId, seq, round: 0, sequencer, signature, digest, vote }
}

/** The id every Data-Manager gives a forwarded request (its ballot's). */
export function requestIdOf (forward: MessageOf<'Forward'>): Uint8Array {
  return forwardRequestId(forward)
}

/** The mutation inside a Forward: the tests' mutations are short, so they always travel inside. */
export function mutationOf (forward: MessageOf<'Forward'>): Mutation {
  if (forward.mutation == null) throw new Error('a Forward without its mutation inside (a long one, fetched by digest)')
  return decodeMessage(forward.mutation) as Mutation
}

/** The request id of `mutation`, once the rogue got its Forward as a Data-Manager. */
export async function requestIdSeenBy (rogue: RogueNode, mutation: Mutation, timeoutMs = 30_000): Promise<Uint8Array> {
  const forward = await rogue.waitFor('Forward', r => bytesEqual(mutationOf(r.message).messageId, mutation.messageId), timeoutMs)
  return requestIdOf(forward.message)
}

/**
 * The replica's current step: asked of `peer` (an honest member), else the highest
 * the rogue was handed (`PushMData`) or told (`Commit`).
 */
export async function currentSeq (rogue: RogueNode, md: MutableData, peer: PeerId): Promise<number> {
  const reply = await rogue.send(peer, { type: 'GetReplica', name: md.name, tag: md.tag }).catch(() => undefined)
  if (reply?.type === 'Replica') return reply.seq
  const same = (m: { name: Uint8Array, tag: number }): boolean => bytesEqual(m.name, md.name) && m.tag === md.tag
  return Math.max(0,
    ...rogue.received('PushMData', r => same(r.message.data)).map(r => r.message.seq),
    ...rogue.received('Commit', r => same(r.message)).map(r => r.message.seq))
}

/**
 * Commits `first` at step `base + 1` and `second` at `base + 2` to half of `members`, and the
 * opposite order to the other half, again and again until `until` settles: whatever order the
 * sequencer gives, half the followers are told the other, and a commit only counts if it is the
 * one a follower holds when its own quorum of the mutation forms, so it is repeated for as long
 * as the mutations are in flight (the attack's window is the race itself). Returns how many
 * rounds of commits went out.
 */
export async function floodSplitCommits (
  rogue: RogueNode, md: MutableData, base: number, [first, second]: [Uint8Array, Uint8Array], members: readonly PeerId[], until: Promise<unknown>
): Promise<number> {
  let done = false
  void until.finally(() => { done = true })
  let rounds = 0
  const commit = async (peer: PeerId, requestId: Uint8Array, seq: number): Promise<void> => {
    await rogue.send(peer, await signedCommit(rogue, md, requestId, seq), 5_000).catch(() => {})
  }
  // eslint-disable-next-line no-unmodified-loop-condition -- `until` settling sets `done`
  while (!done) {
    await Promise.all(members.map(async (peer, i) => {
      const [a, b] = i % 2 === 0 ? [first, second] : [second, first]
      await Promise.all([commit(peer, a, base + 1), commit(peer, b, base + 2)])
    }))
    rounds++
  }
  return rounds
}

/**
 * A decision certificate for `data` at `seq` as colluders can make one: every vote validly signed,
 * by the rogues (members of the group) and by `strangers` (keys ground anywhere, never run as
 * nodes near the name), for the very digest of the pushed replica.
 */
export async function forgedCertificate (signers: readonly PrivateKey[], data: MutableData, seq: number): Promise<DecisionCertificate> {
  const digest = sha3_256(encodeWith(object({ data: mutableDataSchema, seq: uint() }), { data, seq }))
  const requestId = randomXorName()
  const sequencer = (signers[0] as PrivateKey).publicKey.raw
  const signed = voteBytes(data.name, data.tag, seq, 0, sequencer, requestId, digest)
  const votes = await Promise.all(signers.map(async key => ({ voter: key.publicKey.raw, signature: await key.sign(signed) })))
  return { seq, round: 0, sequencer, requestId, digest, votes }
}
