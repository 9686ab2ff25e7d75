import { generateKeyPair } from '@libp2p/crypto/keys'
import { pino } from 'pino'
import {
  DEFAULT_NETWORK_PARAMS, decodeReply, encodeMessage, quorumOf, sha3_256,
  type WireMessage, type WireReply, type XorName
} from '@safemesh/protocol'
import { askForQuorum, createHost, Messenger, MESSAGING_PROTOCOL, RoutingView, type Host } from '@safemesh/net'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { Testnet } from '@safemesh/testnet'
import { eventually } from './testnet.js'

/**
 * A bare protocol client for node tests: a libp2p host whose key is the
 * account's signing key, the routing view, and quorum over raw wire messages.
 */
export class RawClient {
  readonly host: Host
  readonly routing: RoutingView
  readonly messenger: Messenger
  readonly key: Uint8Array
  readonly account: XorName
  readonly groupSize: number

  private constructor (host: Host, groupSize: number, bootstrap: string[]) {
    this.host = host
    this.groupSize = groupSize
    this.routing = new RoutingView(host, { groupSize, bootstrap, member: false, log: pino({ level: 'silent' }) })
    this.messenger = new Messenger(host, { protocol: MESSAGING_PROTOCOL, maxMessageSize: DEFAULT_NETWORK_PARAMS.maxMessageSize, log: pino({ level: 'silent' }) })
    this.key = host.peerId.publicKey?.raw as Uint8Array
    this.account = sha3_256(this.key)
  }

  static async connect (testnet: Testnet, privateKey?: PrivateKey): Promise<RawClient> {
    const host = await createHost({ role: 'client', bootstrap: testnet.bootstrapAddresses(), privateKey: privateKey ?? await generateKeyPair('Ed25519') })
    const client = new RawClient(host, testnet.groupSize, testnet.bootstrapAddresses())
    await client.messenger.start()
    await client.routing.start()
    const running = (await testnet.status()).filter(v => v.up).length
    await eventually(async () => client.routing.size >= running, 30_000, 100)
    return client
  }

  async send (peer: PeerId, message: WireMessage): Promise<WireReply> {
    return decodeReply(await this.messenger.request(peer, encodeMessage(message)))
  }

  async quorum (name: XorName, message: WireMessage): Promise<WireReply> {
    return await askForQuorum(this.routing.closeGroup(name), async peer => await this.send(peer, message), quorumOf(this.groupSize))
  }

  async close (): Promise<void> {
    await this.routing.stop()
    await this.messenger.stop()
    await this.host.stop()
  }
}
