/**
 * Node-to-node messages, and the one union the node's messaging layer decodes: every client
 * request of SPEC §3 plus these.
 *
 * - `OfferChunk`: a client hands a chunk's bytes to one of its Data-Managers, which checks the
 *   hash and holds it until the Maid-Managers' authority for `PutIData` arrives (SPEC §5, and
 *   ARCHITECTURE.md: bulk data stays off the G × G path).
 * - `Forward`: a Maid-Manager passes a client's mutation to the Data-Managers of its target, with
 *   the account and its owner. Authority is counted per sender: the Noise-authenticated peer of
 *   the connection, which must be in the account's close group.
 * - `Commit`: the Data-Manager that sequences a MutableData (the nearest of its group) tells the
 *   others in which order to apply the mutations that reached quorum, so every replica applies the
 *   same mutations in the same order.
 * - `GetReplica`, `PushChunk`, `PushMData`, `PushAccount`: replicas for churn and repair.
 */
import type { DecodeLimits } from '../codec.js'
import { mutableDataSchema, publicKeySchema, typeTagSchema, versionSchema, xorNameSchema } from '../data/mutable-codec.js'
import { array, boolean, bytes, decodeWith, encodeWith, object, optional, uint, union, type Infer } from '../schema.js'
import { requestVariants, MUTATION_REQUEST_TYPES, type Mutation } from './request.js'
import { responseVariants } from './response.js'

/** Authorised app keys an account may hold. */
export const MAX_AUTH_KEYS = 1024
export const REQUEST_ID_LENGTH = 32

/** What a Maid-Manager keeps of an account (SPEC §4). */
export const accountRecordSchema = object({
  owner: publicKeySchema,
  mutationsDone: uint(),
  authKeys: array(publicKeySchema, MAX_AUTH_KEYS),
  authKeysVersion: versionSchema
})
export type AccountRecord = Infer<typeof accountRecordSchema>

const { PutIData, PutMData, MutateMDataEntries, SetMDataUserPermissions, DelMDataUserPermissions, ChangeMDataOwner, InsAuthKey, DelAuthKey } = requestVariants
/** Every mutation of SPEC §3, as one schema. */
export const mutationSchema = union('type', { PutIData, PutMData, MutateMDataEntries, SetMDataUserPermissions, DelMDataUserPermissions, ChangeMDataOwner, InsAuthKey, DelAuthKey })
// The list and the union above must name the same requests.
const _sameMutations: (typeof MUTATION_REQUEST_TYPES)[number] extends Infer<typeof mutationSchema>['type'] ? true : never = true
void _sameMutations

const requestId = bytes({ length: REQUEST_ID_LENGTH })

export const nodeMessageVariants = {
  OfferChunk: object({ value: bytes() }),
  Forward: object({ account: xorNameSchema, owner: publicKeySchema, mutation: mutationSchema }),
  Commit: object({ name: xorNameSchema, tag: typeTagSchema, requestId, seq: uint() }),
  GetReplica: object({ name: xorNameSchema, tag: typeTagSchema }),
  PushChunk: object({ value: bytes() }),
  PushMData: object({ data: mutableDataSchema, seq: uint() }),
  PushAccount: object({ account: xorNameSchema, record: accountRecordSchema })
} as const

export const nodeReplyVariants = {
  /** `stored`: the node already held the chunk, so nothing was staged. */
  OfferChunk: object({ stored: boolean() }),
  Ack: object({}),
  Replica: object({ data: optional(mutableDataSchema), seq: uint() })
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
