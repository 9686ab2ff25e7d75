/**
 * The real network: a libp2p host in DHT client mode, the node package's Messenger (send-only: a
 * client serves nothing) and RoutingView, which learns the nodes through kad-dht walks and keeps
 * the client's own picture of every close group.
 *
 * Identity: the host's peer key IS the client's Ed25519 signing key (libsodium's 64-byte secret
 * key, seed ‖ public key, is libp2p's raw Ed25519 form), so the Noise-authenticated peer that the
 * Maid-Managers see is the `requester` the client names. Connected mode runs as a fresh random key.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import type { SigningKeyPair } from '@safemesh/crypto'
import { SafeMeshError, type NetworkParams, type XorName } from '@safemesh/protocol'
import { createHost, Messenger, MESSAGING_PROTOCOL, paramsOf, RoutingView, type Host, type NetworkFile } from '@safemesh/net'
import { pino, type Logger } from 'pino'
import type { ConnectTransportOptions, Network, NodeRef, SendOptions, Transport } from './transport.js'

type PeerId = Host['peerId']

export interface Libp2pNetworkOptions extends NetworkFile {
  /** Overrides the parameters the config implies (default: SPEC's, with the config's G). */
  params?: NetworkParams
  log?: Logger
  /** How long joining may take before `Timeout` (ms). Default 30 s. */
  joinTimeout?: number
  /**
   * Once the view holds min(G, nodes) members, how long it must stop growing before the client
   * trusts it, when the network's size is unknown or some of its nodes are down (ms). Default 750.
   */
  settleTime?: number
}

const DEFAULT_JOIN_TIMEOUT = 30_000
const DEFAULT_SETTLE_TIME = 750
const POLL_INTERVAL = 50

/** A Network reached over libp2p through `bootstrap`. */
export function libp2pNetwork (options: Libp2pNetworkOptions): Network {
  const params = options.params ?? paramsOf(options)
  return {
    connect: async (identity, connectOptions) => await Libp2pTransport.join(identity, params, options, connectOptions),
    // The config's salt goes with it: a login through this network salts with the network's own.
    ...(options.salt !== undefined ? { salt: options.salt } : {})
  }
}

class Libp2pTransport implements Transport {
  readonly params: NetworkParams
  readonly publicKey: Uint8Array
  private readonly host: Host
  private readonly messenger: Messenger
  private readonly routing: RoutingView
  private readonly log: Logger
  private closing?: Promise<void>

  private constructor (host: Host, messenger: Messenger, routing: RoutingView, params: NetworkParams, log: Logger) {
    this.log = log
    this.host = host
    this.messenger = messenger
    this.routing = routing
    this.params = params
    const key = host.peerId.publicKey
    if (key == null) throw new Error('unreachable: an Ed25519 peer id embeds its public key')
    this.publicKey = key.raw
  }

  static async join (
    identity: SigningKeyPair | undefined,
    params: NetworkParams,
    options: Libp2pNetworkOptions,
    connectOptions: ConnectTransportOptions = {}
  ): Promise<Libp2pTransport> {
    const log = options.log ?? pino({ level: 'silent' })
    // libp2p's start-up and first dials wait on unref'd timers: in a process with nothing else
    // open (a command line that has just closed its previous host) the event loop would empty and
    // Node would exit mid-join. Hold it open until the view is ready.
    const keepAlive = setInterval(() => {}, 60_000)
    try {
      return await Libp2pTransport.start(identity, params, options, connectOptions, log)
    } finally {
      clearInterval(keepAlive)
    }
  }

  private static async start (
    identity: SigningKeyPair | undefined,
    params: NetworkParams,
    options: Libp2pNetworkOptions,
    connectOptions: ConnectTransportOptions,
    log: Logger
  ): Promise<Libp2pTransport> {
    const started = performance.now()
    const host = await createHost({
      role: 'client',
      bootstrap: options.bootstrap,
      ...(identity !== undefined ? { privateKey: privateKeyFromRaw(identity.secretKey) } : {})
    })
    const messenger = new Messenger(host, { protocol: MESSAGING_PROTOCOL, maxMessageSize: params.maxMessageSize, log: log.child({ component: 'messaging' }) })
    const routing = new RoutingView(host, { groupSize: params.groupSize, log: log.child({ component: 'routing' }) })
    const transport = new Libp2pTransport(host, messenger, routing, params, log)
    log.debug({ ms: Math.round(performance.now() - started), peer: host.peerId.toString() }, 'host started')
    try {
      await messenger.start()
      await routing.start()
      const deadline = AbortSignal.timeout(options.joinTimeout ?? DEFAULT_JOIN_TIMEOUT)
      const signal = connectOptions.signal == null ? deadline : AbortSignal.any([connectOptions.signal, deadline])
      await waitForView(routing, {
        target: options.nodes ?? Infinity,
        minimum: Math.min(params.groupSize, options.nodes ?? params.groupSize),
        quorum: params.quorum,
        settleTime: options.settleTime ?? DEFAULT_SETTLE_TIME,
        signal,
        timedOut: () => deadline.aborted
      })
      log.debug({ nodes: routing.size, ms: Math.round(performance.now() - started) }, 'joined the network')
    } catch (err) {
      await transport.close()
      throw err
    }
    return transport
  }

  closeGroup (name: XorName): NodeRef[] {
    // The routing view counts its own host among the nearest; a client is never a member.
    return this.routing.closeGroup(name, this.params.groupSize + 1)
      .filter(peer => !peer.equals(this.host.peerId))
      .slice(0, this.params.groupSize)
      .map(peer => new PeerNode(peer))
  }

  private refreshing?: Promise<void>

  /** One discovery walk at a time, shared by every request that finds the view stale. */
  async refresh (): Promise<void> {
    this.refreshing ??= this.routing.discover().then(() => {}, () => {}).finally(() => { this.refreshing = undefined })
    await this.refreshing
  }

  async send (node: NodeRef, body: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    if (!(node instanceof PeerNode)) throw new SafeMeshError('InvalidRequest', `unknown node ${node.id}`)
    if (!this.log.isLevelEnabled('trace')) return await this.messenger.request(node.peer, body, options)
    const started = performance.now()
    try {
      const reply = await this.messenger.request(node.peer, body, options)
      this.log.trace({ peer: node.id, bytes: body.length, ms: Math.round(performance.now() - started) }, 'answered')
      return reply
    } catch (err) {
      this.log.trace({ peer: node.id, bytes: body.length, ms: Math.round(performance.now() - started), err: (err as Error).message }, 'refused or silent')
      throw err
    }
  }

  async close (): Promise<void> {
    this.closing ??= (async () => {
      const started = performance.now()
      const quietly = async (stop: () => void | Promise<void>): Promise<void> => { try { await stop() } catch {} }
      await quietly(async () => { await this.routing.stop() })
      await quietly(async () => { await this.messenger.stop() })
      await quietly(async () => { await this.host.stop() })
      this.log.debug({ ms: Math.round(performance.now() - started) }, 'host stopped')
    })()
    await this.closing
  }
}

class PeerNode implements NodeRef {
  readonly id: string
  readonly peer: PeerId

  constructor (peer: PeerId) {
    this.peer = peer
    this.id = peer.toString()
  }
}

interface ViewGoal {
  /** Enough: every node the network is known to have. */
  target: number
  /** Needed before the view may be trusted as settled: min(G, network size). */
  minimum: number
  /** Below this, no request could ever reach a quorum. */
  quorum: number
  settleTime: number
  signal: AbortSignal
  timedOut: () => boolean
}

/**
 * Waits until the routing view can be trusted for close groups: it holds every node the network
 * file names, or at least min(G, that many) and has stopped growing for `settleTime` while
 * discovery walks ran. On the deadline, a view of at least Q nodes is used as it is; a smaller one
 * is `Timeout` (no request could reach a quorum).
 */
async function waitForView (routing: RoutingView, goal: ViewGoal): Promise<void> {
  let size = routing.size
  let grewAt = performance.now()
  let walking: Promise<void> | undefined
  while (true) {
    if (routing.size !== size) {
      size = routing.size
      grewAt = performance.now()
    }
    if (size >= goal.target) return
    if (size >= goal.minimum && performance.now() - grewAt >= goal.settleTime) return
    walking ??= routing.discover(goal.signal).then(() => {}, () => {}).finally(() => { walking = undefined })
    try {
      await sleep(POLL_INTERVAL, undefined, { signal: goal.signal })
    } catch (err) {
      if (!goal.timedOut()) throw err
      if (routing.size >= goal.quorum) return
      throw new SafeMeshError('Timeout', `found ${routing.size} nodes, fewer than a quorum of ${goal.quorum}; is the network up?`)
    }
  }
}
