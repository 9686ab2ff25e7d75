/**
 * The libp2p stack every measured system shares: TCP + Noise + Yamux with
 * their default settings, as packages/node/src/host.ts configures it;
 * loopback, port 0, nothing else (no discovery, relay, NAT or WebRTC).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import type { Libp2pOptions } from 'libp2p'

export type StackOptions = Required<Pick<Libp2pOptions, 'addresses' | 'transports' | 'connectionEncrypters' | 'streamMuxers' | 'peerDiscovery'>>

export function stackOptions (listen: boolean): StackOptions {
  return {
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: []
  }
}
