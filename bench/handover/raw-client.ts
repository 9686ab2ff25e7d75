/**
 * A bare protocol client (as test/support/raw-client.ts): a libp2p host whose key is the
 * account's signing key, a routing view, and quorum over raw wire messages. Its own libp2p
 * byte counters tell what the bench itself sent and received, so that its polling can be
 * taken out of the nodes' byte counts.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Registry } from 'prom-client'
import {
  DEFAULT_NETWORK_PARAMS, decodeReply, encodeMessage, quorumOf, sha3_256,
  type WireMessage, type WireReply, type XorName
} from '@safemesh/protocol'
import { askForQuorum, createHost, Messenger, MESSAGING_PROTOCOL, RoutingView, type Host } from '@safemesh/net'
import type { Testnet } from '@safemesh/testnet'
import { createLogger } from '@safemesh/node'
import type { PeerId } from '@libp2p/interface'
import { eventually } from './wait.js'
import { parseCounters, type Counters } from './counters.js'

/** A request to one node answers within this, or counts as not answered. */
const REQUEST_TIMEOUT = 20_000

export class RawClient {
  readonly host: Host
  readonly routing: RoutingView
  readonly messenger: Messenger
  readonly key: Uint8Array
  readonly account: XorName
  readonly groupSize: number
  private readonly registry: Registry

  private constructor (host: Host, registry: Registry, groupSize: number, bootstrap: string[]) {
    this.host = host
    this.registry = registry
    this.groupSize = groupSize
    const log = createLogger('silent')
    this.routing = new RoutingView(host, { groupSize, bootstrap, member: false, log })
    this.messenger = new Messenger(host, { protocol: MESSAGING_PROTOCOL, maxMessageSize: DEFAULT_NETWORK_PARAMS.maxMessageSize, log })
    this.key = host.peerId.publicKey?.raw as Uint8Array
    this.account = sha3_256(this.key)
  }

  static async connect (testnet: Testnet): Promise<RawClient> {
    const registry = new Registry()
    const host = await createHost({
      role: 'client',
      bootstrap: testnet.bootstrapAddresses(),
      privateKey: await generateKeyPair('Ed25519'),
      metrics: prometheusMetrics({ registry, collectDefaultMetrics: false })
    })
    const client = new RawClient(host, registry, testnet.groupSize, testnet.bootstrapAddresses())
    try {
      await client.messenger.start()
      await client.routing.start()
      await client.waitForView(testnet.size)
    } catch (err) {
      await client.close().catch(() => {})
      throw err
    }
    return client
  }

  /** Waits until the routing view holds `nodes` nodes (after a node was added). */
  async waitForView (nodes: number, timeoutMs = 60_000): Promise<void> {
    await eventually(async () => this.routing.size >= nodes, timeoutMs, 100, `the client's routing view holds ${nodes} nodes`)
  }

  async send (peer: PeerId, message: WireMessage): Promise<WireReply> {
    return decodeReply(await this.messenger.request(peer, encodeMessage(message), { timeout: REQUEST_TIMEOUT }))
  }

  async quorum (name: XorName, message: WireMessage): Promise<WireReply> {
    return await askForQuorum(this.routing.closeGroup(name), async peer => await this.send(peer, message), quorumOf(this.groupSize))
  }

  /** This client's own libp2p byte counters (`libp2p_data_transfer_bytes_total`). */
  async counters (): Promise<Counters> {
    return parseCounters(await this.registry.metrics())
  }

  async close (): Promise<void> {
    await this.routing.stop()
    await this.messenger.stop()
    await this.host.stop()
  }
}
