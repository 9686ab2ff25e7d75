/**
 * An account's share log (issue 15, docs/protocol.md "The share log"): every share, revocation,
 * expiry change, payment and link of an owner, as records signed by the owner and hash-chained, kept
 * in append-only MutableData (tag {@link TYPE_TAG_SHARE_LOG}) that anyone can read and verify.
 *
 * - Entry key: the record's index as 8 bytes big-endian, from 0, no gap.
 * - Entry content: canonical CBOR of `{v: 1, index, prev, at, event, signature}`, where `prev` is
 *   SHA3-256 of the previous entry's content (32 zero bytes for record 0), `at` ms since the epoch,
 *   and `signature` the owner's Ed25519 signature of `"safemesh/share-log/v1/record" ‖ CBOR of the
 *   same object without `signature`.
 * - Segments: a log outgrows one MutableData (1000 entries, 1 MiB), so it is a chain of them.
 *   The first is named {@link shareLogName}; the one whose first record is `i` is named
 *   {@link shareLogSegmentName}(owner, i). A writer starts a new segment only when an insert into the
 *   current one is refused as full; a reader follows segments until one does not exist.
 *
 * Signature checks are injected (`verify`, `sign`) so that protocol keeps no crypto dependency.
 */
import { SafeMeshError, invalidRequest } from '../errors.js'
import { sha3_256 } from '../hash.js'
import { publicKeySchema, xorNameSchema } from '../data/mutable-codec.js'
import { entryKeyId, listEntries, type MutableData } from '../data/mutable.js'
import { TYPE_TAG_SHARE_LOG } from '../data/type-tags.js'
import type { VerifySignature } from '../group/certificate.js'
import {
  array, bytes, decodeWith, encodeWith, literal, object, optional, string, uint, union, type Schema
} from '../schema.js'
import { bytesEqual, bytesToHex, concatBytes, type XorName } from '../xorname.js'

export type ShareEvent =
  | { kind: 'share', share: XorName, path: string, recipients: Uint8Array[], expires?: number, price?: number }
  | { kind: 'revoke', share: XorName, recipients: Uint8Array[] }
  /** `expires` absent: the share no longer expires. */
  | { kind: 'expiry', share: XorName, expires?: number }
  | { kind: 'payment', share: XorName, payer: XorName, amount: number, messageId: Uint8Array }
  /** `link`: the link's public key. */
  | { kind: 'link', share: XorName, link: Uint8Array }
  | { kind: 'link-cancel', share: XorName, link: Uint8Array }

export interface ShareLogRecord {
  index: number
  /** SHA3-256 of the previous record's entry content; {@link SHARE_LOG_GENESIS} for record 0. */
  prev: Uint8Array
  /** When the owner wrote it (ms since the epoch, the owner's clock: not checked by anyone). */
  at: number
  event: ShareEvent
}

/** A record that passed verification, with the hash the next record chains to and its signature. */
export interface VerifiedShareLogRecord extends ShareLogRecord {
  /** SHA3-256 of its entry content. */
  hash: Uint8Array
  signature: Uint8Array
}

/** How a bad record was found to be bad. */
export type ShareLogFault = 'altered' | 'removed' | 'reordered' | 'malformed' | 'unchained'

export type ShareLogVerification =
  | { ok: true, records: VerifiedShareLogRecord[] }
  /** `index`: the first bad record; `records`: the good ones before it. */
  | { ok: false, index: number, fault: ShareLogFault, reason: string, records: VerifiedShareLogRecord[] }

/** Where a verification starts: record 0 of an empty chain, or after records already verified. */
export interface ShareLogStart {
  index: number
  /** The hash of record `index − 1` ({@link SHARE_LOG_GENESIS} when `index` is 0). */
  prev: Uint8Array
}

/** `prev` of record 0. */
export const SHARE_LOG_GENESIS: Uint8Array = new Uint8Array(32)
/** The key of an entry: the record's index, 8 bytes big-endian. */
export const SHARE_LOG_KEY_LENGTH = 8
/** Recipients one event may name. */
export const MAX_SHARE_RECIPIENTS = 1000
/** A shared path's length (UTF-16 units): room for any NFS path (1023 bytes) and a container name. */
export const MAX_SHARE_PATH = 4096
/** An encoded record's largest size (1000 recipients fit). */
export const MAX_SHARE_LOG_RECORD_BYTES = 64 * 1024

const RECORD_VERSION = 1
const NAME_DOMAIN = utf8('safemesh/share-log/v1')
const SEGMENT_DOMAIN = utf8('safemesh/share-log/v1/segment')
const SIGNING_DOMAIN = utf8('safemesh/share-log/v1/record')

const recipients = array(publicKeySchema, MAX_SHARE_RECIPIENTS)
const eventSchema: Schema<ShareEvent> = union('kind', {
  share: object({ share: xorNameSchema, path: string(MAX_SHARE_PATH), recipients, expires: optional(uint()), price: optional(uint()) }),
  revoke: object({ share: xorNameSchema, recipients }),
  expiry: object({ share: xorNameSchema, expires: optional(uint()) }),
  payment: object({ share: xorNameSchema, payer: xorNameSchema, amount: uint(), messageId: bytes({ length: 32 }) }),
  link: object({ share: xorNameSchema, link: publicKeySchema }),
  'link-cancel': object({ share: xorNameSchema, link: publicKeySchema })
})

const signedFields = {
  v: literal(RECORD_VERSION),
  index: uint(),
  prev: bytes({ length: 32 }),
  at: uint(),
  event: eventSchema
}
const signedSchema = object(signedFields)
const recordSchema = object({ ...signedFields, signature: bytes({ length: 64 }) })

/** SHA3-256("safemesh/share-log/v1" ‖ owner): the first segment of `owner`'s log. */
export function shareLogName (owner: Uint8Array): XorName {
  return sha3_256(concatBytes(NAME_DOMAIN, owner))
}

/**
 * The segment whose first record is `first`: {@link shareLogName} for 0, else
 * SHA3-256("safemesh/share-log/v1/segment" ‖ owner ‖ first as 8 bytes big-endian).
 */
export function shareLogSegmentName (owner: Uint8Array, first: number): XorName {
  return first === 0 ? shareLogName(owner) : sha3_256(concatBytes(SEGMENT_DOMAIN, owner, shareLogKey(first)))
}

/** The entry key of record `index`: 8 bytes big-endian. */
export function shareLogKey (index: number): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0) throw invalidRequest(`a share log index is an unsigned integer, not ${index}`)
  const key = new Uint8Array(SHARE_LOG_KEY_LENGTH)
  new DataView(key.buffer).setBigUint64(0, BigInt(index))
  return key
}

/** The index an entry key stands for; undefined when it is not a record's key. */
export function shareLogIndexOf (key: Uint8Array): number | undefined {
  if (key.length !== SHARE_LOG_KEY_LENGTH) return undefined
  const index = new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(0)
  return index <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(index) : undefined
}

/** SHA3-256 of an entry's content: what the next record's `prev` holds. */
export function shareLogRecordHash (content: Uint8Array): Uint8Array {
  return sha3_256(content)
}

/** The bytes the owner signs: the domain, then the record without its signature. */
export function shareLogSigningBytes (record: ShareLogRecord): Uint8Array {
  return concatBytes(SIGNING_DOMAIN, encodeWith(signedSchema, { v: RECORD_VERSION, ...pickRecord(record) }))
}

/** The owner's signature of `record` (`sign` holds the owner's secret key). */
export function signShareLogRecord (record: ShareLogRecord, sign: (message: Uint8Array) => Uint8Array): Uint8Array {
  return sign(shareLogSigningBytes(record))
}

/** A record and its signature as an entry's content. */
export function encodeShareLogRecord (record: ShareLogRecord, signature: Uint8Array): Uint8Array {
  const content = encodeWith(recordSchema, { v: RECORD_VERSION, ...pickRecord(record), signature })
  if (content.length > MAX_SHARE_LOG_RECORD_BYTES) {
    throw new SafeMeshError('DataTooLarge', `a share log record of ${content.length} bytes is over the limit of ${MAX_SHARE_LOG_RECORD_BYTES}`)
  }
  return content
}

/** An entry's content as a record and its signature (not yet verified); InvalidRequest if malformed. */
export function decodeShareLogRecord (content: Uint8Array): { record: ShareLogRecord, signature: Uint8Array } {
  const { v: _, signature, ...record } = decodeWith(recordSchema, content, { maxBytes: MAX_SHARE_LOG_RECORD_BYTES })
  return { record, signature }
}

/**
 * Verifies a log's entries in key order (every segment's, one after another): each key is the next
 * index from `start` with no gap, each content decodes, is signed by `owner`, holds its own index,
 * chains to the one before and was never updated. Stops at the first bad record and names it.
 */
export function verifyShareLog (
  entries: ReadonlyArray<{ key: Uint8Array, content: Uint8Array, version?: number }>,
  owner: Uint8Array,
  verify: VerifySignature,
  start: ShareLogStart = { index: 0, prev: SHARE_LOG_GENESIS }
): ShareLogVerification {
  const records: VerifiedShareLogRecord[] = []
  let prev = start.prev
  for (const [position, entry] of entries.entries()) {
    const index = start.index + position
    const fail = (fault: ShareLogFault, reason: string): ShareLogVerification => ({ ok: false, index, fault, reason: `${fault}: ${reason}`, records })
    const keyed = shareLogIndexOf(entry.key)
    if (keyed === undefined || keyed < index) return fail('malformed', `entry ${entryKeyId(entry.key)} is not the key of record ${index}`)
    if (keyed > index) return fail('removed', `record ${index} is missing (the log goes on at record ${keyed})`)
    if (entry.content.length === 0) return fail('removed', `record ${index} was deleted`)
    let decoded: { record: ShareLogRecord, signature: Uint8Array }
    try {
      decoded = decodeShareLogRecord(entry.content)
    } catch (err) {
      return fail('malformed', `record ${index} does not decode (${err instanceof Error ? err.message : String(err)})`)
    }
    const { record, signature } = decoded
    if (!verify(signature, shareLogSigningBytes(record), owner)) return fail('altered', `record ${index} is not signed by the owner`)
    if (record.index !== index) {
      return record.index < index || heldLater(entries, position + 1, index)
        ? fail('reordered', `the entry of record ${index} holds record ${record.index}`)
        : fail('removed', `the entry of record ${index} holds record ${record.index} (records ${index}–${record.index - 1} are gone)`)
    }
    if (!bytesEqual(record.prev, prev)) return fail('unchained', `record ${index} does not follow the record stored before it (${index === 0 ? 'it is not the first record' : `record ${index - 1} was replaced`})`)
    if (entry.version !== undefined && entry.version !== 0) return fail('altered', `record ${index} was updated after it was written (entry version ${entry.version})`)
    const hash = shareLogRecordHash(entry.content)
    records.push({ ...record, hash, signature })
    prev = hash
  }
  return { ok: true, records }
}

/**
 * Why `data` is not the segment of `owner`'s log starting at record `first` (undefined: it is):
 * tag 1005, named for the owner and `first`, owned by the owner alone, no one else permitted.
 */
export function shareLogSegmentProblem (data: MutableData, owner: Uint8Array, first: number): string | undefined {
  if (data.tag !== TYPE_TAG_SHARE_LOG) return `the segment has tag ${data.tag}, not ${TYPE_TAG_SHARE_LOG}`
  if (!bytesEqual(data.name, shareLogSegmentName(owner, first))) return `the segment of record ${first} has another name`
  if (data.owners.length !== 1 || !bytesEqual(data.owners[0] as Uint8Array, owner)) return `the segment of record ${first} is not owned by the log's owner`
  if (data.permissions.size > 0) return `the segment of record ${first} lets others than its owner change it`
  return undefined
}

/**
 * What Data-Managers and Maid-Managers may check of a `PutMData` of tag 1005, so that no one takes
 * the name of another's log: it must be the segment, for its owner, of its first entry's index (the
 * first segment when it has no entry), and grant no one anything. InvalidOperation otherwise.
 */
export function assertShareLogSegmentPut (data: MutableData): void {
  if (data.tag !== TYPE_TAG_SHARE_LOG) return
  const owner = data.owners[0]
  if (data.owners.length !== 1 || owner === undefined) return // InvalidOwners is decided elsewhere
  const first = listEntries(data)[0]
  const index = first === undefined ? 0 : shareLogIndexOf(first.key)
  const problem = index === undefined ? 'its first entry is not a record index' : shareLogSegmentProblem(data, owner, index)
  if (problem !== undefined) throw new SafeMeshError('InvalidOperation', `not a share log segment of ${bytesToHex(owner)}: ${problem}`)
}

/** Whether an entry from `position` on holds record `index` (moved there, so not removed). */
function heldLater (entries: ReadonlyArray<{ content: Uint8Array }>, position: number, index: number): boolean {
  return entries.slice(position).some(entry => {
    try {
      return decodeShareLogRecord(entry.content).record.index === index
    } catch {
      return false
    }
  })
}

function pickRecord (record: ShareLogRecord): ShareLogRecord {
  return { index: record.index, prev: record.prev, at: record.at, event: record.event }
}

function utf8 (text: string): Uint8Array {
  return new TextEncoder().encode(text)
}
