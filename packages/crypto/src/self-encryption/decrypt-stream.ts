import { copyBytes, equalBytes } from '../bytes.js'
import { CryptoError } from '../errors.js'
import { sha3_256 } from '../hash.js'
import { decryptChunk } from './chunk-cipher.js'
import type { ChunkInfo, DataMap } from './data-map.js'
import { dataMapSize, validateDataMap } from './data-map.js'

/**
 * Fetches the encrypted chunk called `name` (the index is a hint, e.g. for progress). The signal
 * aborts when the reader stops early or is aborted, so an implementation can cancel its request.
 */
export type FetchChunk = (name: Uint8Array, index: number, signal: AbortSignal) => Promise<Uint8Array>

/** A byte range of the plaintext: `length` bytes from `offset` (both default to the whole file). */
export interface ByteRange {
  offset?: number
  /** Clipped at the end of the file, like reading past the end of a file. */
  length?: number
}

export interface SelfDecryptOptions {
  /** Chunks fetched and decrypted ahead of the reader (default 4, at least 1). Memory ≈ 2 × concurrency MiB. */
  concurrency?: number
  /** Aborts fetching; iteration rejects with the signal's reason. */
  signal?: AbortSignal
  /** Only this part of the file: only the chunks that overlap it are fetched. */
  range?: ByteRange
  /**
   * `fetchChunk` already checked that each chunk's content hashes to its name (a network chunk
   * store does, to tell an honest node's answer from a bad one). Then the content is the one the
   * data map names, its AEAD tag is still checked, and its plaintext is fixed by the content and
   * the data map: both SHA3-256 passes here (name and pre-hash) are skipped. SHA3 runs at
   * ~135 MB/s on this machine and was three quarters of a downloading client's time with
   * the three passes (store, name, pre-hash) a byte used to get.
   */
  namesChecked?: boolean
}

export const DEFAULT_DECRYPT_CONCURRENCY = 4

/**
 * Yields a file's plaintext in order, as chunk-sized pieces (SPEC §7), fetching up to
 * `concurrency` chunks ahead. Every chunk is checked before any of its bytes are yielded: its
 * SHA3-256 must equal its name ('IntegrityFailed'), its AEAD tag must verify ('DecryptionFailed'),
 * and its plaintext must have the recorded size and pre-hash ('IntegrityFailed'; with
 * `namesChecked`, the two hashes are the caller's check of the name instead). So the output is
 * always a correct prefix of the file, followed either by the rest or by a CryptoError.
 * Errors from fetchChunk propagate unchanged. Needs no cryptoReady().
 */
export async function * selfDecrypt (
  dataMap: DataMap,
  fetchChunk: FetchChunk,
  options: SelfDecryptOptions = {}
): AsyncGenerator<Uint8Array, void, undefined> {
  validateDataMap(dataMap)
  const { signal } = options
  const concurrency = options.concurrency ?? DEFAULT_DECRYPT_CONCURRENCY
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new CryptoError('InvalidInput', `selfDecrypt: concurrency must be a positive integer, got ${concurrency}`)
  }
  const { start, end } = resolveRange(options.range, dataMapSize(dataMap))
  signal?.throwIfAborted()
  if (start === end) return
  if (dataMap.kind === 'inline') {
    yield copyBytes(dataMap.content.subarray(start, end))
    return
  }

  const chunks = dataMap.chunks
  const offsets = chunkOffsets(chunks)
  const first = lastIndexAtOrBefore(offsets, start)
  const last = lastIndexAtOrBefore(offsets, end - 1)

  // Our own controller: aborted when the caller aborts, and when iteration stops for any reason,
  // so fetches still in flight are told to stop.
  const fetches = new AbortController()
  const forwardAbort = (): void => { fetches.abort(signal?.reason) }
  signal?.addEventListener('abort', forwardAbort, { once: true })

  const window: Array<Promise<Uint8Array>> = []
  let next = first
  const startNext = (): void => {
    const promise = readChunk(chunks, next, fetchChunk, fetches.signal, options.namesChecked === true)
    // Rejections are observed when the reader reaches the chunk; this stops an "unhandled" warning
    // for chunks the reader never reaches (early stop, earlier failure).
    promise.catch(() => {})
    window.push(promise)
    next++
  }
  try {
    // eslint-disable-next-line no-unmodified-loop-condition -- startNext() advances `next`
    while (next <= last && window.length < concurrency) startNext()
    for (let index = first; index <= last; index++) {
      const pending = window.shift()
      if (pending === undefined) throw new Error('unreachable: empty fetch window')
      const plaintext = await untilAborted(pending, fetches.signal)
      if (next <= last) startNext()
      const chunkStart = offsets[index] ?? 0
      const from = Math.max(start - chunkStart, 0)
      const to = Math.min(end - chunkStart, plaintext.length)
      yield from === 0 && to === plaintext.length ? plaintext : plaintext.subarray(from, to)
    }
  } finally {
    signal?.removeEventListener('abort', forwardAbort)
    fetches.abort(new Error('selfDecrypt: iteration stopped'))
  }
}

/** Fetches, checks and decrypts chunk `index`. */
async function readChunk (chunks: readonly ChunkInfo[], index: number, fetchChunk: FetchChunk, signal: AbortSignal, nameChecked: boolean): Promise<Uint8Array> {
  const chunk = chunkAt(chunks, index)
  const n = chunks.length
  const content = await fetchChunk(copyBytes(chunk.name), index, signal)
  if (!(content instanceof Uint8Array)) {
    throw new CryptoError('IntegrityFailed', `chunk ${index}: fetchChunk returned ${typeof content}, not bytes`)
  }
  if (!nameChecked && !equalBytes(sha3_256(content), chunk.name)) {
    throw new CryptoError('IntegrityFailed', `chunk ${index}: content does not hash to its name`)
  }
  const plaintext = decryptChunk(content, chunk.preHash, chunkAt(chunks, (index + n - 1) % n).preHash, chunkAt(chunks, (index + n - 2) % n).preHash)
  if (plaintext.length !== chunk.sourceSize || (!nameChecked && !equalBytes(sha3_256(plaintext), chunk.preHash))) {
    throw new CryptoError('IntegrityFailed', `chunk ${index}: plaintext does not match its pre-hash`)
  }
  return plaintext
}

function resolveRange (range: ByteRange | undefined, size: number): { start: number, end: number } {
  const start = range?.offset ?? 0
  const length = range?.length ?? size - start
  if (!Number.isSafeInteger(start) || start < 0 || start > size) {
    throw new CryptoError('InvalidInput', `selfDecrypt: range offset ${start} is outside a ${size}-byte file`)
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new CryptoError('InvalidInput', `selfDecrypt: range length must be a non-negative integer, got ${length}`)
  }
  return { start, end: Math.min(start + length, size) }
}

/** Plaintext offset of each chunk. */
function chunkOffsets (chunks: readonly ChunkInfo[]): number[] {
  const offsets: number[] = []
  let offset = 0
  for (const chunk of chunks) {
    offsets.push(offset)
    offset += chunk.sourceSize
  }
  return offsets
}

/** The last index whose offset is ≤ position (offsets ascending, offsets[0] = 0). */
function lastIndexAtOrBefore (offsets: readonly number[], position: number): number {
  let low = 0
  let high = offsets.length - 1
  while (low < high) {
    const mid = (low + high + 1) >>> 1
    if ((offsets[mid] ?? Infinity) <= position) low = mid
    else high = mid - 1
  }
  return low
}

function chunkAt (chunks: readonly ChunkInfo[], index: number): ChunkInfo {
  const chunk = chunks[index]
  if (chunk === undefined) throw new Error(`unreachable: no chunk ${index}`)
  return chunk
}

/** Waits for `promise`, but rejects with the signal's reason as soon as it aborts. */
function untilAborted<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value) },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error) }
    )
  })
}
