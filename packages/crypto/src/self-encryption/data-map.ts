import { decode, encode } from 'cborg'
import { asPlainBytes, copyBytes, equalBytes } from '../bytes.js'
import { CryptoError } from '../errors.js'
import { chunkCount, chunkSizes, MIN_CHUNKED_FILE_SIZE } from './chunk-sizes.js'

/** What a data map records about one chunk (SPEC §7). */
export interface ChunkInfo {
  /** Position of the chunk in the file, from 0. */
  index: number
  /** SHA3-256 of the chunk's plaintext (32 bytes). */
  preHash: Uint8Array
  /** SHA3-256 of the encrypted chunk (32 bytes): its network name. */
  name: Uint8Array
  /** Plaintext bytes in the chunk. */
  sourceSize: number
}

/** How to rebuild a file: its content inline (under 3072 bytes), or its chunks in order. */
export type DataMap =
  | { kind: 'inline', content: Uint8Array }
  | { kind: 'chunks', chunks: ChunkInfo[] }

const HASH_BYTES = 32
const DATA_MAP_FORMAT_VERSION = 1

// Encoded form, canonical CBOR (cborg sorts map keys; strict decoding rejects non-minimal forms):
//   { v: 1, inline: bytes }
//   { v: 1, chunks: [[index, preHash, name, sourceSize], ...] }
// Tuples keep a 1 GiB file's map (1024 chunks) near 75 KiB. Exactly one encoding is accepted per
// map: decodeDataMap re-encodes and compares, so a data map's stored name is a function of its
// content.

/** The plaintext size of the file a data map describes. */
export function dataMapSize (map: DataMap): number {
  if (map.kind === 'inline') return map.content.length
  let total = 0
  for (const chunk of map.chunks) total += chunk.sourceSize
  return total
}

/**
 * Checks a data map built in code as strictly as decodeDataMap checks bytes: inline content under
 * 3072 bytes; otherwise indices 0..n−1 in order, 32-byte hashes, and source sizes exactly
 * chunkSizes(total). Throws CryptoError 'InvalidDataMap'.
 */
export function validateDataMap (map: DataMap): void {
  if (typeof map !== 'object' || map === null) invalid('not an object')
  if (map.kind === 'inline') {
    if (!(map.content instanceof Uint8Array)) invalid('inline content must be bytes')
    if (map.content.length >= MIN_CHUNKED_FILE_SIZE) {
      invalid(`inline content of ${map.content.length} bytes must be chunked`)
    }
    return
  }
  if (map.kind !== 'chunks') invalid('unknown kind')
  if (!Array.isArray(map.chunks)) invalid('chunks must be an array')
  let total = 0
  map.chunks.forEach((chunk, position) => {
    if (typeof chunk !== 'object' || chunk === null) invalid(`chunk ${position} is not an object`)
    if (chunk.index !== position) invalid(`chunk ${position} has index ${String(chunk.index)}`)
    if (!(chunk.preHash instanceof Uint8Array) || chunk.preHash.length !== HASH_BYTES) invalid(`chunk ${position}: bad preHash`)
    if (!(chunk.name instanceof Uint8Array) || chunk.name.length !== HASH_BYTES) invalid(`chunk ${position}: bad name`)
    if (!Number.isSafeInteger(chunk.sourceSize) || chunk.sourceSize <= 0) invalid(`chunk ${position}: bad sourceSize`)
    total += chunk.sourceSize
  })
  if (!Number.isSafeInteger(total)) invalid('total size is too large')
  if (chunkCount(total) !== map.chunks.length) invalid(`a ${total}-byte file has ${chunkCount(total)} chunks, not ${map.chunks.length}`)
  const expected = chunkSizes(total)
  if (expected.some((size, i) => map.chunks[i]?.sourceSize !== size)) {
    invalid(`chunk sizes do not match the layout of a ${total}-byte file`)
  }
}

/** Canonical CBOR bytes of a data map. Throws CryptoError 'InvalidDataMap' if the map is invalid. */
export function encodeDataMap (map: DataMap): Uint8Array {
  validateDataMap(map)
  const value = map.kind === 'inline'
    ? { v: DATA_MAP_FORMAT_VERSION, inline: map.content }
    : { v: DATA_MAP_FORMAT_VERSION, chunks: map.chunks.map((c) => [c.index, c.preHash, c.name, c.sourceSize]) }
  return asPlainBytes(encode(value))
}

/**
 * Parses bytes from encodeDataMap, validating every field and that the bytes are the canonical
 * encoding. Throws CryptoError 'InvalidDataMap'.
 */
export function decodeDataMap (bytes: Uint8Array): DataMap {
  if (!(bytes instanceof Uint8Array)) invalid('expected bytes')
  let value: unknown
  try {
    value = decode(bytes, { strict: true, rejectDuplicateMapKeys: true, allowUndefined: false, allowIndefinite: false, allowBigInt: false })
  } catch (error) {
    throw new CryptoError('InvalidDataMap', 'data map: not valid CBOR', { cause: error })
  }
  const map = fromEncoded(value)
  validateDataMap(map)
  if (!equalBytes(encodeDataMap(map), bytes)) invalid('not in canonical form')
  return map
}

function fromEncoded (value: unknown): DataMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    invalid('expected a CBOR map')
  }
  const record = value as Record<string, unknown>
  const fields = Object.keys(record).sort().join(',')
  if (record['v'] !== DATA_MAP_FORMAT_VERSION) invalid(`unsupported version ${String(record['v'])}`)
  if (fields === 'inline,v') {
    return { kind: 'inline', content: bytesOf(record['inline'], 'inline') }
  }
  if (fields !== 'chunks,v') invalid(`unexpected fields ${fields}`)
  const chunks = record['chunks']
  if (!Array.isArray(chunks)) invalid('chunks must be an array')
  return {
    kind: 'chunks',
    chunks: chunks.map((entry: unknown, position): ChunkInfo => {
      if (!Array.isArray(entry) || entry.length !== 4) invalid(`chunk ${position} must be a 4-tuple`)
      const [index, preHash, name, sourceSize] = entry as unknown[]
      if (typeof index !== 'number' || typeof sourceSize !== 'number') invalid(`chunk ${position}: index and size must be integers`)
      return { index, preHash: bytesOf(preHash, 'preHash'), name: bytesOf(name, 'name'), sourceSize }
    })
  }
}

function bytesOf (value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(`${what} must be bytes`)
  // Copy: decoded byte strings may be views into the caller's buffer (and may be Buffers, whose
  // slice() does not copy).
  return copyBytes(value)
}

function invalid (reason: string): never {
  throw new CryptoError('InvalidDataMap', `data map: ${reason}`)
}
