import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { SafeMeshError } from '@safemesh/protocol'
import { createHost, type Host } from '../src/host.js'
import { Messenger } from '../src/messaging/messenger.js'
import { encodeFrame, FrameKind, sendFrame } from '../src/messaging/frame.js'

const PROTOCOL = '/safemesh-test/msg/1.0.0'
const MAX = 64 * 1024
const log = pino({ level: 'silent' })

describe('Messenger between two libp2p hosts', () => {
  let server: Host
  let client: Host
  let serving: Messenger
  let asking: Messenger
  let served = 0

  beforeAll(async () => {
    server = await createHost({ listen: ['/ip4/127.0.0.1/tcp/0'], role: 'node' })
    client = await createHost({ role: 'client' })
    serving = new Messenger(server, {
      protocol: PROTOCOL,
      maxMessageSize: MAX,
      log,
      handler: async (body) => {
        served++
        const text = new TextDecoder().decode(body)
        if (text === 'refuse') throw new SafeMeshError('AccessDenied', 'no')
        if (text === 'crash') throw new Error('bug')
        if (text === 'slow') await new Promise(resolve => setTimeout(resolve, 2_000))
        if (text === 'huge') return new Uint8Array(MAX + 1)
        return body
      }
    })
    asking = new Messenger(client, { protocol: PROTOCOL, maxMessageSize: MAX, log })
    await serving.start()
    await asking.start()
    await client.dial(server.getMultiaddrs()[0]!)
  })

  afterAll(async () => {
    await asking?.stop()
    await serving?.stop()
    await client?.stop()
    await server?.stop()
  })

  const ask = async (text: string, timeout?: number): Promise<string> => {
    const reply = await asking.request(server.peerId, new TextEncoder().encode(text), { timeout })
    return new TextDecoder().decode(reply)
  }

  it('answers requests, many at once, each with its own answer on one reused stream', async () => {
    const texts = Array.from({ length: 300 }, (_, i) => `message ${i}`)
    expect(await Promise.all(texts.map(async t => await ask(t)))).toEqual(texts)
    const streams = client.getConnections(server.peerId).flatMap(c => c.streams).filter(s => s.protocol === PROTOCOL)
    expect(streams).toHaveLength(1)
  })

  it('carries a remote SafeMeshError with its code', async () => {
    await expect(ask('refuse')).rejects.toMatchObject({ name: 'SafeMeshError', code: 'AccessDenied' })
  })

  it('turns an unexpected handler failure into a typed error, not a dropped request', async () => {
    await expect(ask('crash')).rejects.toBeInstanceOf(SafeMeshError)
  })

  it('refuses an answer over the size limit with DataTooLarge', async () => {
    await expect(ask('huge')).rejects.toMatchObject({ code: 'DataTooLarge' })
  })

  it('shares one dial among the requests waiting on it: one that gives up does not abort it for the others', async () => {
    const other = await createHost({ role: 'client' })
    const messenger = new Messenger(other, { protocol: PROTOCOL, maxMessageSize: MAX, log })
    await messenger.start()
    let dials = 0
    const dialProtocol = other.dialProtocol.bind(other)
    other.dialProtocol = async (...args: Parameters<typeof dialProtocol>) => { dials++; return await dialProtocol(...args) }
    try {
      await other.dial(server.getMultiaddrs()[0]!)
      const hasty = messenger.request(server.peerId, new TextEncoder().encode('hasty'), { timeout: 1 })
      const patient = messenger.request(server.peerId, new TextEncoder().encode('patient'))
      await expect(hasty).rejects.toMatchObject({ code: 'Timeout' })
      expect(new TextDecoder().decode(await patient)).toBe('patient')
      // Before, the hasty request's timeout aborted the dial both waited on, and the patient one dialled again.
      expect(dials).toBe(1)
    } finally {
      await messenger.stop()
      await other.stop()
    }
  })

  it('times out with Timeout and keeps working afterwards', async () => {
    await expect(ask('slow', 200)).rejects.toMatchObject({ code: 'Timeout' })
    expect(await ask('after')).toBe('after')
  })

  it('refuses to send an oversized request', async () => {
    await expect(asking.request(server.peerId, new Uint8Array(MAX + 1))).rejects.toMatchObject({ code: 'InvalidRequest' })
  })

  it('resets a stream that sends garbage or oversized frames and keeps serving others', async () => {
    const before = served
    // 30 a minute are forgiven (SenderQuotas); the next one costs the connection (below).
    for (let i = 0; i < 30; i++) {
      const stream = await client.dialProtocol(server.peerId, PROTOCOL)
      const closed = new Promise(resolve => { stream.addEventListener('close', resolve, { once: true }) })
      if (i % 3 === 0) stream.send(crypto.getRandomValues(new Uint8Array(64)).map(b => b | 0x80)) // endless varint
      else if (i % 3 === 1) stream.send(new Uint8Array([0xff, 0xff, 0xff, 0x7f])) // a frame far over the limit
      else sendFrame(stream, encodeFrame(FrameKind.Response, 1, new Uint8Array(3))) // a response sent as a request
      await closed
    }
    expect(served).toBe(before)
    expect(await ask('still here')).toBe('still here')
  })

  it('hangs up on a peer past 30 malformed frames a minute', async () => {
    const connection = client.getConnections(server.peerId)[0]
    expect(connection?.status).toBe('open')
    const closed = new Promise(resolve => { connection?.addEventListener('close', resolve, { once: true }) })
    const stream = await client.dialProtocol(server.peerId, PROTOCOL)
    stream.send(new Uint8Array([0xff, 0xff, 0xff, 0x7f]))
    await closed
    expect(connection?.status).not.toBe('open')
    // A new connection is served again (the peer is slowed, not banned).
    expect(await ask('back')).toBe('back')
  })

  it('gives up on requests stuck behind a peer that reads nothing, with Timeout and no stray rejection', async () => {
    const STALLED = '/safemesh-test/stalled/1.0.0'
    const held: Array<{ abort: (err: Error) => void }> = []
    // The peer accepts the stream and never reads it: yamux's window fills, writes wait for drain.
    await server.handle(STALLED, (stream) => { stream.pause(); held.push(stream) })
    const stray: unknown[] = []
    const onStray = (reason: unknown): void => { stray.push(reason) }
    process.on('unhandledRejection', onStray)
    const stuck = new Messenger(client, { protocol: STALLED, maxMessageSize: 2 ** 20, log })
    await stuck.start()
    try {
      const big = new Uint8Array(900 * 1024)
      const outcomes = await Promise.allSettled([1, 2, 3].map(async () => await stuck.request(server.peerId, big, { timeout: 500 })))
      expect(outcomes.map(o => o.status === 'rejected' ? (o.reason as SafeMeshError).code : 'answered')).toEqual(['Timeout', 'Timeout', 'Timeout'])
      // Unhandled rejections are reported after the microtask queue drains: give them a turn.
      await new Promise(resolve => setTimeout(resolve, 50))
      expect(stray).toEqual([])
    } finally {
      process.off('unhandledRejection', onStray)
      await stuck.stop()
      for (const stream of held) stream.abort(new Error('test over'))
      await server.unhandle(STALLED)
    }
  })
})
