/**
 * The read gate of a share's key envelopes (issue 15, docs/protocol.md "Read-gated data"): a
 * MutableData of tag {@link TYPE_TAG_SHARE_ENVELOPE} holds a gate entry (key {@link READ_GATE_KEY})
 * naming who may read it, until when, and at what price; its other entries are envelopes, each
 * under the 32-byte public key of the reader it is sealed to. Its Data-Managers serve it only as
 * the gate allows ({@link checkRead}); its owner always reads it.
 *
 * Pure: the Data-Manager passes its own clock and whether the reader's payment was confirmed.
 */
import { SafeMeshError } from '../errors.js'
import { array, decodeWith, encodeWith, literal, object, optional, uint } from '../schema.js'
import { bytesEqual, type XorName } from '../xorname.js'
import { publicKeySchema, xorNameSchema } from './mutable-codec.js'
import { PUBLIC_KEY_LENGTH, entryKeyId, isOwner, isTombstone, type MutableData } from './mutable.js'
import { TYPE_TAG_SHARE_ENVELOPE } from './type-tags.js'

/** The gate entry's key: UTF-8 "safemesh:gate" (never 32 bytes, so never a reader's envelope key). */
export const READ_GATE_KEY: Uint8Array = new TextEncoder().encode('safemesh:gate')

/** Readers one gate names at most: far more than a share has, and 32 KiB of keys. */
export const MAX_GATE_READERS = 1000

/** How long a confirmed payment serves its reader that envelope, from its first use at a Data-Manager. */
export const PAID_READ_WINDOW_MS = 10 * 60_000

export interface ReadGate {
  /** Ed25519 public keys allowed to read (recipients' IDs, or a link's key). */
  readers: Uint8Array[]
  /** Milliseconds since the epoch: reads at or after it, by the Data-Manager's clock, are `Expired`. */
  expires?: number
  /** Credits each access costs the reader, paid to the account `payee`. */
  price?: number
  /** The account name that a priced gate's payments go to. */
  payee?: XorName
}

/** A gate whose reads cost something: it has a price above 0, and so a payee. */
export type PricedReadGate = ReadGate & { price: number, payee: XorName }

// `v` versions the format: a reader of a later one refuses it rather than misread it.
const readGateSchema = object({
  v: literal(1),
  readers: array(publicKeySchema, MAX_GATE_READERS),
  expires: optional(uint()),
  price: optional(uint()),
  payee: optional(xorNameSchema)
})

/** The gate entry's content; InvalidRequest for a gate that could never be served (priced without payee). */
export function encodeReadGate (gate: ReadGate): Uint8Array {
  assertPayable(gate)
  return encodeWith(readGateSchema, { v: 1, ...gate })
}

/** Reads a gate entry's content; InvalidRequest if malformed. */
export function decodeReadGate (bytes: Uint8Array): ReadGate {
  const { v: _v, ...wire } = decodeWith(readGateSchema, bytes)
  const gate: ReadGate = { readers: wire.readers }
  if (wire.expires !== undefined) gate.expires = wire.expires
  if (wire.price !== undefined) gate.price = wire.price
  if (wire.payee !== undefined) gate.payee = wire.payee
  assertPayable(gate)
  return gate
}

function assertPayable (gate: ReadGate): void {
  if ((gate.price ?? 0) > 0 && gate.payee === undefined) {
    throw new SafeMeshError('InvalidRequest', 'a priced read gate names the account its payments go to (payee)')
  }
}

/** Whether the Data-Managers of MutableData of this tag gate its reads. */
export function isReadGated (tag: number): boolean {
  return tag === TYPE_TAG_SHARE_ENVELOPE
}

export function isPricedGate (gate: ReadGate): gate is PricedReadGate {
  return (gate.price ?? 0) > 0 && gate.payee !== undefined
}

/** The data's gate: undefined when it has no gate entry, the entry was deleted, or it is malformed. */
export function readGateOf (data: MutableData): ReadGate | undefined {
  const entry = data.entries.get(entryKeyId(READ_GATE_KEY))
  if (entry === undefined || isTombstone(entry)) return undefined
  try {
    return decodeReadGate(entry.content)
  } catch {
    return undefined
  }
}

/**
 * May `requester` read read-gated `data` at `now` (the deciding node's clock)? The owner always
 * may. Anyone else: `AccessDenied` without a valid gate or when not one of its readers, then
 * `Expired` at or after its expiry, then `AccessDenied` when it is priced and `paid` is false.
 */
export function checkRead (data: MutableData, requester: Uint8Array, now: number, paid: boolean): void {
  if (isOwner(data, requester)) return
  const gate = readGateOf(data)
  if (gate === undefined) throw new SafeMeshError('AccessDenied', 'this data is read-gated and has no valid gate: only its owner reads it')
  if (!gate.readers.some(reader => bytesEqual(reader, requester))) {
    throw new SafeMeshError('AccessDenied', 'the requester is not one of the readers this share names')
  }
  if (gate.expires !== undefined && now >= gate.expires) {
    throw new SafeMeshError('Expired', `this share expired at ${timeOf(gate.expires)}`)
  }
  if (isPricedGate(gate) && !paid) {
    throw new SafeMeshError('AccessDenied', `each read of this share costs ${gate.price} credits paid to its owner: pay, then read with that payment`)
  }
}

/** An expiry for people: ISO 8601, or the milliseconds when past what a Date can show (year 275760). */
function timeOf (ms: number): string {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? `${ms} ms after the epoch` : date.toISOString()
}

/** What a GetShareEnvelope answers: what the gate entry holds, and the requester's envelope unless it has none. */
export interface ShareEnvelope {
  gate: Uint8Array
  envelope?: Uint8Array
}

/**
 * The gate entry's content and the envelope under `requester`'s key (absent when missing or
 * deleted), once {@link checkRead} passed. `NoSuchEntry` when the data has no gate entry at all.
 */
export function shareEnvelopeOf (data: MutableData, requester: Uint8Array): ShareEnvelope {
  const gate = data.entries.get(entryKeyId(READ_GATE_KEY))
  if (gate === undefined) throw new SafeMeshError('NoSuchEntry', 'this share has no gate entry')
  if (requester.length !== PUBLIC_KEY_LENGTH) return { gate: gate.content }
  const envelope = data.entries.get(entryKeyId(requester))
  return envelope === undefined || isTombstone(envelope) ? { gate: gate.content } : { gate: gate.content, envelope: envelope.content }
}
