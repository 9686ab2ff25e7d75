import { createHash } from 'node:crypto'
import { asPlainBytes } from './bytes.js'

// Node's native (OpenSSL) hashes: measured here at ~300 MB/s for SHA3-256 on 1 MiB inputs, several
// times a WASM or pure-JS Keccak. SHA3-256 is the content hash of SPEC §1; SHA-256 is only for the
// libp2p kad-dht keyspace (closeness).

/** SHA3-256 digest (32 bytes): the content hash, data names and account names. */
export function sha3_256 (data: Uint8Array): Uint8Array {
  return asPlainBytes(createHash('sha3-256').update(data).digest())
}

/** SHA-256 digest (32 bytes): positions in the kad-dht keyspace. */
export function sha256 (data: Uint8Array): Uint8Array {
  return asPlainBytes(createHash('sha256').update(data).digest())
}

/** An incremental SHA3-256, for content that arrives in pieces. */
export interface Sha3_256Hasher {
  /** Feeds more bytes; returns the same hasher so calls chain. */
  update: (data: Uint8Array) => Sha3_256Hasher
  /** The digest of everything fed so far. The hasher can't be used afterwards. */
  digest: () => Uint8Array
}

/** Starts an incremental SHA3-256: `createSha3_256().update(a).update(b).digest()`. */
export function createSha3_256 (): Sha3_256Hasher {
  const hash = createHash('sha3-256')
  const hasher: Sha3_256Hasher = {
    update (data) {
      hash.update(data)
      return hasher
    },
    digest () {
      return asPlainBytes(hash.digest())
    }
  }
  return hasher
}

/**
 * SHAKE256 with `length` output bytes: an extendable-output function, used to stretch public
 * inputs (pre-hashes) into key, nonce and pad in one call with domain separation.
 */
export function shake256 (data: readonly Uint8Array[], length: number): Uint8Array {
  const hash = createHash('shake256', { outputLength: length })
  for (const part of data) hash.update(part)
  return asPlainBytes(hash.digest())
}
