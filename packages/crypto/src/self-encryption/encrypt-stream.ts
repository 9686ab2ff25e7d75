import { checkBytes } from '../check.js'
import { CryptoError } from '../errors.js'
import { sha3_256 } from '../hash.js'
import { encryptChunk } from './chunk-cipher.js'
import type { ChunkInfo, DataMap } from './data-map.js'
import { StreamChunker } from './stream-chunker.js'
import { yieldToEventLoop } from './yield-to-event-loop.js'

/** One encrypted chunk, ready to be stored as ImmutableData under `name`. */
export interface EncryptedChunk {
  index: number
  /** SHA3-256(content), 32 bytes. */
  name: Uint8Array
  content: Uint8Array
}

export interface SelfEncryptOptions {
  /** Expected total size. Optional; when given, a stream of any other length fails with CryptoError 'InvalidInput'. */
  size?: number
  /**
   * Receives each chunk as soon as it is final. Awaited before more input is read (back-pressure):
   * to upload several chunks at once, resolve early (e.g. once the chunk is queued in a bounded
   * upload queue) and wait for the uploads after selfEncrypt returns.
   * Order: chunks 2…n−1 as the stream is read, then 0 and 1 (they depend on the last pre-hashes).
   */
  onChunk: (chunk: EncryptedChunk) => Promise<void> | void
  /** Stops between chunks, rejecting with the signal's reason. */
  signal?: AbortSignal
}

export interface SelfEncryptResult {
  dataMap: DataMap
  /** Total plaintext bytes read. */
  size: number
}

/**
 * Self-encrypts a stream (SPEC §7) without knowing its length in advance. Memory stays at a few
 * MiB whatever the file size: the chunker's buffer (≤ 4 MiB), the plaintexts of chunks 0 and 1
 * (held until the end) and one chunk being encrypted. The source may reuse its buffers between
 * iterations. Needs no cryptoReady().
 */
export async function selfEncrypt (
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: SelfEncryptOptions
): Promise<SelfEncryptResult> {
  const { size: expectedSize, onChunk, signal } = options
  if (expectedSize !== undefined && (!Number.isSafeInteger(expectedSize) || expectedSize < 0)) {
    throw new CryptoError('InvalidInput', `selfEncrypt: size must be a non-negative safe integer, got ${expectedSize}`)
  }
  signal?.throwIfAborted()
  const chunker = new StreamChunker()
  const preHashes: Uint8Array[] = []
  const sourceSizes: number[] = []
  const names: Uint8Array[] = []
  // Plaintexts of chunks 0 and 1: their keys come from the last two pre-hashes.
  const held: Uint8Array[] = []

  const emit = async (index: number, plaintext: Uint8Array, previous: Uint8Array, secondPrevious: Uint8Array): Promise<void> => {
    const { content, name } = encryptChunk(plaintext, at(preHashes, index), previous, secondPrevious)
    names[index] = name
    signal?.throwIfAborted()
    await onChunk({ index, name, content })
    signal?.throwIfAborted()
    await yieldToEventLoop()
  }

  const accept = async (plaintext: Uint8Array): Promise<void> => {
    const index = preHashes.length
    preHashes.push(sha3_256(plaintext))
    sourceSizes.push(plaintext.length)
    if (index < 2) {
      held.push(plaintext)
      return
    }
    await emit(index, plaintext, at(preHashes, index - 1), at(preHashes, index - 2))
  }

  for await (const piece of source) {
    checkBytes(piece, 'selfEncrypt: source piece')
    signal?.throwIfAborted()
    // Checked before encrypting anything of this piece, so a wrong hint costs no uploads.
    if (expectedSize !== undefined && chunker.total + piece.length > expectedSize) {
      throw new CryptoError('InvalidInput', `selfEncrypt: stream is longer than the given size ${expectedSize}`)
    }
    for (const plaintext of chunker.push(piece)) await accept(plaintext)
  }

  const end = chunker.finish()
  const size = end.kind === 'inline' ? end.content.length : end.total
  if (expectedSize !== undefined && size !== expectedSize) {
    throw new CryptoError('InvalidInput', `selfEncrypt: stream has ${size} bytes, expected ${expectedSize}`)
  }
  if (end.kind === 'inline') return { dataMap: { kind: 'inline', content: end.content }, size }

  for (const plaintext of end.remaining) await accept(plaintext)
  const n = preHashes.length
  await emit(0, at(held, 0), at(preHashes, n - 1), at(preHashes, n - 2))
  await emit(1, at(held, 1), at(preHashes, 0), at(preHashes, n - 1))

  const chunks: ChunkInfo[] = preHashes.map((preHash, index) => ({
    index,
    preHash,
    name: at(names, index),
    sourceSize: at(sourceSizes, index)
  }))
  return { dataMap: { kind: 'chunks', chunks }, size }
}

function at<T> (array: readonly T[], index: number): T {
  const value = array[index]
  if (value === undefined) throw new Error(`unreachable: missing entry ${index}`)
  return value
}
