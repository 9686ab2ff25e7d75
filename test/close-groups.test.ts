import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { closestTo, kadPositionOfName, kadPositionOfPeer, newMutableData, randomXorName, xorNameToHex, type XorName } from '@safemesh/protocol'
import { createHost, type Host } from '@safemesh/net'
import type { Testnet } from '@safemesh/testnet'
import { eventually, startTestnet, stopTestnet } from './support/testnet.js'
import { RawClient } from './support/raw-client.js'
import { mutate, openAccount, text } from './support/accounts.js'

const NODES = 10
const G = 8

function trueCloseGroup (name: XorName, peerIds: string[], count = G): string[] {
  return closestTo(kadPositionOfName(name), peerIds, count, id => kadPositionOfPeer(peerIdFromString(id).toMultihash().bytes))
}

async function everyViewIsTrue (testnet: Testnet, names: XorName[], peerIds: string[], indices: number[]): Promise<boolean> {
  for (const name of names) {
    const truth = trueCloseGroup(name, peerIds)
    const views = await Promise.all(indices.map(async i => await testnet.closeGroupSeenBy(i, xorNameToHex(name))))
    if (views.some(view => JSON.stringify(view) !== JSON.stringify(truth))) return false
  }
  return true
}

describe(`close groups on a ${NODES}-node testnet (G = ${G})`, () => {
  let testnet: Testnet
  let client: Host | undefined
  let peerIds: string[]

  beforeAll(async () => {
    testnet = await startTestnet(NODES, { groupSize: G })
    peerIds = testnet.records().map(r => r.peerId as string)
  })

  afterAll(async () => {
    await client?.stop()
    await stopTestnet(testnet)
  })

  it('every node computes the true G closest for 100 random names, and a client-mode DHT lookup agrees', async () => {
    const names = Array.from({ length: 100 }, () => randomXorName())
    const all = testnet.records().map(r => r.index)
    for (const name of names) {
      const truth = trueCloseGroup(name, peerIds)
      for (const index of all) {
        expect(await testnet.closeGroupSeenBy(index, xorNameToHex(name)), `node ${index}`).toEqual(truth)
      }
    }

    client = await createHost({ role: 'client', bootstrap: testnet.bootstrapAddresses() })
    await eventually(async () => client != null && client.getPeers().length >= 3, 20_000)
    const lookup = async (name: XorName): Promise<string[]> => {
      const found = new Set<string>()
      for await (const event of (client as Host).services.dht.getClosestPeers(name, { signal: AbortSignal.timeout(20_000) })) {
        // The closest peers the query met: the ones that answered and the ones they named.
        if (event.name === 'FINAL_PEER') found.add(event.peer.id.toString())
        if (event.name === 'PEER_RESPONSE') for (const peer of event.closer) found.add(peer.id.toString())
      }
      return trueCloseGroup(name, [...found])
    }
    for (let i = 0; i < names.length; i += 10) {
      const batch = names.slice(i, i + 10)
      const results = await Promise.all(batch.map(lookup))
      batch.forEach((name, j) => { expect(results[j]).toEqual(trueCloseGroup(name, peerIds)) })
    }
  })

  it('a killed node leaves every close group within 30 s; restarted, it comes back with the same identity and data', async () => {
    let victimPeer: string | undefined
    // Give the victim something to keep: an account and a MutableData whose groups hold it.
    const client = await RawClient.connect(testnet)
    try {
      await openAccount(client)
      const md = newMutableData({ name: randomXorName(), tag: 20_000, owners: [client.key], entries: [{ key: text('k'), content: text('v') }] })
      await mutate(client, { type: 'PutMData', data: md })
      victimPeer = client.routing.closeGroup(md.name)[0]?.toString()
    } finally {
      await client.close()
    }
    const victim = testnet.records().findIndex(r => r.peerId === victimPeer)
    const victimId = testnet.record(victim).peerId as string
    const before = (await testnet.status())[victim]?.status
    expect(before?.storedItems).toBeGreaterThan(0)
    // Names whose close group holds the victim: the ones that must change.
    const names = Array.from({ length: 300 }, () => randomXorName())
      .filter(name => trueCloseGroup(name, peerIds).includes(victimId)).slice(0, 20)
    expect(names.length).toBeGreaterThan(0)

    await testnet.kill(victim)
    const others = testnet.records().map(r => r.index).filter(i => i !== victim)
    const survivors = peerIds.filter(id => id !== victimId)
    const gone = await eventually(async () => await everyViewIsTrue(testnet, names, survivors, others), 30_000)
    console.info(`killed node left every close group after ${gone.toFixed(0)} ms`)

    await testnet.restart(victim)
    expect(testnet.record(victim).peerId).toBe(victimId)
    const after = (await testnet.status())[victim]?.status
    expect(after?.peerId).toBe(victimId)
    expect(after?.storedItems).toBe(before?.storedItems)
    expect(after?.storedBytes).toBe(before?.storedBytes)
    const back = await eventually(async () => await everyViewIsTrue(testnet, names, peerIds, testnet.records().map(r => r.index)), 60_000)
    console.info(`restarted node was back in its close groups after ${back.toFixed(0)} ms`)
  })
  it('a node whose connection closed while it lives on (a ping missed under load) is back in a client\'s view', async () => {
    const probe = await RawClient.connect(testnet)
    try {
      const peer = probe.routing.peers()[0]
      if (peer == null) throw new Error('the client\'s view is empty')
      // The view's own dials. A walk, or kad-dht, may bring the node back too (a walk in 2 s):
      // what is tested is that the view dials it again in the same turn as it leaves.
      const dialled: string[] = []
      const dial = probe.host.dial.bind(probe.host)
      probe.host.dial = async (target, options) => { dialled.push(target.toString()); return await dial(target, options) }
      const left = new Promise<boolean>(resolve => {
        probe.routing.addEventListener('change', ({ detail }) => {
          // Runs once the removal's synchronous work is done, before any I/O could bring a walk.
          if (detail.kind === 'removed' && detail.peer.equals(peer)) queueMicrotask(() => { resolve(dialled.includes(peer.toString())) })
        })
      })
      const started = performance.now()
      await probe.host.hangUp(peer)
      expect(await left, 'dialled again as it left').toBe(true)
      const back = await eventually(async () => probe.routing.has(peer), 30_000, 20)
      console.info(`a node whose connection was closed was back in the view after ${(performance.now() - started).toFixed(0)} ms (${back.toFixed(0)} ms after it left)`)
      expect(probe.routing.size).toBe(NODES)
    } finally {
      await probe.close()
    }
  })
})
