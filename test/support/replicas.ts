import { peerIdFromString } from '@libp2p/peer-id'
import { bytesToHex, isSafeMeshError, listEntries, type MutableData, type WireMessage, type WireReply, type XorName } from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import type { PeerId } from '@libp2p/interface'
import { trueGroup } from './grind.js'
import type { RawClient } from './raw-client.js'
import type { RogueNode } from './rogue.js'

/**
 * What honest members hold, each asked directly: the evidence that a
 * forgery stayed with its sender, whatever a quorum read would hide.
 */

/** The honest members of `name`'s close group: the true G nearest of every node and rogue, rogues left out. */
export function honestMembers (testnet: Testnet, name: XorName, rogues: readonly RogueNode[] = []): PeerId[] {
  const rogueIds = rogues.map(r => r.peerId.toString())
  const nodes = testnet.records().map(r => r.peerId as string)
  return trueGroup(name, [...nodes, ...rogueIds], testnet.groupSize).filter(id => !rogueIds.includes(id)).map(id => peerIdFromString(id))
}

/** A MutableData as a person compares it: owners, version, permissions, entries as text. */
export function describeMData (data: MutableData): Record<string, unknown> {
  return {
    owners: data.owners.map(o => bytesToHex(o).slice(0, 16)),
    version: data.version,
    permissions: [...data.permissions.values()].map(p => `${p.user.kind === 'Anyone' ? 'Anyone' : bytesToHex(p.user.key).slice(0, 16)}:${JSON.stringify(p.permissions)}`).sort(),
    entries: Object.fromEntries(listEntries(data).map(e => [new TextDecoder().decode(e.key), `${new TextDecoder().decode(e.content)}@${e.version}`]))
  }
}

/** What `peer` answers to `message`: its reply, or `{ error: code }`. */
async function askDirectly (client: RawClient, peer: PeerId, message: WireMessage): Promise<WireReply | { error: string }> {
  try {
    return await client.send(peer, message)
  } catch (err) {
    return { error: isSafeMeshError(err) ? err.code : (err as Error).message }
  }
}

/** Each member's replica of (name, tag), described, or the code it refused the read with. */
export async function replicasAt (client: RawClient, peers: readonly PeerId[], name: XorName, tag: number): Promise<unknown[]> {
  return await Promise.all(peers.map(async peer => {
    const reply = await askDirectly(client, peer, { type: 'GetMData', name, tag })
    return 'error' in reply ? reply : reply.type === 'GetMData' ? describeMData(reply.data) : { unexpected: reply.type }
  }))
}

/** The quorum read of (name, tag), described, or the code it failed with. */
export async function quorumRead (client: RawClient, name: XorName, tag: number): Promise<unknown> {
  try {
    const reply = await client.quorum(name, { type: 'GetMData', name, tag })
    return reply.type === 'GetMData' ? describeMData(reply.data) : { unexpected: reply.type }
  } catch (err) {
    return { error: isSafeMeshError(err) ? err.code : (err as Error).message }
  }
}

/** What each of the account's Maid-Managers reports to its owner (or app): mutations done, auth keys and their version. */
export async function accountsAt (client: RawClient, peers: readonly PeerId[], account: XorName = client.account): Promise<unknown[]> {
  return await Promise.all(peers.map(async peer => {
    const info = await askDirectly(client, peer, { type: 'GetAccountInfo', account, requester: client.key })
    const keys = await askDirectly(client, peer, { type: 'ListAuthKeysAndVersion', account, requester: client.key })
    return {
      mutationsDone: 'error' in info ? info.error : info.type === 'GetAccountInfo' ? info.mutationsDone : info.type,
      authKeys: 'error' in keys ? keys.error : keys.type === 'ListAuthKeysAndVersion' ? keys.keys.map(k => bytesToHex(k).slice(0, 16)) : keys.type,
      authKeysVersion: 'error' in keys ? keys.error : keys.type === 'ListAuthKeysAndVersion' ? keys.version : keys.type
    }
  }))
}
