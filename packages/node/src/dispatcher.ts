import { SafeMeshError, decodeMessage, encodeReply, type WireMessage, type WireReply } from '@safemesh/protocol'
import type { RequestContext, RequestHandler } from '@safemesh/net'

type MessageType = WireMessage['type']
type MessageOf<T extends MessageType> = Extract<WireMessage, { type: T }>

/** Serves one kind of message; throw a `SafeMeshError` to refuse it. */
export type Handler<T extends MessageType> = (message: MessageOf<T>, context: RequestContext) => Promise<WireReply>

export interface DispatchObserver {
  (type: string, outcome: string, seconds: number): void
}

/**
 * Decodes each message once, at the edge (malformed → `InvalidRequest`), and
 * hands it to the persona that registered for its type.
 */
export class Dispatcher {
  private readonly handlers = new Map<MessageType, Handler<MessageType>>()
  private readonly observe?: DispatchObserver

  constructor (observe?: DispatchObserver) {
    this.observe = observe
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
      const message = decodeMessage(body)
      type = message.type
      const handler = this.handlers.get(message.type)
      if (handler == null) throw new SafeMeshError('InvalidRequest', `this node does not serve ${message.type}`)
      return encodeReply(await handler(message, context))
    } catch (err) {
      outcome = err instanceof SafeMeshError ? err.code : 'internal'
      throw err
    } finally {
      this.observe?.(type, outcome, (performance.now() - started) / 1000)
    }
  }
}
