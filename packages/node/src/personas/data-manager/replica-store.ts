import { decodeWith, encodeWith, mutableDataSchema, object, sha3_256, uint, xorNameToHex, type MutableData, type XorName } from '@safemesh/protocol'
import type { Store } from '../../store/store.js'

/** A MutableData replica as stored: the data and the sequence number of the last mutation applied. */
const replicaSchema = object({ data: mutableDataSchema, seq: uint() })

export interface Replica {
  data: MutableData | undefined
  seq: number
  /** SHA3-256 of the stored form (data and seq): equal digests mean the very same replica. */
  digest?: Uint8Array
}

export function replicaKey (name: XorName, tag: number): string {
  return `${xorNameToHex(name)}/${tag}`
}

export function parseReplicaKey (key: string): { nameHex: string, tag: number } {
  const [nameHex, tag] = key.split('/')
  return { nameHex: nameHex as string, tag: Number(tag) }
}

/** The stored form of a replica and its digest, as every member computes them. */
export function encodeReplica (data: MutableData, seq: number): { bytes: Uint8Array, digest: Uint8Array } {
  const bytes = encodeWith(replicaSchema, { data, seq })
  return { bytes, digest: sha3_256(bytes) }
}

/** MutableData replicas in the node's store, with an in-memory copy of the ones in use. */
export class ReplicaStore {
  private readonly store: Store
  private readonly cache = new Map<string, Replica>()

  constructor (store: Store) {
    this.store = store
  }

  async get (key: string): Promise<Replica> {
    const cached = this.cache.get(key)
    if (cached != null) return cached
    const bytes = await this.store.get('mdata', key)
    const replica: Replica = bytes == null ? { data: undefined, seq: 0 } : { ...decodeWith(replicaSchema, bytes), digest: sha3_256(bytes) }
    this.cache.set(key, replica)
    return replica
  }

  async put (key: string, replica: Replica): Promise<void> {
    if (replica.data == null) {
      this.cache.set(key, { data: undefined, seq: replica.seq })
      return
    }
    const { bytes, digest } = encodeReplica(replica.data, replica.seq)
    await this.store.put('mdata', key, bytes)
    this.cache.set(key, { data: replica.data, seq: replica.seq, digest })
  }

  async * keys (): AsyncGenerator<string> {
    yield * this.store.keys('mdata')
  }
}
