import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { closestTo, kadPositionOfName, kadPositionOfPeer, randomXorName, sha3_256, type XorName } from '@safemesh/protocol'
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
  /**
   * Names whose close groups the keys must stay out of: the groups an attack does not aim at
   * (the honest users' accounts) keep G honest members. With 12 nodes and G = 8 every node
   * is in most groups: keys near one name can avoid one other name's group, rarely two
   * (see `placeRogues`).
   */
  awayFrom?: readonly XorName[]
}

/** A node id is free to generate (ARCHITECTURE.md): this is what an attacker does in milliseconds. */
const MAX_TRIES = 20_000

function positionOf (peer: PeerId | string): Uint8Array {
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
  const { names, nodes, count, groupSize, rank = 'member', awayFrom = [] } = options
  if (rank === 'nearest' && count !== 1) throw new RangeError('only one node can be the nearest')
  const targets = names.map(kadPositionOfName)
  const avoided = awayFrom.map(kadPositionOfName)
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
    if (fits && avoided.every(target => !closestTo(target, all, groupSize, p => p).includes(position))) {
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

/** A fresh name whose true close group among `peers` satisfies `fits` (names cost one hash: ground freely). */
export function grindName (peers: readonly string[], groupSize: number, fits: (group: string[]) => boolean, maxTries = 200_000): XorName {
  for (let tries = 0; tries < maxTries; tries++) {
    const name = randomXorName()
    if (fits(trueGroup(name, peers, groupSize))) return name
  }
  throw new Error('could not grind a name whose group fits')
}

/** A client key whose account's true close group among `peers` satisfies `fits`. */
export async function grindClientKey (peers: readonly string[], groupSize: number, fits: (group: string[]) => boolean): Promise<PrivateKey> {
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const key = await generateKeyPair('Ed25519')
    if (fits(trueGroup(sha3_256(key.publicKey.raw), peers, groupSize))) return key
  }
  throw new Error('could not grind a client key whose account\'s group fits')
}

export interface Placement {
  keys: PrivateKey[]
  /** Fresh names, every key in each one's close group at the rank asked. */
  names: XorName[]
  /** The peer ids of `keys`. */
  ids: string[]
}

/**
 * Rogue keys and fresh data names for them to attack: every key lands in
 * each name's close group at `rank`, and in no group of `awayFrom` (the honest
 * users' accounts, whose Maid-Managers must stay honest). Keys are ground
 * around an anchor name on the other side of the keyspace from `awayFrom`
 * (its first bit differs), which is where such keys exist.
 */
export async function placeRogues (options: Omit<GrindOptions, 'names'> & { nameCount: number }): Promise<Placement> {
  const { nodes, count, groupSize, rank = 'member', awayFrom = [], nameCount } = options
  const sides = new Set(awayFrom.map(name => (kadPositionOfName(name)[0] as number) >> 7))
  for (let anchors = 0; anchors < 50; anchors++) {
    const anchor = randomXorName()
    if (sides.size === 1 && sides.has((kadPositionOfName(anchor)[0] as number) >> 7)) continue
    const keys = await grindKeys({ names: [anchor], nodes, count, groupSize, rank, awayFrom }).catch(() => undefined)
    if (keys == null) continue
    const ids = keys.map(k => peerIdFromPrivateKey(k).toString())
    const all = [...nodes, ...ids]
    const fits = (group: string[]): boolean => ids.every(id => group.includes(id)) && (rank === 'member' ||
      (rank === 'nearest' ? group[0] === ids[0] : !ids.includes(group[0] as string)))
    const names = [anchor]
    while (names.length < nameCount) names.push(grindName(all, groupSize, fits))
    return { keys, names, ids }
  }
  throw new Error(`could not place ${count} rogue keys (${rank}) away from ${awayFrom.length} names`)
}
