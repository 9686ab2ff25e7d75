import { toHex } from '../bytes.js'
import { checkBytes } from '../check.js'
import { CryptoError } from '../errors.js'
import type { DataMap } from './data-map.js'
import { dataMapSize } from './data-map.js'
import type { FetchChunk } from './decrypt-stream.js'
import { selfDecrypt } from './decrypt-stream.js'
import { selfEncrypt } from './encrypt-stream.js'

// Whole-buffer wrappers over the streaming functions, for small data (encoded data maps, directory
// listings) and tests. Everything is held in memory: use selfEncrypt/selfDecrypt for files.

export interface SelfEncryptedBytes {
  dataMap: DataMap
  /** Encrypted chunks by lowercase-hex name. Empty for an inline data map. */
  chunks: Map<string, Uint8Array>
}

/** Self-encrypts a buffer, collecting the chunks. */
export async function selfEncryptBytes (bytes: Uint8Array): Promise<SelfEncryptedBytes> {
  checkBytes(bytes, 'selfEncryptBytes')
  const chunks = new Map<string, Uint8Array>()
  const { dataMap } = await selfEncrypt([bytes], {
    size: bytes.length,
    onChunk: ({ name, content }) => { chunks.set(toHex(name), content) }
  })
  return { dataMap, chunks }
}

/**
 * Decrypts a whole file into one buffer, from a map of chunks by hex name (as selfEncryptBytes
 * returns) or any FetchChunk. A chunk missing from the map is CryptoError 'InvalidInput';
 * every check of selfDecrypt applies.
 */
export async function selfDecryptBytes (
  dataMap: DataMap,
  chunks: ReadonlyMap<string, Uint8Array> | FetchChunk
): Promise<Uint8Array> {
  const fetchChunk: FetchChunk = typeof chunks === 'function'
    ? chunks
    : async (name) => {
      const content = chunks.get(toHex(name))
      if (content === undefined) throw new CryptoError('InvalidInput', `selfDecryptBytes: chunk ${toHex(name)} is missing`)
      return content
    }
  const out = new Uint8Array(dataMapSize(dataMap))
  let offset = 0
  for await (const piece of selfDecrypt(dataMap, fetchChunk)) {
    out.set(piece, offset)
    offset += piece.length
  }
  return out
}
