/**
 * Close groups computed from a testnet's full membership, as every converged node computes them
 * (packages/node routing-view.ts: the G nodes whose kad position is nearest the name's).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { closestTo, kadPositionOfName, kadPositionOfPeer, type XorName } from '@safemesh/protocol'
import type { NodeRecord } from '@safemesh/testnet'
import type { PeerId } from '@libp2p/interface'

export interface Member {
  index: number
  peer: PeerId
  position: Uint8Array
}

export function membersOf (records: readonly NodeRecord[]): Member[] {
  return records.map(record => {
    if (record.peerId == null) throw new Error(`node ${record.index} has no peer id yet`)
    const peer = peerIdFromString(record.peerId)
    return { index: record.index, peer, position: kadPositionOfPeer(peer.toMultihash().bytes) }
  })
}

/** The `groupSize` members nearest to `name`, nearest first. */
export function closeGroupOf (name: XorName, members: readonly Member[], groupSize: number): Member[] {
  return closestTo(kadPositionOfName(name), members, groupSize, m => m.position)
}
