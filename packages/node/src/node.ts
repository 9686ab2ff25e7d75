import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Registry } from 'prom-client'
import { decodeReply, encodeMessage, xorNameFromHex, type NetworkParams, type WireMessage, type WireReply } from '@safemesh/protocol'
import { createHost, Messenger, MESSAGING_PROTOCOL, RoutingView, type Host, type SenderLimits } from '@safemesh/net'
import { loadOrCreatePeerKey, writeJsonAtomic } from './identity.js'
import { Store } from './store/store.js'
import { Dispatcher } from './dispatcher.js'
import { NodeMetrics } from './observability/metrics.js'
import { startAdminServer } from './observability/admin-server.js'
import { registerPersonas, type Personas } from './personas/index.js'
import type { SendOptions } from './personas/context.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { Server } from 'node:http'

export interface NodeConfig {
  dataDir: string
  listen: string[]
  bootstrap: string[]
  params: NetworkParams
  /** Bytes this node stores before answering `NetworkFull`. */
  capacity?: number
  /** Port for /metrics, /status and /close-group on 127.0.0.1 (0 = any free port). */
  metricsPort?: number
  /** What one peer may have served at once and how fast (the messaging layer's defaults otherwise). */
  senderLimits?: Partial<SenderLimits>
  log: Logger
}

/** What `/status` and `node.json` say about a running node. */
export interface NodeStatus {
  peerId: string
  addresses: string[]
  pid: number
  metricsPort?: number
  groupSize: number
  routingTableSize: number
  storedItems: number
  storedBytes: number
  startedAt: string
}

/** File in the data directory describing the running node. */
export const NODE_INFO_FILE = 'node.json'

/**
 * One SafeMesh node: a libp2p host, its routing view, the messaging layer,
 * the LevelDB store and the personas (Maid-Manager, Data-Manager) that share
 * them.
 */
export class SafeMeshNode {
  readonly host: Host
  readonly routing: RoutingView
  readonly messenger: Messenger
  readonly store: Store
  readonly config: NodeConfig
  readonly personas: Personas
  private readonly dispatcher: Dispatcher
  private readonly startedAt = new Date()
  private admin?: { server: Server, port: number }
  private stopping?: Promise<void>

  private constructor (config: NodeConfig, host: Host, store: Store, registry: Registry, privateKey: PrivateKey) {
    this.config = config
    this.host = host
    this.store = store
    this.routing = new RoutingView(host, { groupSize: config.params.groupSize, bootstrap: config.bootstrap, log: config.log.child({ component: 'routing' }) })
    const metrics = new NodeMetrics(registry, {
      routingTableSize: () => this.routing.size,
      storedItems: () => this.store.getStats().items,
      storedBytes: () => this.store.getStats().bytes
    })
    const dispatcher = new Dispatcher({
      params: config.params,
      isNode: (peer) => peer.equals(host.peerId) || this.routing.has(peer),
      observe: (type, outcome, seconds) => { metrics.served(type, outcome, seconds) }
    })
    this.dispatcher = dispatcher
    this.messenger = new Messenger(host, {
      protocol: MESSAGING_PROTOCOL,
      maxMessageSize: config.params.maxMessageSize,
      ...(config.senderLimits != null ? { senderLimits: config.senderLimits } : {}),
      handler: async (body, context) => await metrics.serving(async () => await dispatcher.handle(body, context)),
      log: config.log.child({ component: 'messaging' })
    })
    this.personas = registerPersonas({
      self: host.peerId,
      routing: this.routing,
      store,
      params: config.params,
      log: config.log.child({ component: 'personas' }),
      send: async (peer, message, options) => await this.send(peer, message, options),
      sign: async (bytes) => await privateKey.sign(bytes)
    }, dispatcher)
  }

  /**
   * Sends a message to a node and decodes its reply; a message to this node
   * is served locally, through the same dispatcher and checks.
   */
  async send (peer: PeerId, message: WireMessage, options: SendOptions = {}): Promise<WireReply> {
    const body = encodeMessage(message)
    if (peer.equals(this.host.peerId)) {
      const signal = options.signal ?? AbortSignal.timeout(options.timeout ?? 30_000)
      return decodeReply(await this.dispatcher.handle(body, { from: this.host.peerId, signal }))
    }
    return decodeReply(await this.messenger.request(peer, body, options))
  }

  static async start (config: NodeConfig): Promise<SafeMeshNode> {
    await mkdir(config.dataDir, { recursive: true })
    const privateKey = await loadOrCreatePeerKey(config.dataDir)
    const store = await Store.open(join(config.dataDir, 'store'), { capacity: config.capacity })
    const registry = new Registry()
    let host: Host
    try {
      host = await createHost({
        privateKey,
        listen: config.listen,
        bootstrap: config.bootstrap,
        role: 'node',
        start: false,
        metrics: config.metricsPort != null ? prometheusMetrics({ registry, collectDefaultMetrics: true, preserveExistingMetrics: true }) : undefined
      })
    } catch (err) {
      await store.close()
      throw err
    }
    const node = new SafeMeshNode(config, host, store, registry, privateKey)
    try {
      await node.messenger.start()
      await host.start()
      await node.personas.replicator.start()
      node.personas.antiEntropy.start()
      await node.routing.start()
      if (config.metricsPort != null) {
        node.admin = await startAdminServer(config.metricsPort, {
          registry,
          status: () => node.status(),
          closeGroup: (hex) => ({ name: hex.toLowerCase(), closeGroup: node.routing.closeGroup(xorNameFromHex(hex)).map(p => p.toString()) })
        })
      }
      await writeJsonAtomic(join(config.dataDir, NODE_INFO_FILE), node.status())
    } catch (err) {
      await node.stop()
      throw err
    }
    return node
  }

  get peerId (): string {
    return this.host.peerId.toString()
  }

  addresses (): string[] {
    return this.host.getMultiaddrs().map(a => a.toString())
  }

  status (): NodeStatus {
    const stats = this.store.getStats()
    const status: NodeStatus = {
      peerId: this.peerId,
      addresses: this.addresses(),
      pid: process.pid,
      groupSize: this.config.params.groupSize,
      routingTableSize: this.routing.size,
      storedItems: stats.items,
      storedBytes: stats.bytes,
      startedAt: this.startedAt.toISOString()
    }
    if (this.admin != null) status.metricsPort = this.admin.port
    return status
  }

  /** Stops everything in reverse order of start; safe to call more than once. */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      const log = this.config.log
      const step = async (what: string, work: () => Promise<void>): Promise<void> => {
        await work().catch(err => { log.error({ err }, `stopping: ${what} failed`) })
      }
      if (this.admin != null) {
        const server = this.admin.server
        await step('admin server', async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => { resolve() })) })
      }
      this.personas.stop()
      await step('routing view', async () => { await this.routing.stop() })
      await step('messaging', async () => { await this.messenger.stop() })
      await step('libp2p', async () => { await this.host.stop() })
      await step('store', async () => { await this.store.close() })
    })()
    await this.stopping
  }
}
