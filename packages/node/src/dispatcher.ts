import { SafeMeshError, decodeRequest, encodeResponse, type Request, type Response } from '@safemesh/protocol'
import type { RequestContext, RequestHandler } from './messaging/messenger.js'

type RequestType = Request['type']
type RequestOf<T extends RequestType> = Extract<Request, { type: T }>

/** Serves one kind of request; throw a `SafeMeshError` to refuse it. */
export type Handler<T extends RequestType> = (request: RequestOf<T>, context: RequestContext) => Promise<Response>

export interface DispatchObserver {
  (type: string, outcome: string, seconds: number): void
}

/**
 * Decodes each request once, at the edge (malformed → `InvalidRequest`), and
 * hands it to the persona that registered for its type.
 */
export class Dispatcher {
  private readonly handlers = new Map<RequestType, Handler<RequestType>>()
  private readonly observe?: DispatchObserver

  constructor (observe?: DispatchObserver) {
    this.observe = observe
  }

  on<T extends RequestType> (type: T, handler: Handler<T>): void {
    if (this.handlers.has(type)) throw new Error(`a handler for ${type} is already registered`)
    this.handlers.set(type, handler as unknown as Handler<RequestType>)
  }

  readonly handle: RequestHandler = async (body, context) => {
    const started = performance.now()
    let type = 'malformed'
    let outcome = 'ok'
    try {
      const request = decodeRequest(body)
      type = request.type
      const handler = this.handlers.get(request.type)
      if (handler == null) throw new SafeMeshError('InvalidRequest', `this node does not serve ${request.type}`)
      return encodeResponse(await handler(request, context))
    } catch (err) {
      outcome = err instanceof SafeMeshError ? err.code : 'internal'
      throw err
    } finally {
      this.observe?.(type, outcome, (performance.now() - started) / 1000)
    }
  }
}
