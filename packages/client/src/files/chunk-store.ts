import type { XorName } from '@safemesh/protocol'
import type { PutIDataResult } from '../requests/chunk-upload.js'

/** Where files keep their chunks: the network's ImmutableData, or a fake in tests. */
export interface ChunkStore {
  /** Stores a chunk (verified and charged as PutIData). */
  put (value: Uint8Array, signal?: AbortSignal): Promise<PutIDataResult>
  /** A chunk's bytes, already checked against its name. */
  get (name: XorName, signal?: AbortSignal): Promise<Uint8Array>
}
