import { CryptoError } from '../errors.js'

// How a file of a given size is cut into chunks (SPEC §7). The layout depends only on the total
// size, so every client cuts the same file the same way — a precondition for deduplication.

/** Files smaller than this are stored inline in their data map, with no chunks. */
export const MIN_CHUNKED_FILE_SIZE = 3072
/** Files smaller than this (and at least MIN_CHUNKED_FILE_SIZE) are cut into exactly three chunks. */
export const MIN_FIXED_CHUNKS_FILE_SIZE = 3 * 1024 * 1024
/** The size of every chunk of a large file except (possibly) the last two. */
export const MAX_CHUNK_SIZE = 1024 * 1024
/** The smallest last chunk a large file may have; a smaller remainder borrows from its neighbour. */
export const MIN_CHUNK_SIZE = 1024

/**
 * The plaintext size of each chunk of a file of `totalSize` bytes, in order; empty when the file
 * is small enough to be stored inline.
 *
 * - size < 3072: [] (inline).
 * - 3072 ≤ size < 3 MiB: [floor(size/3), floor(size/3), the rest].
 * - size ≥ 3 MiB: ceil(size / 1 MiB) chunks of 1 MiB, the last holding the remainder; when that
 *   remainder is non-zero and under 1 KiB, the last two are (1 MiB − 1 KiB) and (1 KiB + remainder),
 *   so no chunk is ever tiny.
 *
 * Throws CryptoError 'InvalidInput' unless totalSize is a non-negative safe integer.
 */
export function chunkSizes (totalSize: number): number[] {
  if (!Number.isSafeInteger(totalSize) || totalSize < 0) {
    throw new CryptoError('InvalidInput', `chunkSizes: size must be a non-negative safe integer, got ${totalSize}`)
  }
  if (totalSize < MIN_CHUNKED_FILE_SIZE) return []
  if (totalSize < MIN_FIXED_CHUNKS_FILE_SIZE) {
    const third = Math.floor(totalSize / 3)
    return [third, third, totalSize - 2 * third]
  }
  const fullChunks = Math.floor(totalSize / MAX_CHUNK_SIZE)
  const remainder = totalSize % MAX_CHUNK_SIZE
  const sizes: number[] = new Array<number>(fullChunks).fill(MAX_CHUNK_SIZE)
  if (remainder === 0) return sizes
  if (remainder >= MIN_CHUNK_SIZE) {
    sizes.push(remainder)
  } else {
    sizes[fullChunks - 1] = MAX_CHUNK_SIZE - MIN_CHUNK_SIZE
    sizes.push(MIN_CHUNK_SIZE + remainder)
  }
  return sizes
}

/**
 * How many chunks a file of `totalSize` bytes has (0 when inline), without building the list —
 * so a hostile data map claiming a huge size can be rejected cheaply.
 */
export function chunkCount (totalSize: number): number {
  if (!Number.isSafeInteger(totalSize) || totalSize < 0) {
    throw new CryptoError('InvalidInput', `chunkCount: size must be a non-negative safe integer, got ${totalSize}`)
  }
  if (totalSize < MIN_CHUNKED_FILE_SIZE) return 0
  if (totalSize < MIN_FIXED_CHUNKS_FILE_SIZE) return 3
  return Math.ceil(totalSize / MAX_CHUNK_SIZE)
}
