import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { closestTo, kadPositionOfName, kadPositionOfPeer, type XorName } from '@safemesh/protocol'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/**
 * Where a ground key must land among the nodes of a name's close group:
 * - `member`: anywhere among the G nearest;
 * - `follower`: among the G nearest but never the nearest, so the name keeps an honest sequencer;
 * - `nearest`: nearer than every node, so it is the name's sequencer (only one key).
 */
export type Rank = 'member' | 'follower' | 'nearest'

export interface GrindOptions {
  /** The key must land so for every one of these names. */
  names: readonly XorName[]
  /** Peer ids (strings) of the nodes already in the network. */
  nodes: readonly string[]
  count: number
  groupSize: number
  rank?: Rank
}

/** A node id is free to generate (ARCHITECTURE.md): this is what an attacker does in milliseconds. */
const MAX_TRIES = 20_000

export function positionOf (peer: PeerId | string): Uint8Array {
  const id = typeof peer === 'string' ? peerIdFromString(peer) : peer
  return kadPositionOfPeer(id.toMultihash().bytes)
}

/** The `count` (default G) of `peers` nearest to `name`, nearest first: the true close group. */
export function trueGroup (name: XorName, peers: readonly string[], count: number): string[] {
  return closestTo(kadPositionOfName(name), peers, count, positionOf)
}

/**
 * Peer keys that will sit, once they join the network's `nodes`, in the close
 * group of every name, at the rank asked (ground: random keys until one fits).
 */
export async function grindKeys (options: GrindOptions): Promise<PrivateKey[]> {
  const { names, nodes, count, groupSize, rank = 'member' } = options
  if (rank === 'nearest' && count !== 1) throw new RangeError('only one node can be the nearest')
  const targets = names.map(kadPositionOfName)
  const known = nodes.map(id => positionOf(id))
  const keys: PrivateKey[] = []
  const chosen: Uint8Array[] = []
  for (let tries = 0; keys.length < count && tries < MAX_TRIES; tries++) {
    const key = await generateKeyPair('Ed25519')
    const position = positionOf(peerIdFromPrivateKey(key))
    const all = [...known, ...chosen, position]
    // Room must be left in the group for the keys still to come.
    const within = groupSize - (count - keys.length - 1)
    const fits = targets.every(target => {
      const ranked = closestTo(target, all, within, p => p)
      if (!ranked.includes(position)) return false
      if (rank === 'nearest') return ranked[0] === position
      if (rank === 'follower') return ranked[0] !== position
      return true
    })
    if (fits) {
      keys.push(key)
      chosen.push(position)
    }
  }
  if (keys.length < count) throw new Error(`could not grind ${count} keys (${rank}) near ${names.length} names`)
  return keys
}

/**
 * Peer keys that will sit among the G nodes nearest to `name` once they join
 * the testnet's `nodes` (ground until each is nearer than the G-th node).
 */
export async function keysNear (name: XorName, nodes: string[], count: number, groupSize: number): Promise<PrivateKey[]> {
  return await grindKeys({ names: [name], nodes, count, groupSize })
}

/** A peer key nearer to `name` than every node of `nodes`: it becomes the name's sequencer when it joins. */
export async function keyNearest (name: XorName, nodes: string[], groupSize: number): Promise<PrivateKey> {
  const [key] = await grindKeys({ names: [name], nodes, count: 1, groupSize, rank: 'nearest' })
  return key as PrivateKey
}
