/**
 * Storing a file (SPEC §7): self-encryption as a stream, chunks uploaded as they come out with
 * bounded concurrency and per-chunk retries, then the data map stored on top (`data-map-chain.ts`).
 *
 * Memory is bounded whatever the file's size: self-encryption holds a few MiB, and at most
 * `concurrency` chunks wait for their uploads (self-encryption waits for a free upload slot before
 * reading on). A chunk already on the network costs nothing (`putImmutableData`), so running an
 * interrupted upload again pays only for what is missing.
 */
import { CHUNK_OVERHEAD_BYTES, encryptSymmetric, isCryptoError, selfEncrypt, type EncryptedChunk } from '@safemesh/crypto'
import { SafeMeshError, xorNameToHex } from '@safemesh/protocol'
import { Slots } from '@safemesh/net'
import { withRetries, type RetryPolicy } from '../quorum/retry.js'
import { buildTopChunk } from './data-map-chain.js'
import type { ChunkStore } from './chunk-store.js'

export interface UploadProgress {
  /** Plaintext bytes read from the source so far. */
  bytesRead: number
  /** Plaintext bytes whose chunks are stored. */
  bytesStored: number
  /** The file's size, when it was given. */
  totalBytes?: number
  /** Chunks uploaded and paid for. */
  chunksStored: number
  /** Chunks that were already on the network (free). */
  chunksAlreadyStored: number
}

export interface PutFileOptions {
  /** The file's size, when known: checked against the stream, and shown in progress. */
  size?: number
  /** Chunks uploaded at once (default 4). */
  concurrency?: number
  onProgress?: (progress: UploadProgress) => void
  signal?: AbortSignal
  /** Retries of one chunk after its request's own retries gave up (default: 3 tries in all, 1 s then 2 s apart). */
  chunkRetry?: RetryPolicy
  /**
   * Seals the top data-map chunk under this key (a private file, SPEC §9): without it the address
   * is the file's capability; with it the store never holds the data map, nor a small file's
   * content, in the clear.
   */
  topKey?: Uint8Array
}

export interface PutFileResult {
  /** The name of the top data-map chunk, as 64 hex characters. */
  address: string
  /** Plaintext bytes. */
  size: number
  /** The file's content chunks (0 when it is small enough to sit inside its data map). */
  chunks: number
}

export const DEFAULT_UPLOAD_CONCURRENCY = 4
export const DEFAULT_CHUNK_RETRY: Readonly<RetryPolicy> = Object.freeze({ attempts: 3, delay: 1_000, maxDelay: 4_000 })

export async function putFile (
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  store: ChunkStore,
  maxChunkSize: number,
  options: PutFileOptions = {}
): Promise<PutFileResult> {
  const concurrency = options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new SafeMeshError('InvalidRequest', 'concurrency must be a positive integer')
  const chunkRetry = options.chunkRetry ?? DEFAULT_CHUNK_RETRY
  const failed = new AbortController()
  const signal = options.signal == null ? failed.signal : AbortSignal.any([options.signal, failed.signal])
  const progress: UploadProgress = {
    bytesRead: 0,
    bytesStored: 0,
    ...(options.size !== undefined ? { totalBytes: options.size } : {}),
    chunksStored: 0,
    chunksAlreadyStored: 0
  }
  const report = (): void => { options.onProgress?.({ ...progress }) }

  const storeChunk = async (chunk: EncryptedChunk): Promise<void> => {
    const result = await withRetries(chunkRetry, signal, async () => await store.put(chunk.content, signal))
    if (result.alreadyStored) progress.chunksAlreadyStored++
    else progress.chunksStored++
  }

  const slots = new Slots(concurrency)
  const uploads = new Set<Promise<void>>()
  let failure: Error | undefined
  const upload = async (chunk: EncryptedChunk): Promise<void> => {
    await slots.acquire(signal)
    const running = storeChunk(chunk).then(() => {
      progress.bytesStored += Math.max(0, chunk.content.length - CHUNK_OVERHEAD_BYTES)
      report()
    }, (err: unknown) => {
      failure ??= err instanceof Error ? err : new Error(String(err))
      failed.abort(err)
    }).finally(() => {
      slots.release()
      uploads.delete(running)
    })
    uploads.add(running)
  }

  async function * counted (): AsyncGenerator<Uint8Array> {
    for await (const piece of source) {
      progress.bytesRead += piece.length
      report()
      yield piece
    }
  }

  let encrypted
  try {
    encrypted = await selfEncrypt(counted(), { onChunk: upload, signal, ...(options.size !== undefined ? { size: options.size } : {}) })
    await Promise.all([...uploads])
  } catch (err) {
    await Promise.allSettled([...uploads])
    if (failure !== undefined) throw failure
    // A size hint the stream contradicts, or a source yielding something other than bytes.
    if (isCryptoError(err)) throw new SafeMeshError('InvalidRequest', err.message)
    throw err
  }
  if (failure !== undefined) throw failure

  const { top } = await buildTopChunk(encrypted.dataMap, maxChunkSize, storeChunk, signal)
  const sealed = options.topKey === undefined ? top : encryptSymmetric(top, options.topKey)
  const stored = await withRetries(chunkRetry, signal, async () => await store.put(sealed, signal))
  progress.bytesStored = encrypted.size
  report()
  return {
    address: xorNameToHex(stored.name),
    size: encrypted.size,
    chunks: encrypted.dataMap.kind === 'chunks' ? encrypted.dataMap.chunks.length : 0
  }
}
