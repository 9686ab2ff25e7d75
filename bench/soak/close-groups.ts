/**
 * Close groups as the network should see them: the G nodes nearest to a name (SPEC §1, kad-dht
 * positions) among the testnet's nodes that are up. Computed here from the testnet's own
 * records, so that the checks never depend on any node's or client's view being up to date.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { closestTo, kadPositionOfPeer } from '@safemesh/protocol'
import type { NodeRecord } from '@safemesh/testnet'

export interface NetworkNode {
  readonly index: number
  readonly peerId: string
  /** Its listening multiaddr, with /p2p/<peer id>. */
  readonly address: string
  readonly position: Uint8Array
}

const positions = new Map<string, Uint8Array>()

function positionOf (peerId: string): Uint8Array {
  let position = positions.get(peerId)
  if (position === undefined) {
    position = kadPositionOfPeer(peerIdFromString(peerId).toMultihash().bytes)
    positions.set(peerId, position)
  }
  return position
}

/** The nodes among `records` that have started (have a peer id), minus those in `down`. */
export function networkNodes (records: readonly NodeRecord[], down: ReadonlySet<number> = new Set()): NetworkNode[] {
  const nodes: NetworkNode[] = []
  for (const r of records) {
    if (r.peerId == null || r.address == null || down.has(r.index)) continue
    nodes.push({ index: r.index, peerId: r.peerId, address: r.address, position: positionOf(r.peerId) })
  }
  return nodes
}

/** The `groupSize` nodes nearest to a name's position, nearest first. */
export function closeGroupAt (position: Uint8Array, nodes: readonly NetworkNode[], groupSize: number): NetworkNode[] {
  return closestTo(position, nodes, groupSize, n => n.position)
}
