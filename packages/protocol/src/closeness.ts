/**
 * Closeness in the libp2p kad-dht keyspace (SPEC §1), so that a node's own view of a close group
 * agrees with what kad-dht's `getClosestPeers` finds: positions are SHA-256 digests, distance is
 * their XOR read as a big-endian number.
 */
import { sha256 } from './hash.js'
import type { XorName } from './xorname.js'

/** A name's position: SHA-256 of its 32 bytes. */
export function kadPositionOfName (name: XorName): Uint8Array {
  return sha256(name)
}

/** A peer's position: SHA-256 of its peer-id multihash bytes (`peerId.toMultihash().bytes`). */
export function kadPositionOfPeer (peerIdMultihashBytes: Uint8Array): Uint8Array {
  return sha256(peerIdMultihashBytes)
}

/** XOR of two equal-length positions. */
export function xorDistance (a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError(`cannot compare positions of ${a.length} and ${b.length} bytes`)
  const d = new Uint8Array(a.length)
  for (let i = 0; i < a.length; i++) d[i] = (a[i] as number) ^ (b[i] as number)
  return d
}

/**
 * Negative when `a` is closer to `target` than `b`, positive when farther, 0 when equal.
 * Compares byte by byte without building the distances: the first differing byte decides.
 */
export function compareDistance (target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  if (a.length !== target.length || b.length !== target.length) {
    throw new RangeError('positions must have the same length')
  }
  for (let i = 0; i < target.length; i++) {
    const t = target[i] as number
    const da = (a[i] as number) ^ t
    const db = (b[i] as number) ^ t
    if (da !== db) return da < db ? -1 : 1
  }
  return 0
}

/** True when `a` is strictly closer to `target` than `b`. */
export function isCloser (target: Uint8Array, a: Uint8Array, b: Uint8Array): boolean {
  return compareDistance(target, a, b) < 0
}

/**
 * The `count` items nearest to `target`, nearest first. Items at the same position (the same peer
 * seen twice, say) keep their input order, so every caller given the same input gets the same answer.
 */
export function closestTo<T> (target: Uint8Array, items: Iterable<T>, count: number, positionOf: (item: T) => Uint8Array): T[] {
  if (count <= 0) return []
  const ranked = Array.from(items, (item, index) => ({ item, index, position: positionOf(item) }))
  // Equal distance means equal position (XOR with a fixed target is one-to-one), so input order is
  // the only tie-break left.
  ranked.sort((x, y) => compareDistance(target, x.position, y.position) || x.index - y.index)
  return ranked.slice(0, count).map((r) => r.item)
}
