/** A file's plaintext size from its data map alone (what an HTTP Range or Content-Length needs). */
import { dataMapSize } from '@safemesh/crypto'
import type { XorName } from '@safemesh/protocol'
import type { ChunkStore } from '../files/chunk-store.js'
import { resolveTopChunk } from '../files/data-map-chain.js'
import { DEFAULT_CHUNK_RETRY } from '../files/put-file.js'
import { withRetries } from '../quorum/retry.js'
import type { RequestOptions } from '../requests/request-context.js'

/** Reads the top chunk (and the map's own levels of a very large file), never the content. */
export async function fileSize (address: XorName, store: ChunkStore, options: RequestOptions = {}): Promise<number> {
  const { signal } = options
  const get = async (name: Uint8Array, fetchSignal?: AbortSignal): Promise<Uint8Array> =>
    await withRetries(DEFAULT_CHUNK_RETRY, fetchSignal, async () => await store.get(name, fetchSignal))
  const top = await get(address, signal)
  const map = await resolveTopChunk(top, async (name, _index, fetchSignal) => await get(name, signal == null ? fetchSignal : AbortSignal.any([signal, fetchSignal])))
  return dataMapSize(map)
}
