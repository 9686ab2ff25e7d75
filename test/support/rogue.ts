import { pino } from 'pino'
import {
  DEFAULT_NETWORK_PARAMS, SafeMeshError, decodeMessage, decodeReply, encodeMessage, encodeReply,
  type WireMessage, type WireReply
} from '@safemesh/protocol'
import { createHost, Messenger, MESSAGING_PROTOCOL, RoutingView, type Host, type RequestContext } from '@safemesh/net'
import type { Testnet } from '@safemesh/testnet'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export type MessageType = WireMessage['type']
export type MessageOf<T extends MessageType> = Extract<WireMessage, { type: T }>

/** Answers one kind of message; throw a `SafeMeshError` to refuse it with its code. */
export type RogueHandler<T extends MessageType = MessageType> = (message: MessageOf<T>, context: RequestContext) => Promise<WireReply>

/** A message the rogue was sent, as it arrived. */
export interface Received<T extends MessageType = MessageType> {
  readonly from: PeerId
  readonly message: MessageOf<T>
  readonly at: number
}

/** Messages kept for replay: a rogue in a busy group must not grow without bound. */
const MAX_RECORDED = 20_000

/**
 * An attacker's node: it joins the network like any other (it serves
 * SafeMesh messaging, so every node counts it as a member of the groups its
 * id falls in) but answers each kind of message with whatever the test gives
 * it (`on`), everything else with `otherwise` (by default a refusal). It
 * records every message it is sent, so a test can replay one, or react to it
 * (a Forward it got as a Data-Manager names the request id every Data-Manager
 * computes), and it can send any message to any node.
 */
export class RogueNode {
  readonly host: Host
  readonly messenger: Messenger
  readonly routing: RoutingView
  /** Its peer key: what it signs, a sequencer's proposals for one, is signed with it. */
  readonly privateKey: PrivateKey
  private readonly handlers = new Map<MessageType, RogueHandler>()
  private fallback: RogueHandler = refuseEverything()
  private readonly log: Received[] = []
  private readonly listeners = new Set<(received: Received) => void>()

  private constructor (testnet: Testnet, host: Host, privateKey: PrivateKey) {
    this.host = host
    this.privateKey = privateKey
    this.messenger = new Messenger(host, {
      protocol: MESSAGING_PROTOCOL,
      maxMessageSize: DEFAULT_NETWORK_PARAMS.maxMessageSize,
      log: pino({ level: 'silent' }),
      handler: async (body, context) => encodeReply(await this.serve(body, context))
    })
    this.routing = new RoutingView(host, { groupSize: testnet.groupSize, bootstrap: testnet.bootstrapAddresses(), log: pino({ level: 'silent' }) })
  }

  /**
   * Starts a rogue with peer key `privateKey` and joins it to the testnet.
   * `configure` sets its handlers before it serves anything, so even the
   * replicas pushed to it as a newcomer meet them.
   */
  static async join (testnet: Testnet, privateKey: PrivateKey, configure?: (rogue: RogueNode) => void): Promise<RogueNode> {
    const host = await createHost({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: testnet.bootstrapAddresses(), role: 'node', start: false })
    const rogue = new RogueNode(testnet, host, privateKey)
    configure?.(rogue)
    try {
      await rogue.messenger.start()
      await host.start()
      await rogue.routing.start()
    } catch (err) {
      await rogue.leave()
      throw err
    }
    return rogue
  }

  get peerId (): PeerId {
    return this.host.peerId
  }

  /** Answers messages of `type` with `handler` from now on (replacing an earlier one). */
  on<T extends MessageType> (type: T, handler: RogueHandler<T>): this {
    this.handlers.set(type, handler as unknown as RogueHandler)
    return this
  }

  /** Answers every message no `on` handler takes. */
  otherwise (handler: RogueHandler): this {
    this.fallback = handler
    return this
  }

  /** The messages of `type` received so far (that pass `filter`), oldest first. */
  received<T extends MessageType> (type: T, filter: (received: Received<T>) => boolean = () => true): Array<Received<T>> {
    return this.log.filter(r => isOf(r, type) && filter(r)) as unknown as Array<Received<T>>
  }

  /** The first message of `type` that passes `filter`: one already received, or the next to come. */
  async waitFor<T extends MessageType> (type: T, filter: (received: Received<T>) => boolean = () => true, timeoutMs = 30_000): Promise<Received<T>> {
    const seen = this.received(type, filter)[0]
    if (seen != null) return seen
    return await new Promise<Received<T>>((resolve, reject) => {
      const listener = (r: Received): void => {
        if (!isOf(r, type) || !filter(r)) return
        cleanup()
        resolve(r)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`the rogue received no matching ${type} within ${timeoutMs} ms`))
      }, timeoutMs)
      const cleanup = (): void => {
        clearTimeout(timer)
        this.listeners.delete(listener)
      }
      this.listeners.add(listener)
    })
  }

  /** Sends any message, with any content, to any node, and resolves with its answer. */
  async send (peer: PeerId, message: WireMessage, timeoutMs?: number): Promise<WireReply> {
    return decodeReply(await this.messenger.request(peer, encodeMessage(message), timeoutMs == null ? {} : { timeout: timeoutMs }))
  }

  /** Sends `message` to each of `peers` at once; what each answered, in their order. */
  async sendEach (peers: readonly PeerId[], message: WireMessage, timeoutMs?: number): Promise<Array<PromiseSettledResult<WireReply>>> {
    return await Promise.allSettled(peers.map(async peer => await this.send(peer, message, timeoutMs)))
  }

  /** Sends a message it received again, as it was or changed by `change`, to each of `peers`. */
  async replay<T extends MessageType> (received: Received<T>, peers: readonly PeerId[], change: (message: MessageOf<T>) => WireMessage = m => m): Promise<Array<PromiseSettledResult<WireReply>>> {
    return await this.sendEach(peers, change(received.message))
  }

  async leave (): Promise<void> {
    this.listeners.clear()
    await this.routing.stop()
    await this.messenger.stop()
    await this.host.stop()
  }

  private async serve (body: Uint8Array, context: RequestContext): Promise<WireReply> {
    const message = decodeMessage(body)
    const received: Received = { from: context.from, message, at: Date.now() }
    if (this.log.length >= MAX_RECORDED) this.log.shift()
    this.log.push(received)
    for (const listener of [...this.listeners]) listener(received)
    const handler = this.handlers.get(message.type) ?? this.fallback
    return await handler(message, context)
  }
}

function isOf<T extends MessageType> (received: Received, type: T): received is Received & Received<T> {
  return received.message.type === type
}

/** What a group answered a rogue, for a person: "7 × Ack", "4 × Ack, 3 × AccessDenied". */
export function tallyAnswers (answers: ReadonlyArray<PromiseSettledResult<WireReply>>): string {
  const counts = new Map<string, number>()
  for (const a of answers) {
    const key = a.status === 'fulfilled' ? a.value.type : ((a.reason as { code?: string }).code ?? 'failed')
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].map(([k, n]) => `${n} × ${k}`).join(', ')
}

/** The default: every message refused with `InvalidRequest`. */
function refuseEverything (): RogueHandler {
  return async () => { throw new SafeMeshError('InvalidRequest', 'rogue') }
}
