import { bytesToHex, type XorName } from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { eventually } from './testnet.js'
import { RogueNode } from './rogue.js'
import type { RawClient } from './raw-client.js'

export interface RoguesOptions {
  /** Peer keys, ground to fall where the attack needs them (see `grind.ts`). */
  keys: readonly PrivateKey[]
  /** Names whose close group, as every node sees it, must hold every rogue before the attack starts. */
  near: readonly XorName[]
  /** Clients that must see the rogues (they route by their own view). */
  clients?: readonly RawClient[]
  /** Sets each rogue's handlers before it serves anything. */
  configure?: (rogue: RogueNode) => void
}

/**
 * Joins the rogues, waits until they are members of the named groups in every
 * node's and client's view, runs `attack`, and always makes every rogue leave,
 * whether `attack` passed or threw.
 */
export async function withRogues<T> (testnet: Testnet, options: RoguesOptions, attack: (rogues: RogueNode[]) => Promise<T>): Promise<T> {
  const rogues: RogueNode[] = []
  try {
    // One after another: libp2p nodes joining at once inside this one test process keep
    // its event loop busy for seconds at a time, and their dials to each other time out.
    for (const key of options.keys) rogues.push(await RogueNode.join(testnet, key, options.configure))
    const peers = rogues.map(r => r.peerId)
    for (const name of options.near) await untilMembers(testnet, peers, name)
    await eventually(async () => rogues.every(r => r.routing.size >= testnet.size + rogues.length - 1), 30_000)
    for (const client of options.clients ?? []) await introduce(client, rogues)
    return await attack(rogues)
  } finally {
    await Promise.all(rogues.map(async r => { await r.leave().catch(() => {}) }))
  }
}

/**
 * Waits until every node of the testnet counts `peers` as members of `name`'s group. Up to 60 s:
 * joining costs every node CPU (connections, identify, kad pings), and four joins at once on two
 * cores keep the network saturated for 10–25 s (measured); the deadline is not what is tested.
 */
export async function untilMembers (testnet: Testnet, peers: PeerId[], name: XorName): Promise<void> {
  const hex = bytesToHex(name)
  await eventually(async () => {
    for (const record of testnet.records()) {
      const group = await testnet.closeGroupSeenBy(record.index, hex).catch((): string[] => [])
      if (!peers.every(p => group.includes(p.toString()))) return false
    }
    return true
  }, 60_000, 200)
}

/**
 * Connects a client to the rogues: nodes find a newcomer through its own walk, but a client
 * learns of it only at its next walk (30 s or more on a settled network).
 */
async function introduce (client: RawClient, rogues: readonly RogueNode[]): Promise<void> {
  for (const rogue of rogues) {
    if (!client.routing.has(rogue.peerId)) await client.host.dial(rogue.host.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) })
  }
  await eventually(async () => rogues.every(r => client.routing.has(r.peerId)), 30_000, 50)
}
