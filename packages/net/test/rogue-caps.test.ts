import { afterEach, describe, expect, it, vi } from 'vitest'
import { pino } from 'pino'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RoutingView } from '../src/routing/routing-view.js'
import type { Host } from '../src/host.js'
import type { PeerId } from '@libp2p/interface'

/**
 * The routing view against fake nodes named in DHT answers (issue 14, docs/protocol.md "Bounded
 * state"): a node that no dial reached 10 times in a row is not dialled again for 30 s, doubling,
 * and at most 1,024 such nodes are remembered. Unit level: the view runs on a host whose DHT
 * walks name whatever peers the test says and whose every dial fails, since making real kad-dht
 * peers answer with made-up nodes is out of reach of an end-to-end test. The view's own code (its
 * walks, dials and back-off) is what runs; only libp2p is stood in for.
 */

/** From routing-view.ts: the failed dials in a row after which a node is backed off, the first back-off, the nodes remembered. */
const DIALS_BEFORE_BACKOFF = 10
const FIRST_BACKOFF_MS = 30_000
const REMEMBERED = 1024

async function newPeer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

interface FakeNetwork {
  view: RoutingView
  /** Dials of each peer so far, by peer id. */
  dials: Map<string, number>
  /** The peers the next walks name (each walk's one DHT answer names them all). */
  named: PeerId[]
}

/**
 * A routing view on a stand-in host: no connections, every dial refused at once, and a DHT
 * whose walks (two a discovery: towards itself, towards a random name) each name `named`.
 */
async function fakeNetwork (): Promise<FakeNetwork> {
  const self = await newPeer()
  const dials = new Map<string, number>()
  const network: Partial<FakeNetwork> & { named: PeerId[] } = { dials, named: [] }
  const host = {
    peerId: self,
    getConnections: () => [],
    peerStore: { merge: async () => {} },
    dial: async (peer: PeerId) => {
      dials.set(peer.toString(), (dials.get(peer.toString()) ?? 0) + 1)
      throw new Error('connect ECONNREFUSED (a fake node)')
    },
    services: {
      dht: {
        getClosestPeers: async function * () {
          yield { name: 'PEER_RESPONSE', closer: network.named.map(id => ({ id, multiaddrs: [] })) }
        }
      }
    }
  }
  network.view = new RoutingView(host as unknown as Host, { groupSize: 8, log: pino({ level: 'silent' }) })
  return network as FakeNetwork
}

describe('the routing view against fake nodes named in DHT answers', () => {
  afterEach(() => { vi.restoreAllMocks() })

  it(`dials a fake node ${DIALS_BEFORE_BACKOFF} times in a row, then not again for ${FIRST_BACKOFF_MS / 1000} s, then after twice that`, async () => {
    let now = Date.now()
    vi.spyOn(Date, 'now').mockImplementation(() => now)
    const net = await fakeNetwork()
    const fake = await newPeer()
    net.named = [fake]
    const dialsOf = (): number => net.dials.get(fake.toString()) ?? 0

    // Each discovery walks twice, and each walk names the fake: two dials a discovery.
    for (let i = 0; i < DIALS_BEFORE_BACKOFF / 2; i++) await net.view.discover()
    expect(dialsOf()).toBe(DIALS_BEFORE_BACKOFF)
    // Named by ten more walks within the back-off: not dialled once.
    for (let i = 0; i < 5; i++) await net.view.discover()
    now += FIRST_BACKOFF_MS - 1
    await net.view.discover()
    expect(dialsOf()).toBe(DIALS_BEFORE_BACKOFF)

    // The back-off ends: one more dial (the walk's first naming), which fails, and the next back-off is twice as long.
    now += 1
    await net.view.discover()
    expect(dialsOf()).toBe(DIALS_BEFORE_BACKOFF + 1)
    now += 2 * FIRST_BACKOFF_MS - 1
    await net.view.discover()
    expect(dialsOf()).toBe(DIALS_BEFORE_BACKOFF + 1)
    now += 1
    await net.view.discover()
    expect(dialsOf()).toBe(DIALS_BEFORE_BACKOFF + 2)
  })

  it(`remembers at most ${REMEMBERED} unreachable nodes: the next one pushes the oldest out, which is then dialled again`, async () => {
    const net = await fakeNetwork()
    const first = await newPeer()
    net.named = [first]
    for (let i = 0; i < DIALS_BEFORE_BACKOFF / 2; i++) await net.view.discover()
    const dialsOfFirst = (): number => net.dials.get(first.toString()) ?? 0
    expect(dialsOfFirst()).toBe(DIALS_BEFORE_BACKOFF)

    // 1,023 more fake nodes, each failing once: with the first, 1,024 remembered, so the first stays backed off.
    const others = await Promise.all(Array.from({ length: REMEMBERED - 1 }, newPeer))
    net.named = others
    await net.view.discover()
    expect(others.every(p => net.dials.get(p.toString()) === 2)).toBe(true)
    net.named = [first]
    await net.view.discover()
    expect(dialsOfFirst()).toBe(DIALS_BEFORE_BACKOFF)

    // One more: 1,025 would be remembered, so the oldest, the first, is forgotten and dialled again when named.
    net.named = [await newPeer()]
    await net.view.discover()
    net.named = [first]
    await net.view.discover()
    expect(dialsOfFirst()).toBe(DIALS_BEFORE_BACKOFF + 2)
  })
})
