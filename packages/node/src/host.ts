import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { identify, identifyPush } from '@libp2p/identify'
import { kadDHT, removePublicAddressesMapper, type KadDHT } from '@libp2p/kad-dht'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import { installYamuxWindowBatching } from './messaging/yamux-window.js'
import type { PrivateKey, ComponentLogger } from '@libp2p/interface'

/** SafeMesh's own protocol ids: a SafeMesh network never mixes with a public IPFS DHT. */
export const KAD_PROTOCOL = '/safemesh/kad/1.0.0'
export const MESSAGING_PROTOCOL = '/safemesh/msg/1.0.0'

/**
 * How long a ping (the connection monitor's, every 10 s) may take before the connection counts
 * as dead, on both sides: the pinging side's wait and the answering side's.
 */
export const PING_TIMEOUT = 60_000

// A type alias, not an interface: libp2p's ServiceMap needs an index signature.
export type HostServices = {
  dht: KadDHT
  ping: Ping
  identify: Identify
  identifyPush: IdentifyPush
}

export type Host = Libp2p<HostServices>

export interface HostOptions {
  /** The node's persistent peer key; clients pass none and get a fresh one. */
  privateKey?: PrivateKey
  /** Addresses to listen on; clients listen on none. */
  listen?: string[]
  /** Multiaddrs (with /p2p/<id>) of nodes to join through. */
  bootstrap?: string[]
  /**
   * `false` for nodes (they serve the DHT), `true` for clients, which only
   * query it. kad-dht would otherwise stay in client mode on loopback, where
   * no address looks public, and no node would answer queries.
   */
  dhtClientMode: boolean
  metrics?: Libp2pOptions['metrics']
  /** libp2p's own debug logger (the `DEBUG=libp2p:*` switch); pino logs are separate. */
  logger?: ComponentLogger
  /**
   * Default true. A node passes false, registers its SafeMesh messaging handler, then starts
   * the host: the first identify any peer runs with it must already list the protocol, or
   * that peer would not count it as a node until it asked again.
   */
  start?: boolean
}

/**
 * Creates the libp2p host that every SafeMesh node and client runs on:
 * TCP + Noise + Yamux, identify, ping and a Kademlia DHT under SafeMesh's
 * protocol id. Loopback is allow-listed in the connection manager because its
 * inbound rate limit otherwise drops the burst of dials a testnet bootstrap makes.
 */
export async function createHost (options: HostOptions): Promise<Host> {
  installYamuxWindowBatching()
  const init: Libp2pOptions<HostServices> = {
    addresses: { listen: options.listen ?? [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: (options.bootstrap ?? []).length > 0 ? [bootstrap({ list: options.bootstrap ?? [], timeout: 0 })] : [],
    // libp2p pings every connection and aborts it when a ping misses its
    // timeout: on a loaded machine a busy but healthy peer misses it, and the
    // abort takes every stream on the connection with it. Measured on 2 cores
    // during a 64 MiB upload to 16 nodes: every node's event loop lagged up to
    // 1–2.4 s at a time, and with a 20 s floor the nodes still aborted 269
    // connections of idle bench clients on pings that took longer (bench run with
    // DEBUG=libp2p:connection-monitor*). A peer that has not answered a ping in
    // 60 s is gone; one that exits closes its connections at once. The timeout is
    // fixed: libp2p's adaptive one learns from every connection at once and
    // shrinks to its floor as soon as the load passes.
    // Clients do not abort: on a saturated machine every connection of idle clients missed
    // its ping at once (bench, 32 clients during a 64 MiB upload), and a client without
    // connections cannot act until it has dialled again. A node that exits closes its
    // connections; one that hangs costs a client one unanswered request per group it is in,
    // which the group's quorum covers; the nodes' own monitors still drop a dead client.
    connectionMonitor: {
      pingInterval: 10_000,
      pingTimeout: { minTimeout: PING_TIMEOUT, maxTimeout: PING_TIMEOUT },
      abortConnectionOnPingFailure: !options.dhtClientMode
    },
    connectionManager: {
      allow: ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128'],
      maxConnections: 1024,
      inboundConnectionThreshold: 1024,
      maxIncomingPendingConnections: 256
    },
    services: {
      identify: identify(),
      // Tells connected peers when the protocols served here change (messaging handled or
      // unhandled), so their views follow without waiting for a walk.
      identifyPush: identifyPush(),
      // The connection monitor pings on this protocol too, within the ping service's stream
      // limits (by default 1 outbound, 2 inbound per connection). A heartbeat every 10 s with
      // a ping that may take up to 60 s overlaps earlier ones on a loaded machine, and the
      // second stream, refused by the limit, counted as a failed ping and aborted the
      // connection: every connection of idle bench clients dropped within seconds.
      // `timeout` bounds how long the *answering* side waits for a ping's bytes
      // (default 10 s) before it resets the stream, which the pinging node took
      // for a failed ping: 168 connections of idle bench clients were aborted that
      // way in one run. It must not be shorter than the pinging side's own timeout.
      ping: ping({ timeout: PING_TIMEOUT, maxOutboundStreams: 8, maxInboundStreams: 16 }),
      dht: kadDHT({
        protocol: KAD_PROTOCOL,
        clientMode: options.dhtClientMode,
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
