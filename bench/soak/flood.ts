/**
 * `npm run soak -- --flood`: strangers send the worst of issue 14's points 1–4 at full speed to
 * three nodes while the soak's honest clients write. Each attacker is an ordinary peer (a client
 * host, its own key); one also opens an account for the attacks that need one.
 *
 * - frames: PutMData-shaped frames of ~2 MiB holding 2 M tiny items (point 1);
 * - strangers' node messages: Commit and Forward from a peer that is no node (point 3);
 * - mutations that cannot fit: PutMData of 1,001 entries from its account (point 2);
 * - reads of absent data, 64 at a time (point 3);
 * - 1 MiB offers of chunks that land on the target, which staging must bound per sender (point 4).
 *
 * It samples the flooded nodes' RSS every second and counts every attack's outcomes. It runs in a
 * process of its own (flood-child.ts), so the strangers' work does not slow the honest clients.
 */
import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { pino } from 'pino'
import {
  DEFAULT_NETWORK_PARAMS, decodeReply, encodeMessage, forwardOf, isSafeMeshError, newMutableData, quorumOf, randomXorName, sha3_256,
  type WireMessage, type XorName
} from '@safemesh/protocol'
import { askForQuorum, createHost, Messenger, MESSAGING_PROTOCOL, RoutingView, type Host } from '@safemesh/net'
import type { PeerId } from '@libp2p/interface'
import { nodeMetric } from '../lib/metrics.js'

/** What the flood needs to know of the network: how to join it and which nodes to attack. */
export interface FloodPlan {
  bootstrap: string[]
  groupSize: number
  /** Nodes in the network: a stranger waits to know them all before it attacks. */
  nodes: number
  targets: Array<{ index: number, peerId: string, metricsPort: number }>
}

export interface FloodReport {
  /** The flooded nodes (testnet indexes) and the highest RSS each reached (bytes). */
  targets: Array<{ index: number, peakRss: number }>
  /** Per attack, how its frames ended: `answered` or the code. */
  attacks: Record<string, Record<string, number>>
}

const ATTACKS = ['frames', 'node messages', 'cannot fit', 'absent reads', 'offers'] as const
type Attack = typeof ATTACKS[number]

/** One attacking peer: a client host that sends whatever it likes. */
class Stranger {
  readonly host: Host
  readonly messenger: Messenger
  readonly routing: RoutingView
  readonly key: Uint8Array
  readonly account: XorName

  private constructor (host: Host, routing: RoutingView) {
    this.host = host
    this.routing = routing
    this.messenger = new Messenger(host, { protocol: MESSAGING_PROTOCOL, maxMessageSize: DEFAULT_NETWORK_PARAMS.maxMessageSize, log: pino({ level: 'silent' }) })
    this.key = host.peerId.publicKey?.raw as Uint8Array
    this.account = sha3_256(this.key)
  }

  static async join (plan: FloodPlan): Promise<Stranger> {
    const host = await createHost({ role: 'client', bootstrap: plan.bootstrap })
    const routing = new RoutingView(host, { groupSize: plan.groupSize, bootstrap: plan.bootstrap, member: false, log: pino({ level: 'silent' }) })
    const stranger = new Stranger(host, routing)
    await stranger.messenger.start()
    await routing.start()
    const deadline = Date.now() + 60_000
    while (routing.size < plan.nodes) {
      if (Date.now() > deadline) throw new Error(`a stranger knows ${routing.size} of ${plan.nodes} nodes after a minute`)
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    return stranger
  }

  async send (peer: PeerId, body: Uint8Array): Promise<string> {
    try {
      decodeReply(await this.messenger.request(peer, body, { timeout: 10_000 }))
      return 'answered'
    } catch (err) {
      return isSafeMeshError(err) ? err.code : 'failed'
    }
  }

  async openAccount (): Promise<void> {
    const packet = newMutableData({ name: randomXorName(), tag: 0, owners: [this.key], entries: [{ key: new TextEncoder().encode('Login'), content: randomBytes(64) }] })
    const message: WireMessage = { type: 'PutMData', account: this.account, requester: this.key, messageId: randomBytes(32), data: packet }
    await askForQuorum(this.routing.closeGroup(this.account), async peer => decodeReply(await this.messenger.request(peer, encodeMessage(message))), quorumOf(this.routing.groupSize))
  }

  async close (): Promise<void> {
    await this.routing.stop()
    await this.messenger.stop()
    await this.host.stop()
  }
}

/** A PutMData-shaped frame of ~2 MiB whose data holds half a million tiny entries (also test/strangers.test.ts). */
export function tinyItemsFrame (account: XorName, requester: Uint8Array): Uint8Array {
  const enc = new TextEncoder()
  const str = (s: string): number[] => [0x60 + s.length, ...enc.encode(s)]
  const bytes32 = (b: Uint8Array): number[] => [0x58, 32, ...b]
  const triples = 500_000
  const frame = new Uint8Array(2 * 1024 * 1024)
  let at = 0
  const put = (b: number[]): void => { frame.set(b, at); at += b.length }
  put([0xa5, ...str('data'), 0xa6, ...str('tag'), 0x00, ...str('name'), ...bytes32(randomXorName()), ...str('owners'), 0x81, ...bytes32(requester), ...str('entries')])
  put([0x9a, (triples >>> 24) & 0xff, (triples >>> 16) & 0xff, (triples >>> 8) & 0xff, triples & 0xff])
  for (let i = 0; i < triples; i++) put([0x83, 0x40, 0x40, 0x00])
  put([...str('version'), 0x00, ...str('permissions'), 0x80])
  put([...str('type'), ...str('PutMData'), ...str('account'), ...bytes32(account), ...str('messageId'), ...bytes32(randomBytes(32)), ...str('requester'), ...bytes32(requester)])
  return frame.subarray(0, at)
}

export class Flood {
  private readonly plan: FloodPlan
  private readonly stop = new AbortController()
  private readonly strangers: Stranger[] = []
  private readonly outcomes = new Map<Attack, Map<string, number>>()
  private readonly peakRss = new Map<number, number>()
  private loops: Array<Promise<void>> = []
  private sampler?: ReturnType<typeof setInterval>

  constructor (plan: FloodPlan) {
    this.plan = plan
  }

  async start (): Promise<void> {
    for (let i = 0; i < ATTACKS.length; i++) this.strangers.push(await Stranger.join(this.plan))
    const [frames, nodeMessages, cannotFit, reads, offers] = this.strangers as [Stranger, Stranger, Stranger, Stranger, Stranger]
    await cannotFit.openAccount()
    const peers = this.plan.targets.map(t => peerIdFromString(t.peerId))
    this.sampler = setInterval(() => { void this.sampleRss() }, 1000)
    const each = (attack: Attack, concurrency: number, frame: (target: PeerId) => Uint8Array, who: Stranger): Array<Promise<void>> =>
      peers.flatMap(target => Array.from({ length: concurrency }, async () => {
        while (!this.stop.signal.aborted) {
          const outcome = await who.send(target, frame(target))
          this.count(attack, outcome)
          // A node that stopped reading us leaves our frames queued here: hang up to drop them, then dial again.
          if (outcome === 'Timeout') await who.host.hangUp(target).catch(() => {})
        }
      }))
    const tiny = tinyItemsFrame(frames.account, frames.key)
    const entries = Array.from({ length: 1001 }, (_, i) => ({ key: new TextEncoder().encode(`k${i}`), content: new Uint8Array(100) }))
    const tooBig = newMutableData({ name: randomXorName(), tag: 20_000, owners: [cannotFit.key], entries })
    this.loops = [
      ...each('frames', 2, () => tiny, frames),
      ...each('node messages', 4, () => encodeMessage(randomBytes(1)[0] as number % 2 === 0
        ? { type: 'Commit', name: randomXorName(), tag: 20_000, requestId: randomBytes(32), seq: 1, round: 0, sequencer: randomBytes(32), signature: randomBytes(64), digest: randomBytes(32), vote: randomBytes(64) }
        : { type: 'Forward', ...forwardOf({ type: 'PutIData', account: randomXorName(), requester: randomBytes(32), messageId: randomBytes(32), name: randomXorName(), size: 1 }, randomBytes(32)) }), nodeMessages),
      // Sent to each target as if it were a Maid-Manager of the account: the misrouted ones are refused at once, the rest before any Forward.
      ...each('cannot fit', 2, () => encodeMessage({ type: 'PutMData', account: cannotFit.account, requester: cannotFit.key, messageId: randomBytes(32), data: tooBig }), cannotFit),
      ...each('absent reads', 16, () => encodeMessage({ type: 'GetMData', name: randomXorName(), tag: 20_000 }), reads),
      ...each('offers', 2, (target) => encodeMessage({ type: 'OfferChunk', value: chunkFor(offers.routing, target) }), offers)
    ]
  }

  async finish (): Promise<FloodReport> {
    this.stop.abort()
    clearInterval(this.sampler)
    await Promise.all(this.loops)
    await this.sampleRss()
    for (const stranger of this.strangers) await stranger.close().catch(() => {})
    return {
      targets: this.plan.targets.map(({ index }) => ({ index, peakRss: this.peakRss.get(index) ?? 0 })),
      attacks: Object.fromEntries([...this.outcomes].map(([attack, counts]) => [attack, Object.fromEntries(counts)]))
    }
  }

  private count (attack: Attack, outcome: string): void {
    const counts = this.outcomes.get(attack) ?? new Map<string, number>()
    this.outcomes.set(attack, counts)
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
  }

  private async sampleRss (): Promise<void> {
    await Promise.all(this.plan.targets.map(async ({ index, metricsPort }) => {
      const rss = await nodeMetric(metricsPort, 'process_resident_memory_bytes').catch(() => 0)
      if (rss > (this.peakRss.get(index) ?? 0)) this.peakRss.set(index, rss)
    }))
  }
}

/** A random 1 MiB chunk whose close group, as `routing` sees it, holds `node` (also test/strangers.test.ts). */
export function chunkFor (routing: RoutingView, node: PeerId): Uint8Array {
  while (true) {
    const value = new Uint8Array(randomBytes(1024 * 1024))
    if (routing.closeGroup(sha3_256(value)).some(p => p.equals(node))) return value
  }
}
