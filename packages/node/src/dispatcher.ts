import {
  NODE_ONLY_MESSAGE_TYPES, SafeMeshError, decodeWireMessage, encodeReply, scanWireMessage, wireLimits,
  type NetworkParams, type WireLimit, type WireMessage, type WireReply
} from '@safemesh/protocol'
import type { PeerId } from '@libp2p/interface'
import type { RequestContext, RequestHandler } from '@safemesh/net'

type MessageType = WireMessage['type']
type MessageOf<T extends MessageType> = Extract<WireMessage, { type: T }>

/** What a handler gets besides the message: who sent it, and the bytes it came as. */
export interface HandlerContext extends RequestContext {
  /** The message's canonical encoding as received: hash these instead of re-encoding. */
  body: Uint8Array
}

/** Serves one kind of message; throw a `SafeMeshError` to refuse it. */
export type Handler<T extends MessageType> = (message: MessageOf<T>, context: HandlerContext) => Promise<WireReply>

interface DispatchObserver {
  (type: string, outcome: string, seconds: number): void
}

export interface DispatcherOptions {
  params: NetworkParams
  /** Whether a peer is a node this one knows: only nodes may send node messages. */
  isNode: (peer: PeerId) => boolean
  observe?: DispatchObserver
}

/**
 * Decodes each message once, at the edge, and hands it to the persona that registered for its
 * type. Before decoding, a scan reads the type and refuses what breaks its limits, and a node
 * message from a peer that is not a known node (protocol/messages/limits.ts): a stranger's frame
 * costs a scan, not a decode.
 */
export class Dispatcher {
  private readonly handlers = new Map<MessageType, Handler<MessageType>>()
  private readonly options: DispatcherOptions
  private readonly limits: Readonly<Record<MessageType, WireLimit>>

  constructor (options: DispatcherOptions) {
    this.options = options
    this.limits = wireLimits(options.params)
  }

  on<T extends MessageType> (type: T, handler: Handler<T>): void {
    if (this.handlers.has(type)) throw new Error(`a handler for ${type} is already registered`)
    this.handlers.set(type, handler as unknown as Handler<MessageType>)
  }

  readonly handle: RequestHandler = async (body, context) => {
    const started = performance.now()
    let type = 'malformed'
    let outcome = 'ok'
    try {
      const header = scanWireMessage(body, this.limits)
      type = header.type
      if (NODE_ONLY_MESSAGE_TYPES.has(header.type) && !this.options.isNode(context.from)) {
        throw new SafeMeshError('AccessDenied', `only nodes send ${header.type}`)
      }
      const handler = this.handlers.get(header.type)
      if (handler == null) throw new SafeMeshError('InvalidRequest', `this node does not serve ${header.type}`)
      const message = decodeWireMessage(body, header)
      return encodeReply(await handler(message, { ...context, body }))
    } catch (err) {
      outcome = err instanceof SafeMeshError ? err.code : 'internal'
      throw err
    } finally {
      this.options.observe?.(type, outcome, (performance.now() - started) / 1000)
    }
  }
}
