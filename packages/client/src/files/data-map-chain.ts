/**
 * How a file's data map is stored (SPEC §7): as ImmutableData, the file's address being the name of
 * its top chunk. The top chunk is
 *
 *     encode({v: 1, depth: d, map: encodeDataMap(m)})
 *
 * With depth 0, `m` is the file's own data map. When that envelope is larger than one chunk may be,
 * the encoded map is self-encrypted like a file and `m` becomes the data map of that, depth 1; and
 * so on. A 1 GiB file's map is ~75 KiB, so depth 0 holds files up to ~14 TiB; deeper levels are
 * for larger ones. The depth tells a reader how many times to decrypt a map before the file.
 *
 * Anyone holding the address can read the file: the data map is its capability (SAFE's public,
 * deduplicated files). A private file seals the top chunk under its own key (`PutFileOptions.topKey`).
 */
import { MIN_CHUNKED_FILE_SIZE, decodeDataMap, encodeDataMap, selfDecryptBytes, selfEncrypt, type DataMap, type EncryptedChunk, type FetchChunk } from '@safemesh/crypto'
import { SafeMeshError, bytes, decodeWith, encodeWith, literal, object, uint } from '@safemesh/protocol'

/** Deep enough for any file that fits in 2^53 bytes; bounds the work a hostile top chunk can ask for. */
export const MAX_DATA_MAP_DEPTH = 8

const envelopeSchema = object({ v: literal(1), depth: uint(MAX_DATA_MAP_DEPTH), map: bytes() })

function encodeTopChunk (depth: number, encodedMap: Uint8Array): Uint8Array {
  return encodeWith(envelopeSchema, { v: 1, depth, map: encodedMap })
}

/**
 * The top chunk for `dataMap`, storing every intermediate map chunk through `storeChunk` first
 * (awaited one by one: map levels are small). `maxChunkSize` is the network's ImmutableData limit.
 */
export async function buildTopChunk (
  dataMap: DataMap,
  maxChunkSize: number,
  storeChunk: (chunk: EncryptedChunk) => Promise<void>,
  signal?: AbortSignal
): Promise<{ top: Uint8Array, depth: number }> {
  let depth = 0
  let encoded = encodeDataMap(dataMap)
  while (encodeTopChunk(depth, encoded).length > maxChunkSize) {
    // Self-encrypting fewer than 3072 bytes only wraps them (an inline map): nothing would shrink.
    if (depth >= MAX_DATA_MAP_DEPTH || encoded.length < MIN_CHUNKED_FILE_SIZE) {
      throw new SafeMeshError('DataTooLarge', `a data map of ${encoded.length} bytes cannot be stored in chunks of ${maxChunkSize}`)
    }
    const level = await selfEncrypt([encoded], { size: encoded.length, onChunk: storeChunk, ...(signal != null ? { signal } : {}) })
    encoded = encodeDataMap(level.dataMap)
    depth++
  }
  return { top: encodeTopChunk(depth, encoded), depth }
}

/**
 * The file's data map from its top chunk, decrypting intermediate levels through `fetchChunk`.
 * A chunk that is not a top chunk is `InvalidRequest` (the address is not a file's).
 */
export async function resolveTopChunk (top: Uint8Array, fetchChunk: FetchChunk): Promise<DataMap> {
  let envelope
  let map: DataMap
  try {
    envelope = decodeWith(envelopeSchema, top)
    map = decodeDataMap(envelope.map)
  } catch {
    throw new SafeMeshError('InvalidRequest', 'that address holds no file (its chunk is not a data map)')
  }
  for (let depth = envelope.depth; depth > 0; depth--) {
    const encoded = await selfDecryptBytes(map, fetchChunk)
    try {
      map = decodeDataMap(encoded)
    } catch {
      throw new SafeMeshError('InvalidRequest', `level ${depth} of the file's data map is not a data map`)
    }
  }
  return map
}
