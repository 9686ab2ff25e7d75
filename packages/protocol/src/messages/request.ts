/**
 * The client-visible requests of SPEC §3, one discriminated union on `type`.
 *
 * - Reads name the data they read; they go to its Data-Managers and cost nothing.
 * - Account reads and every mutation name the `account` (its Maid-Managers' name) and the
 *   `requester`: the Ed25519 public key actually acting (the owner's, or an authorised app's), which
 *   the Maid-Managers check against the sender (SPEC §4).
 * - Mutations also carry `messageId` (32 random bytes) so a replayed or duplicated request is spent
 *   only once (`InvalidOperation`).
 *
 * Node-to-node messages follow the same pattern in the node package: an `object` per message in a
 * `union('type', …)`, with `encodeWith`/`decodeWith` (see `schema.ts`).
 */
import type { DecodeLimits } from '../codec.js'
import { invalidRequest } from '../errors.js'
import { mutableDataSchema, permissionSetSchema, publicKeySchema, typeTagSchema, userSchema, versionSchema, xorNameSchema } from '../data/mutable-codec.js'
import { entryKeyId } from '../data/mutable.js'
import type { KeyedEntryAction } from '../data/entry-actions.js'
import { array, bytes, decodeWith, encodeWith, mapped, object, optional, uint, union, type Infer, type Schema } from '../schema.js'
import { compareBytes, type XorName } from '../xorname.js'

export const MESSAGE_ID_LENGTH = 32

/** Bounds allocation while decoding; the message size limit is the real bound. */
const MAX_WIRE_ITEMS = 1 << 20

const name = xorNameSchema
const tag = typeTagSchema
const version = versionSchema
const messageId = bytes({ length: MESSAGE_ID_LENGTH })
const requester = publicKeySchema
const account = xorNameSchema

/** Fields of every request to an account's Maid-Managers. */
const toAccount = { account, requester } as const
/** Fields of every mutation. */
const mutation = { ...toAccount, messageId } as const
const mdAddress = { name, tag } as const

export const entryActionSchema = union('kind', {
  Insert: object({ content: bytes() }),
  Update: object({ content: bytes(), version }),
  Delete: object({ version })
})

export const keyedEntryActionSchema = object({ key: bytes(), action: entryActionSchema })

/** A batch is a map from key to action: a key given twice is malformed, refused both ways at the edge. */
export const entryActionsSchema: Schema<KeyedEntryAction[]> = mapped(
  array(keyedEntryActionSchema, MAX_WIRE_ITEMS),
  (actions, path) => assertUniqueKeys(actions, path),
  (actions, path) => assertUniqueKeys(actions.map(({ key, action }) => ({ key, action })), path)
)

function assertUniqueKeys<A extends { readonly key: Uint8Array }> (actions: A[], path: string): A[] {
  const keys = actions.map((a) => a.key).sort(compareBytes)
  for (let i = 1; i < keys.length; i++) {
    if (compareBytes(keys[i - 1] as Uint8Array, keys[i] as Uint8Array) === 0) {
      throw invalidRequest(`${path}: entry key ${entryKeyId(keys[i] as Uint8Array)} appears twice`)
    }
  }
  return actions
}

/**
 * The variants of {@link requestSchema}, for unions that extend it (the node's wire messages).
 */
export const requestVariants = {
  // Reads: client → Data-Managers of `name`.
  GetIData: object({ name }),
  GetMData: object({ ...mdAddress }),
  GetMDataShell: object({ ...mdAddress }),
  GetMDataVersion: object({ ...mdAddress }),
  ListMDataEntries: object({ ...mdAddress }),
  ListMDataKeys: object({ ...mdAddress }),
  ListMDataValues: object({ ...mdAddress }),
  GetMDataValue: object({ ...mdAddress, key: bytes() }),
  ListMDataPermissions: object({ ...mdAddress }),
  ListMDataUserPermissions: object({ ...mdAddress, user: userSchema }),
  /**
   * A read-gated share's gate and the requester's own envelope (issue 15, `data/read-gate.ts`);
   * `payment`: the messageId of the requester's TransferCredit paying a priced gate.
   */
  GetShareEnvelope: object({ ...mdAddress, payment: optional(messageId) }),
  // Account reads: owner → its Maid-Managers.
  GetAccountInfo: object({ ...toAccount }),
  ListAuthKeysAndVersion: object({ ...toAccount }),
  /** The credits the account received, the most recent 1000, oldest first (owner only). */
  ListCredits: object({ ...toAccount }),
  // Mutations: client → its Maid-Managers → Data-Managers.
  /**
   * Carries the chunk's name and size, not its bytes: the client offers the bytes once to each
   * Data-Manager (`OfferChunk`), and only this small authority travels the G × G path through the
   * Maid-Managers, so a stored byte crosses the wire G times, not G².
   */
  PutIData: object({ ...mutation, name, size: uint() }),
  PutMData: object({ ...mutation, data: mutableDataSchema }),
  MutateMDataEntries: object({ ...mutation, ...mdAddress, actions: entryActionsSchema }),
  SetMDataUserPermissions: object({ ...mutation, ...mdAddress, user: userSchema, permissions: permissionSetSchema, version }),
  DelMDataUserPermissions: object({ ...mutation, ...mdAddress, user: userSchema, version }),
  ChangeMDataOwner: object({ ...mutation, ...mdAddress, newOwners: array(publicKeySchema, 16), version }),
  InsAuthKey: object({ ...mutation, key: publicKeySchema, version }),
  DelAuthKey: object({ ...mutation, key: publicKeySchema, version }),
  /**
   * Moves `amount` credits to the account `to` (owner only, no op fee): executed by `to`'s
   * Maid-Managers, credited once per (account, messageId); `memo` names what it pays for.
   */
  TransferCredit: object({ ...mutation, to: xorNameSchema, amount: uint(), memo: optional(xorNameSchema) })
} as const

export const requestSchema = union('type', requestVariants)

export type Request = Infer<typeof requestSchema>
export type RequestType = Request['type']
export type RequestOf<T extends RequestType> = Extract<Request, { type: T }>

export const READ_REQUEST_TYPES = [
  'GetIData', 'GetMData', 'GetMDataShell', 'GetMDataVersion', 'ListMDataEntries', 'ListMDataKeys',
  'ListMDataValues', 'GetMDataValue', 'ListMDataPermissions', 'ListMDataUserPermissions', 'GetShareEnvelope'
] as const satisfies readonly RequestType[]

export const ACCOUNT_READ_REQUEST_TYPES = ['GetAccountInfo', 'ListAuthKeysAndVersion', 'ListCredits'] as const satisfies readonly RequestType[]

export const MUTATION_REQUEST_TYPES = [
  'PutIData', 'PutMData', 'MutateMDataEntries', 'SetMDataUserPermissions', 'DelMDataUserPermissions',
  'ChangeMDataOwner', 'InsAuthKey', 'DelAuthKey', 'TransferCredit'
] as const satisfies readonly RequestType[]

export const REQUEST_TYPES: readonly RequestType[] = [...READ_REQUEST_TYPES, ...ACCOUNT_READ_REQUEST_TYPES, ...MUTATION_REQUEST_TYPES]

export type ReadRequest = RequestOf<(typeof READ_REQUEST_TYPES)[number]>
export type AccountReadRequest = RequestOf<(typeof ACCOUNT_READ_REQUEST_TYPES)[number]>
export type Mutation = RequestOf<(typeof MUTATION_REQUEST_TYPES)[number]>

const MUTATIONS: ReadonlySet<string> = new Set(MUTATION_REQUEST_TYPES)
const ACCOUNT_READS: ReadonlySet<string> = new Set(ACCOUNT_READ_REQUEST_TYPES)

/** Mutations cost one op on success (a TransferCredit its amount) and go through the requester's Maid-Managers. */
export function isMutation (request: Request): request is Mutation {
  return MUTATIONS.has(request.type)
}

/** Requests handled by the account's Maid-Managers (account reads and every mutation). */
export function isAccountRequest (request: Request): request is Mutation | AccountReadRequest {
  return MUTATIONS.has(request.type) || ACCOUNT_READS.has(request.type)
}

/** The name whose close group handles the request first: the account for account requests, else the data. */
export function requestTarget (request: Request): XorName {
  return 'account' in request ? request.account : request.name
}

/**
 * The name of the data a request reads or changes (its Data-Managers), where it has one: account
 * operations have none, so those return undefined.
 */
export function requestDataName (request: Request): XorName | undefined {
  if ('name' in request) return request.name
  if (request.type === 'PutMData') return request.data.name
  return undefined
}

/** Encodes a request after checking it; a malformed one throws InvalidRequest instead of being sent. */
export function encodeRequest (request: Request): Uint8Array {
  return encodeWith(requestSchema, request)
}

/** Decodes a request from untrusted bytes; only ever returns a Request or throws InvalidRequest. */
export function decodeRequest (bytes: Uint8Array, limits?: DecodeLimits): Request {
  return decodeWith(requestSchema, bytes, limits)
}
