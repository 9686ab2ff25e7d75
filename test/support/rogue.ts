import { generateKeyPair } from '@libp2p/crypto/keys'
import { pino } from 'pino'
import { DEFAULT_NETWORK_PARAMS, SafeMeshError, closestTo, decodeReply, encodeMessage, kadPositionOfName, kadPositionOfPeer, type WireMessage, type WireReply, type XorName } from '@safemesh/protocol'
import { createHost, Messenger, MESSAGING_PROTOCOL, RoutingView, type Host, type RequestHandler, type Testnet } from '@safemesh/node'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { eventually } from './testnet.js'

/**
 * A node that joins the network like any other (it serves SafeMesh
 * messaging, so every node counts it as a member) but runs whatever handler
 * the test gives it: the attacker in group-authority and verification tests.
 */
export class RogueNode {
  readonly host: Host
  readonly messenger: Messenger
  readonly routing: RoutingView

  private constructor (host: Host, messenger: Messenger, routing: RoutingView) {
    this.host = host
    this.messenger = messenger
    this.routing = routing
  }

  static async join (testnet: Testnet, privateKey: PrivateKey, handler: RequestHandler): Promise<RogueNode> {
    const host = await createHost({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: testnet.bootstrapAddresses(), dhtClientMode: false, start: false })
    const messenger = new Messenger(host, { protocol: MESSAGING_PROTOCOL, maxMessageSize: DEFAULT_NETWORK_PARAMS.maxMessageSize, log: pino({ level: 'silent' }), handler })
    const routing = new RoutingView(host, { groupSize: testnet.groupSize, bootstrap: testnet.bootstrapAddresses(), log: pino({ level: 'silent' }) })
    try {
      await messenger.start()
      await host.start()
      await routing.start()
    } catch (err) {
      await routing.stop()
      await messenger.stop()
      await host.stop()
      throw err
    }
    return new RogueNode(host, messenger, routing)
  }

  async send (peer: PeerId, message: WireMessage): Promise<WireReply> {
    return decodeReply(await this.messenger.request(peer, encodeMessage(message)))
  }

  async leave (): Promise<void> {
    await this.routing.stop()
    await this.messenger.stop()
    await this.host.stop()
  }
}

/**
 * Peer keys that will sit among the G nodes nearest to `name` once they join
 * the testnet's `nodes` (ground until each is nearer than the G-th node).
 */
export async function keysNear (name: XorName, nodes: string[], count: number, groupSize: number): Promise<PrivateKey[]> {
  const target = kadPositionOfName(name)
  const positions = nodes.map(id => kadPositionOfPeer(peerIdFromString(id).toMultihash().bytes))
  const keys: PrivateKey[] = []
  for (let tries = 0; keys.length < count && tries < 10_000; tries++) {
    const key = await generateKeyPair('Ed25519')
    const position = kadPositionOfPeer(peerIdFromPrivateKey(key).toMultihash().bytes)
    // Among the nodes plus the keys chosen so far, this one must land in the nearest G - count + keys.length.
    const all = [...positions, ...keys.map(k => kadPositionOfPeer(peerIdFromPrivateKey(k).toMultihash().bytes)), position]
    const group = closestTo(target, all, groupSize, p => p)
    if (group.includes(position) && closestTo(target, all, groupSize - (count - keys.length - 1), p => p).includes(position)) keys.push(key)
  }
  if (keys.length < count) throw new Error('could not grind keys near the name')
  return keys
}

/**
 * Waits until every node of the testnet counts `peers` as members. Up to 60 s: joining
 * costs every node CPU (connections, identify, kad pings), and four joins at once on two
 * cores keep the network saturated for 10–25 s (measured); the deadline is not what is tested.
 */
export async function untilMembers (testnet: Testnet, peers: PeerId[], name: XorName): Promise<void> {
  const hex = Buffer.from(name).toString('hex')
  await eventually(async () => {
    for (const record of testnet.records()) {
      const group = await testnet.closeGroupSeenBy(record.index, hex).catch((): string[] => [])
      if (!peers.every(p => group.includes(p.toString()))) return false
    }
    return true
  }, 60_000, 200)
}

export function refuseEverything (): RequestHandler {
  return async () => { throw new SafeMeshError('InvalidRequest', 'rogue') }
}
