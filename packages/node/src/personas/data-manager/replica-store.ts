import {
  SafeMeshError, array, bytes, bytesEqual, certifies, decisionCertificateSchema, decodeResponse, decodeWith, encodeResponse, encodeWith, errorResponse,
  isErrorResponse, mutableDataSchema, object, responseError, sha3_256, uint, xorNameToHex,
  type DecisionCertificate, type MutableData, type Response, type XorName
} from '@safemesh/protocol'
import type { Store } from '../../store/store.js'

/** A MutableData replica as stored: the data and the sequence number of the last mutation applied. */
const replicaSchema = object({ data: mutableDataSchema, seq: uint() })

export interface Replica {
  data: MutableData | undefined
  seq: number
  /** SHA3-256 of the stored form (data and seq): equal digests mean the very same replica. */
  digest?: Uint8Array
  /** Q members' signed votes for the step this replica holds, when this node kept them (docs/protocol.md). */
  certificate?: DecisionCertificate
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

/** The digest a step leaves: of the stored form, or of nothing when the data does not exist (a refused creation). */
export function stateDigest (data: MutableData | undefined, seq: number): Uint8Array {
  return data == null ? sha3_256(encodeWith(object({ seq: uint() }), { seq })) : encodeReplica(data, seq).digest
}

/**
 * Outcomes of a replica's last mutations kept on disk with it: a retry that comes after the
 * Maid-Managers' and this node's memory of it (a restart, 60 s) is answered, not applied again.
 */
export const KEPT_OUTCOMES = 64
const outcomesSchema = array(object({ requestId: bytes({ length: 32 }), outcome: bytes() }), KEPT_OUTCOMES)

/** What a step's mutation came to: its reply, or the refusal every member gives. */
export type Outcome = Response | SafeMeshError

/** Bytes of stored replicas kept in memory: the ones in use, not every one ever read (issue 14). */
const CACHE_BYTES = 32 * 1024 * 1024

/**
 * MutableData replicas in the node's store, each with the certificate of its step when one was
 * kept (written in the same batch), and an in-memory copy of the ones used last, bounded in bytes.
 * A read of data not held here caches nothing, so strangers' reads grow no state.
 */
export class ReplicaStore {
  private readonly store: Store
  /** Least recently used first; each with the size of its stored form. */
  private readonly cache = new Map<string, { replica: Replica, bytes: number }>()
  private cachedBytes = 0
  /** Steps a quorum decided that left no data (a refused creation): never stored, few, kept until data comes. */
  private readonly bodiless = new Map<string, Replica>()

  constructor (store: Store) {
    this.store = store
  }

  async get (key: string): Promise<Replica> {
    const cached = this.cache.get(key)
    if (cached != null) {
      this.cache.delete(key)
      this.cache.set(key, cached)
      return cached.replica
    }
    const bytes = await this.store.get('mdata', key)
    if (bytes == null) return this.bodiless.get(key) ?? { data: undefined, seq: 0 }
    const replica: Replica = { ...decodeWith(replicaSchema, bytes), digest: sha3_256(bytes) }
    const certificate = await this.certificateOf(key, replica)
    if (certificate != null) replica.certificate = certificate
    this.remember(key, replica, bytes.length)
    return replica
  }

  /**
   * Writes a replica; its certificate is kept only when it certifies this very replica. `applied`:
   * the mutation of the step it holds (by request id) and its outcome, kept with the last ones.
   */
  async put (key: string, replica: Replica, applied?: { requestId: Uint8Array, outcome: Outcome }): Promise<void> {
    if (replica.data == null) {
      this.bodiless.set(key, { data: undefined, seq: replica.seq })
      return
    }
    const { bytes, digest } = encodeReplica(replica.data, replica.seq)
    const certificate = replica.certificate != null && certifies(replica.certificate, replica.seq, digest) ? replica.certificate : undefined
    const outcomes = applied == null ? undefined : [...(await this.outcomes(key)).slice(1 - KEPT_OUTCOMES), { requestId: applied.requestId, outcome: encodeOutcome(applied.outcome) }]
    await this.store.putAll([
      { section: 'mdata', key, value: bytes },
      ...(certificate != null ? [{ section: 'certificate' as const, key, value: encodeWith(decisionCertificateSchema, certificate) }] : []),
      ...(outcomes != null ? [{ section: 'outcome' as const, key, value: encodeWith(outcomesSchema, outcomes) }] : [])
    ])
    this.bodiless.delete(key)
    this.remember(key, { data: replica.data, seq: replica.seq, digest, ...(certificate != null ? { certificate } : {}) }, bytes.length)
  }

  private remember (key: string, replica: Replica, bytes: number): void {
    const old = this.cache.get(key)
    if (old != null) this.cachedBytes -= old.bytes
    this.cache.delete(key)
    this.cache.set(key, { replica, bytes })
    this.cachedBytes += bytes
    for (const [oldest, entry] of this.cache) {
      if (this.cachedBytes <= CACHE_BYTES || oldest === key) break
      this.cache.delete(oldest)
      this.cachedBytes -= entry.bytes
    }
  }

  /** The kept outcome of mutation `requestId` on the replica of `key`, if it is among its last {@link KEPT_OUTCOMES}. */
  async outcomeOf (key: string, requestId: Uint8Array): Promise<Outcome | undefined> {
    const kept = (await this.outcomes(key)).find(o => bytesEqual(o.requestId, requestId))
    return kept == null ? undefined : decodeOutcome(kept.outcome)
  }

  private async outcomes (key: string): Promise<Array<{ requestId: Uint8Array, outcome: Uint8Array }>> {
    const bytes = await this.store.get('outcome', key)
    return bytes == null ? [] : decodeWith(outcomesSchema, bytes)
  }

  async * keys (): AsyncGenerator<string> {
    yield * this.store.keys('mdata')
  }

  /** A stored certificate of an earlier step (the replica moved on without one) is not this replica's. */
  private async certificateOf (key: string, replica: Replica): Promise<DecisionCertificate | undefined> {
    const bytes = await this.store.get('certificate', key)
    if (bytes == null || replica.digest == null) return undefined
    try {
      const certificate = decodeWith(decisionCertificateSchema, bytes)
      return certifies(certificate, replica.seq, replica.digest) ? certificate : undefined
    } catch {
      return undefined
    }
  }
}

function encodeOutcome (outcome: Outcome): Uint8Array {
  return encodeResponse(outcome instanceof SafeMeshError ? errorResponse(outcome) : outcome)
}

function decodeOutcome (bytes: Uint8Array): Outcome {
  const response = decodeResponse(bytes)
  return isErrorResponse(response) ? responseError(response) : response
}
