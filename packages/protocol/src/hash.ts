import { createHash } from 'node:crypto'

// Hashing is pure computation, so protocol does it itself with Node's native digests instead of
// depending on @safemesh/crypto (which sits beside protocol, not below it).

/** SHA3-256: the content hash of SPEC §1 (data names, account names, replica digests). */
export function sha3_256 (data: Uint8Array): Uint8Array {
  return toPlainBytes(createHash('sha3-256').update(data).digest())
}

/** SHA-256: only for positions in the libp2p kad-dht keyspace (SPEC §1, closeness). */
export function sha256 (data: Uint8Array): Uint8Array {
  return toPlainBytes(createHash('sha256').update(data).digest())
}

// A Buffer is a Uint8Array, but callers compare and encode names; a plain Uint8Array keeps
// equality checks (e.g. vitest's toEqual) and structured clones unsurprising.
function toPlainBytes (buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}
