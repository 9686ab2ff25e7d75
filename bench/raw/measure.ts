/** The dialling side of the raw libp2p measurements. */
import { randomFillSync } from 'node:crypto'
import type { Stream } from '@libp2p/interface'
import type { ThroughputResult } from './protocol.js'

/**
 * Sends `bytes` as messages of `messageSize` on `stream`, waiting for drain
 * when the stream asks; timed until the receiver's count of the bytes arrives.
 */
export async function sendMessages (stream: Stream, bytes: number, messageSize: number): Promise<ThroughputResult> {
  const message = randomFillSync(new Uint8Array(messageSize))
  const acknowledged = new Promise<number>((resolve, reject) => {
    const chunks: Uint8Array[] = []
    stream.addEventListener('message', (event) => {
      chunks.push(event.data.subarray())
      const all = Buffer.concat(chunks)
      if (all.byteLength >= 8) resolve(Number(all.readBigUInt64BE(0)))
    })
    stream.addEventListener('close', (event) => { reject(event.error ?? new Error('the stream closed before the count came')) })
  })
  acknowledged.catch(() => {})
  const started = performance.now()
  for (let sent = 0; sent < bytes; sent += messageSize) {
    const part = bytes - sent < messageSize ? message.subarray(0, bytes - sent) : message
    if (!stream.send(part)) await stream.onDrain()
  }
  await stream.close()
  const received = await acknowledged
  const seconds = (performance.now() - started) / 1000
  if (received !== bytes) throw new Error(`the receiver counted ${received} of ${bytes} bytes`)
  return { bytes, seconds }
}

/** `count` sequential round trips of `size` bytes on one stream; each one's time in ms. */
export async function measureRoundTrips (stream: Stream, count: number, size: number): Promise<number[]> {
  const request = randomFillSync(new Uint8Array(size))
  let received = 0
  let waiting: { until: number, resolve: () => void } | undefined
  let failure: Error | undefined
  stream.addEventListener('message', (event) => {
    received += event.data.byteLength
    if (waiting != null && received >= waiting.until) waiting.resolve()
  })
  stream.addEventListener('close', (event) => {
    failure = event.error ?? new Error('the stream closed during the round trips')
    waiting?.resolve()
  })
  const latencies: number[] = []
  for (let i = 0; i < count; i++) {
    const until = (i + 1) * size
    const started = performance.now()
    const echoed = new Promise<void>((resolve) => { waiting = { until, resolve } })
    if (!stream.send(request)) await stream.onDrain()
    if (received < until) await echoed
    if (failure != null) throw failure
    latencies.push(performance.now() - started)
  }
  waiting = undefined
  return latencies
}
