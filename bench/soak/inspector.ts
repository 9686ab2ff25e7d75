/**
 * Asks one node directly, bypassing any quorum: what the replica and account checks need. A bare
 * libp2p host (DHT client mode, listening nowhere) with the node package's Messenger, which
 * serves nothing, so no node ever counts it as a node. It dials each node at the address the
 * testnet recorded; with an account's key, it can read that account's record from each of its
 * Maid-Managers.
 */
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost, Messenger, MESSAGING_PROTOCOL, type Host } from '@safemesh/net'
import { DEFAULT_NETWORK_PARAMS, decodeReply, encodeMessage, type WireMessage, type WireReply } from '@safemesh/protocol'
import { pino } from 'pino'
import type { NetworkNode } from './close-groups.js'

export class Inspector {
  private readonly host: Host
  private readonly messenger: Messenger
  private readonly known = new Map<string, string>()

  private constructor (host: Host, messenger: Messenger) {
    this.host = host
    this.messenger = messenger
  }

  static async start (privateKey?: PrivateKey): Promise<Inspector> {
    const host = await createHost({ role: 'client', ...(privateKey != null ? { privateKey } : {}) })
    const messenger = new Messenger(host, { protocol: MESSAGING_PROTOCOL, maxMessageSize: DEFAULT_NETWORK_PARAMS.maxMessageSize, log: pino({ level: 'silent' }) })
    await messenger.start()
    return new Inspector(host, messenger)
  }

  /** `node`'s answer to `message`; rejects with its SafeMeshError, or Timeout. */
  async ask (node: NetworkNode, message: WireMessage, timeout: number): Promise<WireReply> {
    const peer = peerIdFromString(node.peerId)
    if (this.known.get(node.peerId) !== node.address) {
      await this.host.peerStore.merge(peer, { multiaddrs: [multiaddr(node.address.split('/p2p/')[0])] })
      this.known.set(node.peerId, node.address)
    }
    return decodeReply(await this.messenger.request(peer, encodeMessage(message), { timeout }))
  }

  async close (): Promise<void> {
    try { await this.messenger.stop() } catch {}
    try { await this.host.stop() } catch {}
  }
}
