import { SafeMeshError, decode, encode, errorFromWire, errorToWire, isMisrouted, isSafeMeshError } from '@safemesh/protocol'
import { FrameDecoder, FrameError, FrameKind, encodeFrame, sendFrame, type Frame } from './frame.js'
import { Slots } from './slots.js'
import { SenderQuotas, type SenderLimits } from './sender-quotas.js'
import { raceSignal } from 'race-signal'
import type { Connection, PeerId, Startable, Stream } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import type { Logger } from 'pino'

/** Serves one request; throw a `SafeMeshError` to answer with its code. */
export type RequestHandler = (body: Uint8Array, context: RequestContext) => Promise<Uint8Array>

export interface RequestContext {
  /** The authenticated (Noise) peer the request came from. */
  from: PeerId
  /** Aborted when the stream closes: the answer can no longer be delivered. */
  signal: AbortSignal
}

export interface MessengerOptions {
  protocol: string
  /** Largest frame body accepted or sent, in bytes. */
  maxMessageSize: number
  /** Default time a request waits for its response (ms). Default 30 s. */
  requestTimeout?: number
  /**
   * Requests one stream may have outstanding. An honest sender never exceeds
   * it (its own channel waits for a slot), so a peer that does is reset.
   * Default 256: high enough that forwards waiting on a quorum never starve the
   * commits that would settle them.
   */
  maxInflightPerStream?: number
  /** Inbound messaging streams allowed per connection. Default 8. */
  maxInboundStreams?: number
  /** What one sender may have served at once and how fast (defaults: `DEFAULT_SENDER_LIMITS`). */
  senderLimits?: Partial<SenderLimits>
  /** Nodes serve requests; clients pass no handler and only send. */
  handler?: RequestHandler
  log: Logger
}

/** How one message waits for its answer. */
export interface SendOptions {
  signal?: AbortSignal
  /** Overrides `requestTimeout` for this message (ms). */
  timeout?: number
}

const DEFAULT_REQUEST_TIMEOUT = 30_000
/** How long a dial, shared by the requests waiting on it, may take. */
const DIAL_TIMEOUT = 15_000
const DEFAULT_MAX_INFLIGHT = 256
const DEFAULT_MAX_INBOUND_STREAMS = 8

/**
 * Request/response between SafeMesh peers on one protocol.
 *
 * Every peer pair shares one long-lived outbound stream per direction, and
 * requests on it are multiplexed by id: a new stream costs several round trips
 * (docs/decisions.md "Messaging"), and mutations fan out to many peers. Frames are bounded (`maxMessageSize`), outstanding
 * requests are bounded on both ends, and every wait has a timeout or signal,
 * so garbage, oversized frames or half-open streams cost a reset stream and
 * nothing else; each sender's bytes in flight and request rate are bounded
 * (`SenderQuotas`: slowed when over), and a sender of many malformed frames
 * loses its connection.
 */
export class Messenger implements Startable {
  private readonly libp2p: Libp2p
  private readonly options: Required<Omit<MessengerOptions, 'handler' | 'senderLimits'>> & Pick<MessengerOptions, 'handler'>
  private readonly quotas: SenderQuotas
  private readonly channels = new Map<string, Promise<Channel>>()
  private readonly inbound = new Set<Stream>()
  private started = false

  constructor (libp2p: Libp2p, options: MessengerOptions) {
    this.libp2p = libp2p
    this.options = {
      requestTimeout: DEFAULT_REQUEST_TIMEOUT,
      maxInflightPerStream: DEFAULT_MAX_INFLIGHT,
      maxInboundStreams: DEFAULT_MAX_INBOUND_STREAMS,
      ...options
    }
    this.quotas = new SenderQuotas(options.senderLimits)
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    if (this.options.handler != null) {
      await this.libp2p.handle(this.options.protocol, (stream, connection) => {
        this.serveStream(stream, connection)
      }, {
        maxInboundStreams: this.options.maxInboundStreams,
        maxOutboundStreams: this.options.maxInboundStreams
      })
    }
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    if (this.options.handler != null) await this.libp2p.unhandle(this.options.protocol)
    const channels = [...this.channels.values()]
    this.channels.clear()
    for (const pending of channels) {
      pending.then(channel => { channel.close() }, () => {})
    }
    for (const stream of this.inbound) stream.abort(new Error('messenger stopped'))
    this.inbound.clear()
    this.quotas.clear()
  }

  /**
   * Sends `body` to `peer` and resolves with its answer's body. Rejects with
   * the remote's `SafeMeshError`, or `Timeout` when no answer came in time.
   */
  async request (peer: PeerId, body: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    if (!this.started) throw new SafeMeshError('InvalidOperation', 'messenger is not started')
    if (body.byteLength > this.options.maxMessageSize) {
      throw new SafeMeshError('InvalidRequest', `message of ${body.byteLength} bytes exceeds the ${this.options.maxMessageSize}-byte limit`)
    }
    const timeout = options.timeout ?? this.options.requestTimeout
    const timeoutSignal = AbortSignal.timeout(timeout)
    const signal = options.signal == null ? timeoutSignal : AbortSignal.any([options.signal, timeoutSignal])
    try {
      const channel = await this.channelTo(peer, signal)
      return await channel.request(body, signal)
    } catch (err) {
      if (isSafeMeshError(err)) throw err
      if (timeoutSignal.aborted) throw new SafeMeshError('Timeout', `no answer from ${peer.toString()} within ${timeout} ms`)
      if (options.signal?.aborted === true) throw options.signal.reason ?? err
      throw new SafeMeshError('Timeout', `could not reach ${peer.toString()}: ${(err as Error).message}`)
    }
  }

  private async channelTo (peer: PeerId, signal: AbortSignal): Promise<Channel> {
    const key = peer.toString()
    const existing = this.channels.get(key)
    if (existing != null) {
      let channel: Channel | undefined
      try {
        channel = await raceSignal(existing, signal)
      } catch (err) {
        // This request gave up; the dial goes on for the others.
        if (signal.aborted) throw err
      }
      if (channel?.isOpen() === true) return channel
      if (this.channels.get(key) === existing) this.channels.delete(key)
    }
    const opening = (async () => {
      // The dial is shared by every request that waits on it, so it has a deadline of its own: a
      // request that gives up (its timeout) lets go of the dial, never aborts it for the others.
      const stream: Stream = await this.libp2p.dialProtocol(peer, this.options.protocol, { signal: AbortSignal.timeout(DIAL_TIMEOUT) })
      return new Channel(stream, this.options.maxMessageSize, this.options.maxInflightPerStream, () => {
        if (this.channels.get(key) === opening) this.channels.delete(key)
      })
    })()
    this.channels.set(key, opening)
    opening.catch(() => {
      if (this.channels.get(key) === opening) this.channels.delete(key)
    })
    return await raceSignal(opening, signal)
  }

  private serveStream (stream: Stream, connection: Connection): void {
    const handler = this.options.handler
    if (handler == null) {
      stream.abort(new Error('not serving'))
      return
    }
    const from = connection.remotePeer
    const sender = from.toString()
    const decoder = new FrameDecoder(this.options.maxMessageSize)
    const closed = new AbortController()
    const maxInflight = this.options.maxInflightPerStream
    let inflight = 0
    let remoteDone = false
    this.inbound.add(stream)
    // Once the requester has stopped writing and every answer is out, close
    // our side too: a half-closed stream must not linger.
    const closeIfDone = (): void => {
      if (remoteDone && inflight === 0 && stream.status === 'open') {
        stream.close().catch(() => { stream.abort(new Error('close failed')) })
      }
    }
    stream.addEventListener('remoteCloseWrite', () => {
      remoteDone = true
      closeIfDone()
    })

    stream.addEventListener('message', (event) => {
      try {
        for (const frame of decoder.push(event.data)) {
          if (frame.kind !== FrameKind.Request) throw new FrameError('only requests may be sent on an inbound stream')
          if (inflight >= maxInflight) throw new FrameError(`more than ${maxInflight} requests in flight`)
          inflight++
          const bytes = frame.body.byteLength
          this.quotas.take(sender, bytes)
          void this.serveFrame(stream, frame, connection, closed.signal, handler).finally(() => {
            inflight--
            this.quotas.release(sender, bytes)
            closeIfDone()
          })
        }
        // Over its quota, a sender is slowed: its stream is not read until it is back under.
        if (this.quotas.isOver(sender) && stream.readStatus === 'readable') {
          stream.pause()
          this.quotas.whenUnder(sender, () => { if (stream.status === 'open') stream.resume() })
        }
      } catch (err) {
        this.options.log.debug({ peer: from.toString(), err: (err as Error).message }, 'resetting a messaging stream')
        stream.abort(err as Error)
        this.noteMalformed(connection)
      }
    })
    stream.addEventListener('close', () => {
      closed.abort()
      this.inbound.delete(stream)
    })
  }

  /** Counts a malformed frame or request against its sender; past its allowance, hangs up on it. Returns whether it did. */
  private noteMalformed (connection: Connection): boolean {
    const peer = connection.remotePeer.toString()
    if (!this.quotas.noteMalformed(peer)) return false
    this.options.log.info({ peer }, 'disconnecting a peer that keeps sending malformed requests')
    connection.abort(new Error('too many malformed requests'))
    return true
  }

  private async serveFrame (stream: Stream, frame: Frame, connection: Connection, signal: AbortSignal, handler: RequestHandler): Promise<void> {
    const from = connection.remotePeer
    let reply
    try {
      const body = await handler(frame.body, { from, signal })
      if (body.byteLength > this.options.maxMessageSize) {
        throw new SafeMeshError('DataTooLarge', 'the answer exceeds the message size limit')
      }
      reply = encodeFrame(FrameKind.Response, frame.id, body)
    } catch (err) {
      let error: SafeMeshError
      if (isSafeMeshError(err)) {
        error = err
        // A misrouted request is an honest sender's stale view of the groups, not garbage.
        if (err.code === 'InvalidRequest' && !isMisrouted(err) && this.noteMalformed(connection)) return
      } else {
        this.options.log.error({ err, peer: from.toString() }, 'request handler failed')
        error = new SafeMeshError('InvalidOperation', 'the node failed to serve the request')
      }
      reply = encodeFrame(FrameKind.Error, frame.id, encode(errorToWire(error)))
    }
    if (stream.status !== 'open' || stream.writeStatus !== 'writable') return
    try {
      if (stream.writableNeedsDrain) await stream.onDrain({ signal })
      sendFrame(stream, reply)
    } catch {
      // The stream closed while we answered: the requester times out.
    }
  }
}

interface Pending {
  resolve: (body: Uint8Array) => void
  reject: (err: Error) => void
}

/** One outbound stream to a peer, carrying many concurrent requests. */
class Channel {
  private readonly stream: Stream
  private readonly pending = new Map<number, Pending>()
  private readonly slots: Slots
  private nextId = 1

  constructor (stream: Stream, maxMessageSize: number, maxInflight: number, onClose: () => void) {
    this.stream = stream
    this.slots = new Slots(maxInflight)
    const decoder = new FrameDecoder(maxMessageSize)
    stream.addEventListener('message', (event) => {
      try {
        for (const frame of decoder.push(event.data)) this.settle(frame)
      } catch (err) {
        stream.abort(err as Error)
      }
    })
    // The node ended its side: no answer can come any more.
    stream.addEventListener('remoteCloseWrite', () => { stream.abort(new Error('the peer closed the stream')) })
    stream.addEventListener('close', (event) => {
      onClose()
      const reason = new SafeMeshError('Timeout', `stream closed before the answer came${event.error != null ? `: ${event.error.message}` : ''}`)
      for (const pending of this.pending.values()) pending.reject(reason)
      this.pending.clear()
    })
  }

  isOpen (): boolean {
    return this.stream.status === 'open' && this.stream.writeStatus === 'writable'
  }

  close (): void {
    this.stream.abort(new Error('channel closed'))
  }

  async request (body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    await this.slots.acquire(signal)
    const id = this.nextId
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>()
    // When the wait for drain below throws (the signal fired), nobody awaits `promise` while
    // onAbort still rejects it: that must not surface as an unhandled rejection (it did, with
    // the request's TimeoutError, in a client holding 33 hosts under load).
    promise.catch(() => {})
    const onAbort = (): void => {
      this.pending.delete(id)
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    this.pending.set(id, { resolve, reject })
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      if (this.stream.writableNeedsDrain) await this.stream.onDrain({ signal })
      sendFrame(this.stream, encodeFrame(FrameKind.Request, id, body))
      return await promise
    } finally {
      this.pending.delete(id)
      signal.removeEventListener('abort', onAbort)
      this.slots.release()
    }
  }

  private settle (frame: Frame): void {
    const pending = this.pending.get(frame.id)
    // An answer to a request we gave up on: drop it.
    if (pending == null) return
    this.pending.delete(frame.id)
    if (frame.kind === FrameKind.Response) {
      pending.resolve(frame.body)
    } else if (frame.kind === FrameKind.Error) {
      try {
        pending.reject(errorFromWire(decode(frame.body)))
      } catch (err) {
        pending.reject(isSafeMeshError(err) ? err : new SafeMeshError('InvalidRequest', 'malformed error answer'))
      }
    } else {
      throw new FrameError('a request arrived on an outbound stream')
    }
  }
}
