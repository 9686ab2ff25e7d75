/**
 * A decision that outlives its voters (docs/protocol.md, "Decision certificates"): each member
 * signs its vote on a MutableData step together with the digest of the replica that step leaves,
 * and a member that applied the step keeps the Q signed votes. A member that fell behind may then
 * adopt that replica from any one holder, because Q members of the group, not one, said so —
 * even after some of them left the group, died or restarted without the step.
 */
import { encode } from '../codec.js'
import { publicKeySchema } from '../data/mutable-codec.js'
import { array, bytes, object, uint, type Infer } from '../schema.js'
import { bytesEqual, bytesToHex } from '../xorname.js'

export const VOTE_SIGNATURE_LENGTH = 64
const DIGEST_LENGTH = 32
const REQUEST_ID_LENGTH = 32
/** Signed votes one certificate carries at most (a group is far smaller). */
export const MAX_CERTIFICATE_VOTES = 64

/**
 * Q members' signed votes that mutation `requestId` is step `seq` of a MutableData in ballot
 * (`round`, `sequencer`), leaving its replica at `digest` (SHA3-256 of the stored `{data, seq}`).
 */
export const decisionCertificateSchema = object({
  seq: uint(),
  round: uint(),
  sequencer: publicKeySchema,
  requestId: bytes({ length: REQUEST_ID_LENGTH }),
  digest: bytes({ length: DIGEST_LENGTH }),
  votes: array(object({ voter: publicKeySchema, signature: bytes({ length: VOTE_SIGNATURE_LENGTH }) }), MAX_CERTIFICATE_VOTES)
})
export type DecisionCertificate = Infer<typeof decisionCertificateSchema>

/** What a member signs when it votes that `requestId` is step `seq` of (name, tag) in ballot (round, sequencer), leaving `digest`. */
export function voteBytes (name: Uint8Array, tag: number, seq: number, round: number, sequencer: Uint8Array, requestId: Uint8Array, digest: Uint8Array): Uint8Array {
  return encode(['safemesh/vote/1', name, tag, seq, round, sequencer, requestId, digest])
}

/** An Ed25519 check: whether `signature` of `message` is `publicKey`'s. Must never throw. */
export type VerifySignature = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean

/**
 * Whether `certificate` carries valid votes of at least `quorum` distinct voters that `isMember`
 * accepts as members of (name, tag)'s group. A voter counts once; a bad signature or a stranger
 * counts for nothing.
 */
export function isCertified (
  certificate: DecisionCertificate, name: Uint8Array, tag: number, quorum: number,
  verify: VerifySignature, isMember: (voter: Uint8Array) => boolean
): boolean {
  const { seq, round, sequencer, requestId, digest } = certificate
  const signed = voteBytes(name, tag, seq, round, sequencer, requestId, digest)
  const counted = new Set<string>()
  for (const { voter, signature } of certificate.votes) {
    const id = bytesToHex(voter)
    if (counted.has(id) || !isMember(voter) || !verify(signature, signed, voter)) continue
    counted.add(id)
    if (counted.size >= quorum) return true
  }
  return false
}

/** Whether `certificate` decides the replica at step `seq` with digest `digest`. */
export function certifies (certificate: DecisionCertificate, seq: number, digest: Uint8Array): boolean {
  return certificate.seq === seq && bytesEqual(certificate.digest, digest)
}
