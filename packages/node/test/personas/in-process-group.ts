/**
 * safe_vault-style persona tests: G nodes' personas in one process, each with a real LevelDB store
 * in a temporary folder and the real Dispatcher, wired by a routing stub (every node is in every
 * close group, ranked by XOR distance as the real routing view ranks them) and a `send` that
 * encodes each message and hands it to the target's dispatcher. No sockets, no libp2p hosts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  SafeMeshError, accountNameOf, closestTo, decodeReply, encodeMessage, kadPositionOfName, kadPositionOfPeer, networkParams,
  newMutableData, randomXorName, TYPE_TAG_SESSION_PACKET,
  type NetworkParams, type Request, type RequestOf, type WireMessage, type WireReply, type XorName
} from '@safemesh/protocol'
import { Dispatcher } from '../../src/dispatcher.js'
import { registerPersonas, type Personas } from '../../src/personas/index.js'
import { Store } from '../../src/store/store.js'
import type { RoutingView } from '@safemesh/net'
import type { PeerId, PrivateKey } from '@libp2p/interface'

interface InProcessNode {
  readonly peer: PeerId
  readonly dispatcher: Dispatcher
  readonly personas: Personas
  readonly store: Store
  /** Messages of these types from this node are dropped on the way (a member that stays silent). */
  readonly drops: Set<WireMessage['type']>
}

/** Decides whether a message reaches its target; return false to drop it. */
export type Wire = (from: InProcessNode, to: InProcessNode, message: WireMessage) => boolean

export interface InProcessGroup {
  readonly nodes: readonly InProcessNode[]
  readonly params: NetworkParams
  /** Delivers `message` from `from` (a client's peer) to `to`'s dispatcher, as the messenger would. */
  deliver: (from: PeerId, to: InProcessNode, message: WireMessage) => Promise<WireReply>
  /** Restarts every node's personas on its store: what they kept in memory is gone, what is on disk stays. */
  restart: () => void
  close: () => Promise<void>
}

export interface Client {
  readonly peer: PeerId
  /** The owner's signing key: the client's peer key, as on the real network. */
  readonly owner: Uint8Array
  readonly account: XorName
}

export async function newClient (): Promise<Client> {
  const key = await generateKeyPair('Ed25519')
  const peer = peerIdFromPrivateKey(key)
  const owner = key.publicKey.raw
  return { peer, owner, account: accountNameOf(owner) }
}

/** A fresh 32-byte message id. */
export function messageId (): Uint8Array {
  return randomXorName()
}

/** The session packet's PutMData that opens `client`'s account (SPEC §4). */
export function openingOf (client: Client, id = messageId()): RequestOf<'PutMData'> {
  const data = newMutableData({ name: randomXorName(), tag: TYPE_TAG_SESSION_PACKET, owners: [client.owner] })
  return { type: 'PutMData', messageId: id, account: client.account, requester: client.owner, data }
}

export async function inProcessGroup (options: { params?: Partial<NetworkParams>, wire?: Wire } = {}): Promise<InProcessGroup> {
  const params = networkParams({ groupSize: 8, ...options.params })
  const keys: PrivateKey[] = await Promise.all(Array.from({ length: params.groupSize }, async () => await generateKeyPair('Ed25519')))
  const peers = keys.map(key => peerIdFromPrivateKey(key))
  const nodes: InProcessNode[] = []
  const dirs: string[] = []
  const wire = options.wire ?? (() => true)
  const starts: Array<() => void> = []

  const deliver = async (from: PeerId, to: InProcessNode, message: WireMessage): Promise<WireReply> => {
    const signal = AbortSignal.timeout(30_000)
    return decodeReply(await to.dispatcher.handle(encodeMessage(message), { from, signal }))
  }
  const closeGroup = (name: XorName, count = params.groupSize): PeerId[] =>
    closestTo(kadPositionOfName(name), peers, count, peer => kadPositionOfPeer(peer.toMultihash().bytes))

  for (let i = 0; i < peers.length; i++) {
    const self = peers[i] as PeerId
    const dir = await mkdtemp(join(tmpdir(), 'safemesh-persona-'))
    dirs.push(dir)
    const store = await Store.open(join(dir, 'store'))
    const routing = {
      self,
      closeGroup,
      isInCloseGroup: (name: XorName) => closeGroup(name).some(p => p.equals(self)),
      isCloseGroupMember: (name: XorName, peer: PeerId) => closeGroup(name).some(p => p.equals(peer)),
      has: (peer: PeerId) => peers.some(p => p.equals(peer)),
      addEventListener: () => {}
    } as unknown as RoutingView
    const drops = new Set<WireMessage['type']>()
    const node = { peer: self, store, drops } as unknown as { -readonly [K in keyof InProcessNode]: InProcessNode[K] }
    starts.push(() => {
      const dispatcher = new Dispatcher({ params, isNode: (peer) => peers.some(p => p.equals(peer)) })
      node.dispatcher = dispatcher
      node.personas = registerPersonas({
        self,
        routing,
        store,
        params,
        log: pino({ level: 'silent' }),
        send: async (peer, message) => {
          const target = nodes.find(n => n.peer.equals(peer))
          if (target == null) throw new SafeMeshError('Timeout', 'no such node')
          if (node.drops.has(message.type) || !wire(node, target, message)) throw new SafeMeshError('Timeout', 'dropped on the wire')
          return await deliver(self, target, message)
        },
        sign: async (bytes) => await (keys[i] as PrivateKey).sign(bytes)
      }, dispatcher)
    })
    starts.at(-1)?.()
    nodes.push(node)
  }
  return {
    nodes,
    params,
    deliver,
    restart: () => {
      for (const node of nodes) node.personas.stop()
      for (const start of starts) start()
    },
    close: async () => {
      for (const node of nodes) node.personas.stop()
      for (const node of nodes) await node.store.close()
      for (const dir of dirs) await rm(dir, { recursive: true, force: true })
    }
  }
}

/** What each node (all are the account's Maid-Managers, N = G) answered `request` from `client`: a reply or an error code. */
export async function sendToAccountGroup (group: InProcessGroup, client: Client, request: Request): Promise<Array<WireReply | string>> {
  return await Promise.all(group.nodes.map(async node => await answerOf(group.deliver(client.peer, node, request))))
}

/** A reply, or the code of the SafeMeshError it was refused with. */
export async function answerOf (reply: Promise<WireReply>): Promise<WireReply | string> {
  try {
    return await reply
  } catch (err) {
    if (err instanceof SafeMeshError) return err.code
    throw err
  }
}
