/**
 * Node-to-node messages, and the one union the node's messaging layer decodes: every client
 * request of SPEC §3 plus these.
 *
 * - `OfferChunk`: a client hands a chunk's bytes to one of its Data-Managers, which checks the
 *   hash and holds it until the Maid-Managers' authority for `PutIData` arrives (SPEC §5, and
 *   ARCHITECTURE.md: bulk data stays off the G × G path).
 * - `Forward`: a Maid-Manager passes a client's mutation to the Data-Managers of its target, with
 *   the account and its owner: by digest, its bytes inside only when short; a Data-Manager fetches
 *   a longer one once, after quorum (`GetForwarded` / `Forwarded`, `forwarding.ts`). Authority is
 *   counted per sender: the Noise-authenticated peer of the connection, which must be in the
 *   account's close group.
 * - `Commit`: a vote on the order of a MutableData's mutations. The sequencer (the nearest member
 *   of the data's group that its members have not deposed) signs a proposal "mutation `requestId`
 *   is step `seq`" ({@link proposalBytes}); every member votes for the first proposal it gets
 *   for a step, signature included, to the whole group, once it can apply that step (its replica
 *   is at the step before and the mutation reached quorum at it), and a step is applied once Q
 *   members voted for the same mutation (docs/protocol.md). Each vote is signed by its voter with
 *   the digest of the replica the step leaves ({@link voteBytes}); Q of them, kept with the replica,
 *   are its {@link DecisionCertificate}. Two signed proposals for one step prove the sequencer lied.
 * - `Propose`: the sequencer's signed proposal alone, when it cannot vote for it yet.
 * - `Prepare` / `Promised`: a sequencer taking over a stuck step (after a deposition, or when its
 *   own proposal cannot be decided) in a higher round learns Q members' votes there first and
 *   proposes what {@link recoverStep} says.
 * - `Equivocation`: two proposals the sequencer signed for one step and round, sent to the group by the
 *   member that saw both.
 * - `Suspect`: a member tells its group that their sequencer left a mutation unordered; Q
 *   suspicions of one sequencer depose it for that data.
 * - `Applied`: a Data-Manager tells the account's Maid-Managers that a mutation was applied (its
 *   {@link Charge}, never its data), so
 *   every one of them charges it, whichever of them the client reached; a Maid-Manager charges on
 *   Q Data-Managers' word.
 * - `GetReplicaDigest`, `GetAccount`: what a member holds, so a node adopts a replica or an
 *   account record only when Q members vouch for the very same state.
 * - `Holdings` / `Wants`: a member lists what it holds of the names it shares with another, which
 *   answers what it lacks; the holder then pushes those (anti-entropy after pauses and lost pushes).
 * - `GetReplica`, `PushChunk`, `PushMData`, `PushAccount`: replicas for churn and repair. A pushed
 *   MutableData or account record is a candidate, adopted only on a quorum's word: Q members
 *   vouching now, or a decision certificate of Q members' signed votes for the replica's step.
 */
import { encode, type DecodeLimits } from '../codec.js'
import { mutableDataSchema, publicKeySchema, typeTagSchema, versionSchema, xorNameSchema } from '../data/mutable-codec.js'
import { array, boolean, bytes, decodeWith, encodeWith, object, optional, uint, union, type Infer } from '../schema.js'
import { decisionCertificateSchema, VOTE_SIGNATURE_LENGTH } from '../group/certificate.js'
import { chargeSchema, FORWARD_INLINE_BYTES, MUTATION_DIGEST_LENGTH } from './forwarding.js'
import { requestVariants, MESSAGE_ID_LENGTH, MUTATION_REQUEST_TYPES, type Mutation } from './request.js'
import { receivedCreditSchema, responseVariants } from './response.js'

/** Authorised app keys an account may hold. */
export const MAX_AUTH_KEYS = 1024
export const REQUEST_ID_LENGTH = 32
/** Charged message ids one account hand-over lists at most (an allowance above this is not handed over whole). */
export const MAX_CHARGED_IDS = 1 << 15
/** Names one `Holdings` message lists at most, per kind. */
export const MAX_HOLDINGS = 4096

/** What a Maid-Manager keeps of an account (SPEC §4). */
export const accountRecordSchema = object({
  owner: publicKeySchema,
  mutationsDone: uint(),
  authKeys: array(publicKeySchema, MAX_AUTH_KEYS),
  authKeysVersion: versionSchema,
  /**
   * Set on the record kept under an app key's own account name: the key was authorised as an app
   * of this account, so it never opens or acts through an account of its own.
   */
  appOf: optional(xorNameSchema),
  /** Sum of the credits received and sent (TransferCredit); absent when 0, so replicas encode alike. */
  creditsReceived: optional(uint()),
  creditsSent: optional(uint())
})
export type AccountRecord = Infer<typeof accountRecordSchema>
/** Charged transfers and received credits one account hand-over lists at most, of each. */
export const MAX_HANDED_CREDITS = 4096

const { PutIData, PutMData, MutateMDataEntries, SetMDataUserPermissions, DelMDataUserPermissions, ChangeMDataOwner, InsAuthKey, DelAuthKey, TransferCredit } = requestVariants
/** Every mutation of SPEC §3, and TransferCredit, as one schema. */
export const mutationSchema = union('type', { PutIData, PutMData, MutateMDataEntries, SetMDataUserPermissions, DelMDataUserPermissions, ChangeMDataOwner, InsAuthKey, DelAuthKey, TransferCredit })
// The list and the union above must name the same requests.
const _sameMutations: (typeof MUTATION_REQUEST_TYPES)[number] extends Infer<typeof mutationSchema>['type'] ? true : never = true
void _sameMutations

const requestId = bytes({ length: REQUEST_ID_LENGTH })
export const DIGEST_LENGTH = 32
export const SIGNATURE_LENGTH = 64

const signedProposalSchema = object({ requestId, signature: bytes({ length: SIGNATURE_LENGTH }) })

export const nodeMessageVariants = {
  OfferChunk: object({ value: bytes() }),
  /**
   * A Maid-Manager's vote for a mutation of `account`, executed by the group of `executor`: named by
   * `digest`, its bytes inside only when short (`forwarding.ts`); `owner` is the account's owner.
   */
  Forward: object({
    account: xorNameSchema,
    owner: publicKeySchema,
    executor: xorNameSchema,
    digest: bytes({ length: MUTATION_DIGEST_LENGTH }),
    mutation: optional(bytes({ max: FORWARD_INLINE_BYTES }))
  }),
  /** A Data-Manager that counted Q Forwards of `digest` asks one of their senders for the mutation's bytes. */
  GetForwarded: object({ digest: bytes({ length: MUTATION_DIGEST_LENGTH }) }),
  /**
   * A vote that `requestId` is step `seq`, carrying the sequencer's signed proposal of it (in ballot `round`), the digest of
   * the replica the step leaves and the voter's own signature of all that ({@link voteBytes}), kept in decision certificates.
   */
  Commit: object({
    name: xorNameSchema,
    tag: typeTagSchema,
    requestId,
    seq: uint(),
    round: uint(),
    sequencer: publicKeySchema,
    signature: bytes({ length: SIGNATURE_LENGTH }),
    digest: bytes({ length: DIGEST_LENGTH }),
    vote: bytes({ length: VOTE_SIGNATURE_LENGTH })
  }),
  /** The sequencer's signed proposal that `requestId` is step `seq`, sent without its vote (it cannot apply that step yet). */
  Propose: object({ name: xorNameSchema, tag: typeTagSchema, requestId, seq: uint(), round: uint(), sequencer: publicKeySchema, signature: bytes({ length: SIGNATURE_LENGTH }) }),
  /** A sequencer taking over from step `seq` in round `round`: asks for a promise to vote in no lower ballot, and the member's vote there. */
  Prepare: object({ name: xorNameSchema, tag: typeTagSchema, seq: uint(), round: uint() }),
  GetReplica: object({ name: xorNameSchema, tag: typeTagSchema }),
  PushChunk: object({ value: bytes() }),
  /** A replica, with the certificate of the step it holds when the pusher kept one. */
  PushMData: object({ data: mutableDataSchema, seq: uint(), certificate: optional(decisionCertificateSchema) }),
  PushAccount: object({ account: xorNameSchema, record: accountRecordSchema }),
  GetReplicaDigest: object({ name: xorNameSchema, tag: typeTagSchema }),
  GetAccount: object({ account: xorNameSchema }),
  Suspect: object({ name: xorNameSchema, tag: typeTagSchema, sequencer: publicKeySchema }),
  Applied: object({ charge: chargeSchema }),
  /** What the sender holds of the names whose groups the receiver shares with it (anti-entropy). */
  Holdings: object({
    chunks: array(xorNameSchema, MAX_HOLDINGS),
    mdata: array(object({ name: xorNameSchema, tag: typeTagSchema, seq: uint() }), MAX_HOLDINGS),
    accounts: array(object({ account: xorNameSchema, mutationsDone: uint() }), MAX_HOLDINGS)
  }),
  /** Two proposals the sequencer signed for one step: proof that it lied, which deposes it wherever it arrives. */
  Equivocation: object({ name: xorNameSchema, tag: typeTagSchema, seq: uint(), round: uint(), sequencer: publicKeySchema, first: signedProposalSchema, second: signedProposalSchema }),
  /**
   * A Data-Manager of a priced share asks the payee's Maid-Managers for the credit `payer` sent
   * `payee` under `messageId` (its TransferCredit's): answered `Payment`, or `NoSuchData`.
   */
  GetPayment: object({ payee: xorNameSchema, payer: xorNameSchema, messageId: bytes({ length: MESSAGE_ID_LENGTH }) })
} as const

export const nodeReplyVariants = {
  /** `stored`: the node already held the chunk, so nothing was staged. */
  OfferChunk: object({ stored: boolean() }),
  /** Of a `GetForwarded`: the mutation's canonical encoding, as its client sent it. */
  Forwarded: object({ mutation: bytes() }),
  Ack: object({}),
  /**
   * Of a `Prepare`: whether the member promised (it had promised no higher ballot), the step its
   * replica holds, the round of the highest ballot it promised, and its latest vote at the step.
   */
  Promised: object({
    granted: boolean(),
    seq: uint(),
    round: uint(),
    vote: optional(object({ requestId, round: uint(), sequencer: publicKeySchema, signature: bytes({ length: SIGNATURE_LENGTH }) }))
  }),
  Replica: object({ data: optional(mutableDataSchema), seq: uint(), certificate: optional(decisionCertificateSchema) }),
  /** The replica's step and the SHA3-256 of its stored form; no digest when the node holds none. */
  ReplicaDigest: object({ seq: uint(), digest: optional(bytes({ length: DIGEST_LENGTH })) }),
  /** The record and the message ids of every mutation the node charged to it (the hand-over's word). */
  /** Of a `Holdings`, what the receiver lacks or holds an older state of. */
  /** Of a `GetPayment`: the credit received, and what it said it pays for. */
  Payment: object({ amount: uint(), memo: optional(xorNameSchema) }),
  Wants: object({
    chunks: array(xorNameSchema, MAX_HOLDINGS),
    mdata: array(object({ name: xorNameSchema, tag: typeTagSchema }), MAX_HOLDINGS),
    accounts: array(xorNameSchema, MAX_HOLDINGS)
  }),
  /**
   * `charged`: ops charged (message ids); `sent`: transfers charged, with their amounts; `credits`:
   * credits received. Each counts at the receiver only when Q members list the very same item.
   */
  Account: object({
    record: optional(accountRecordSchema),
    charged: array(bytes({ length: MESSAGE_ID_LENGTH }), MAX_CHARGED_IDS),
    sent: optional(array(object({ messageId: bytes({ length: MESSAGE_ID_LENGTH }), amount: uint() }), MAX_HANDED_CREDITS)),
    credits: optional(array(receivedCreditSchema, MAX_HANDED_CREDITS))
  })
} as const

/** Everything a node may be sent: a client request or a node message. */
export const wireMessageSchema = union('type', { ...requestVariants, ...nodeMessageVariants })
export type WireMessage = Infer<typeof wireMessageSchema>
export type NodeMessage = Extract<WireMessage, { type: keyof typeof nodeMessageVariants }>

/** Everything a node may answer. */
export const wireReplySchema = union('type', { ...responseVariants, ...nodeReplyVariants })
export type WireReply = Infer<typeof wireReplySchema>

export function encodeMessage (message: WireMessage): Uint8Array {
  return encodeWith(wireMessageSchema, message)
}

export function decodeMessage (bytes: Uint8Array, limits?: DecodeLimits): WireMessage {
  return decodeWith(wireMessageSchema, bytes, limits)
}

export function encodeReply (reply: WireReply): Uint8Array {
  return encodeWith(wireReplySchema, reply)
}

export function decodeReply (bytes: Uint8Array, limits?: DecodeLimits): WireReply {
  return decodeWith(wireReplySchema, bytes, limits)
}

export type { Mutation }

/** What a sequencer signs when it proposes mutation `requestId` as step `seq` of (name, tag) in ballot `round`. */
export function proposalBytes (name: Uint8Array, tag: number, seq: number, round: number, requestId: Uint8Array): Uint8Array {
  return encode(['safemesh/proposal/2', name, tag, seq, round, requestId])
}
