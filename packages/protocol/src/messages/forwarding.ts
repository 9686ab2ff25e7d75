/**
 * How a mutation travels from the Maid-Managers to the Data-Managers, and back as a charge, without
 * its bytes crossing the G × G path (docs/protocol.md, "Forwards carry a digest"):
 *
 * - A `Forward` names the mutation by the SHA3-256 of its canonical encoding (the bytes the client
 *   sent) and carries those bytes only when they are short ({@link FORWARD_INLINE_BYTES}). A longer
 *   mutation is fetched once by each Data-Manager, after Q Maid-Managers forwarded its digest, from
 *   one of them (`GetForwarded`), and checked against the digest.
 * - `Applied` carries the {@link Charge}: what the Maid-Managers need to charge a mutation, never its data.
 */
import { bytesEqual, xorNameEquals, type XorName } from '../xorname.js'
import { encode } from '../codec.js'
import { invalidRequest } from '../errors.js'
import { sha3_256 } from '../hash.js'
import { publicKeySchema, versionSchema, xorNameSchema } from '../data/mutable-codec.js'
import { bytes, object, oneOf, optional, uint, type Infer } from '../schema.js'
import { executorNameOf, isAccountOpening } from '../account.js'
import { MESSAGE_ID_LENGTH, MUTATION_REQUEST_TYPES, encodeRequest, type Mutation } from './request.js'

/** Mutations whose encoding is at most this long travel inside their Forward: G × G of these is a few hundred KiB at most. */
export const FORWARD_INLINE_BYTES = 4096
export const MUTATION_DIGEST_LENGTH = 32

/** What a Maid-Manager charges for a mutation the Data-Managers applied. */
export const chargeSchema = object({
  account: xorNameSchema,
  messageId: bytes({ length: MESSAGE_ID_LENGTH }),
  /** SHA3-256 of the mutation's canonical encoding. */
  digest: bytes({ length: MUTATION_DIGEST_LENGTH }),
  type: oneOf(MUTATION_REQUEST_TYPES),
  /** The name of the group that executed it: only its members report it. */
  executor: xorNameSchema,
  /** The new account's owner, when the mutation opens an account (its session packet's PutMData). */
  opens: optional(publicKeySchema),
  /** The key and version of an InsAuthKey / DelAuthKey. */
  authKey: optional(object({ key: publicKeySchema, version: versionSchema })),
  /** The credits a TransferCredit moves: what the account is debited instead of an op. */
  amount: optional(uint())
})
export type Charge = Infer<typeof chargeSchema>

/** The SHA3-256 of a mutation's canonical encoding: the bytes a client sent, hashed as received. */
export function mutationDigest (encoded: Uint8Array): Uint8Array {
  return sha3_256(encoded)
}

/** What charging `mutation` (whose encoding hashes to `digest`) takes. */
export function chargeOf (mutation: Mutation, digest: Uint8Array): Charge {
  const charge: Charge = { account: mutation.account, messageId: mutation.messageId, digest, type: mutation.type, executor: executorNameOf(mutation) }
  if (isAccountOpening(mutation)) charge.opens = mutation.data.owners[0]
  if (mutation.type === 'InsAuthKey' || mutation.type === 'DelAuthKey') charge.authKey = { key: mutation.key, version: mutation.version }
  if (mutation.type === 'TransferCredit') charge.amount = mutation.amount
  return charge
}

/** The fields of a Forward its ballot is about: one ballot however the mutation's bytes travel. */
export interface ForwardHead {
  account: XorName
  owner: Uint8Array
  executor: XorName
  digest: Uint8Array
}

/** A Forward's fields: its head, and the mutation's bytes when short. */
export interface ForwardFields extends ForwardHead {
  mutation?: Uint8Array
}

/**
 * The Forward of `mutation` for the account whose owner is `owner`; `encoded` is the mutation's
 * canonical encoding (the bytes its client sent, when at hand) and `digest` their hash, if known.
 */
export function forwardOf (mutation: Mutation, owner: Uint8Array, encoded: Uint8Array = encodeRequest(mutation), digest: Uint8Array = mutationDigest(encoded)): ForwardFields {
  return {
    account: mutation.account,
    owner,
    executor: executorNameOf(mutation),
    digest,
    ...(encoded.byteLength <= FORWARD_INLINE_BYTES ? { mutation: encoded } : {})
  }
}

/** The id Data-Managers give a forwarded mutation (its ballot, its steps' proposals and votes). */
export function forwardRequestId (forward: ForwardHead): Uint8Array {
  return sha3_256(encode(['safemesh/forward/1', forward.account, forward.owner, forward.executor, forward.digest]))
}

/**
 * A forwarded mutation's bytes, checked against its Forward: they hash to its digest, decode (with
 * `decode`, which applies the wire limits) to a mutation of its account, executed by its group.
 */
export function openForwarded (encoded: Uint8Array, forward: ForwardHead, decode: (bytes: Uint8Array) => { type: string }): Mutation {
  if (!bytesEqual(mutationDigest(encoded), forward.digest)) throw invalidRequest('the forwarded mutation does not match its digest')
  const message = decode(encoded)
  if (!(MUTATION_REQUEST_TYPES as readonly string[]).includes(message.type)) throw invalidRequest(`a ${message.type} is not a mutation`)
  const mutation = message as Mutation
  if (!xorNameEquals(mutation.account, forward.account)) throw invalidRequest('the forwarded mutation is not of the Forward\'s account')
  if (!xorNameEquals(executorNameOf(mutation), forward.executor)) throw invalidRequest('the forwarded mutation is not executed by the Forward\'s group')
  return mutation
}
