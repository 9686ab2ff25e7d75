import { noise } from '@chainsafe/libp2p-noise'
import { bootstrap } from '@libp2p/bootstrap'
import { identify, identifyPush } from '@libp2p/identify'
import { kadDHT, removePublicAddressesMapper, type KadDHT } from '@libp2p/kad-dht'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import { windowBatchingYamux } from './messaging/yamux-window.js'
import type { PrivateKey, ComponentLogger } from '@libp2p/interface'

/** SafeMesh's own protocol ids: a SafeMesh network never mixes with a public IPFS DHT. */
export const KAD_PROTOCOL = '/safemesh/kad/1.0.0'
export const MESSAGING_PROTOCOL = '/safemesh/msg/1.0.0'

/** How long a ping may take before the connection counts as dead, on both sides (docs/decisions.md "Connection monitor"). */
export const PING_TIMEOUT = 60_000

/** How often the connection monitor pings each connection. */
export const PING_INTERVAL = 10_000

// A type alias, not an interface: libp2p's ServiceMap needs an index signature.
export type HostServices = {
  dht: KadDHT
  ping: Ping
  identify: Identify
  identifyPush: IdentifyPush
}

export type Host = Libp2p<HostServices>

/**
 * What a host is for. A `node` serves the DHT and SafeMesh messaging, listens, and drops peers
 * that stop answering pings; a `client` only queries the DHT and keeps its connections.
 */
export type HostRole = 'node' | 'client'

export interface HostOptions {
  role: HostRole
  /** The node's persistent peer key; clients pass none and get a fresh one. */
  privateKey?: PrivateKey
  /** Addresses to listen on; clients listen on none. */
  listen?: string[]
  /** Multiaddrs (with /p2p/<id>) of nodes to join through. */
  bootstrap?: string[]
  metrics?: Libp2pOptions['metrics']
  /** libp2p's own debug logger (the `DEBUG=libp2p:*` switch); pino logs are separate. */
  logger?: ComponentLogger
  /** Connection-monitor ping interval (ms). Default `PING_INTERVAL`. */
  pingInterval?: number
  /** How long a ping may take, on the pinging and the answering side (ms). Default `PING_TIMEOUT`. */
  pingTimeout?: number
  /**
   * Default true. A node passes false, registers its messaging handler, then starts: the first
   * identify a peer runs must already list the protocol, or that peer would not count it a node.
   */
  start?: boolean
}

/**
 * Creates the libp2p host every SafeMesh node and client runs on: TCP + Noise + Yamux, identify,
 * ping and a Kademlia DHT under SafeMesh's protocol id.
 *
 * @example
 * ```ts
 * const host = await createHost({ role: 'client', bootstrap: network.bootstrap })
 * ```
 */
export async function createHost (options: HostOptions): Promise<Host> {
  const isNode = options.role === 'node'
  const pingTimeout = options.pingTimeout ?? PING_TIMEOUT
  const init: Libp2pOptions<HostServices> = {
    addresses: { listen: options.listen ?? [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    // Batched window updates on this host's streams only, never the process's other yamux users.
    streamMuxers: [windowBatchingYamux()],
    peerDiscovery: (options.bootstrap ?? []).length > 0 ? [bootstrap({ list: options.bootstrap ?? [], timeout: 0 })] : [],
    // A fixed, long ping timeout; clients never abort (docs/decisions.md "Connection monitor").
    connectionMonitor: {
      pingInterval: options.pingInterval ?? PING_INTERVAL,
      pingTimeout: { minTimeout: pingTimeout, maxTimeout: pingTimeout },
      abortConnectionOnPingFailure: isNode
    },
    // Loopback is allow-listed: the inbound rate limit otherwise drops a testnet bootstrap's burst of dials.
    connectionManager: {
      allow: ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128'],
      maxConnections: 1024,
      inboundConnectionThreshold: 1024,
      maxIncomingPendingConnections: 256
    },
    services: {
      identify: identify(),
      // Peers' views follow a change of served protocols without waiting for a walk.
      identifyPush: identifyPush(),
      // Room for overlapping monitor pings; the answering side waits as long as the pinging one.
      ping: ping({ timeout: pingTimeout, maxOutboundStreams: 8, maxInboundStreams: 16 }),
      dht: kadDHT({
        protocol: KAD_PROTOCOL,
        // kad-dht would stay in client mode on loopback, where no address looks public.
        clientMode: !isNode,
        peerInfoMapper: removePublicAddressesMapper,
        logPrefix: 'libp2p:safemesh-kad',
        metricsPrefix: 'libp2p_safemesh_kad'
      })
    }
  }
  if (options.privateKey != null) init.privateKey = options.privateKey
  if (options.metrics != null) init.metrics = options.metrics
  if (options.logger != null) init.logger = options.logger
  return await createLibp2p({ ...init, start: options.start ?? true })
}
