/** The listening side of the raw libp2p measurements. */
import type { Stream } from '@libp2p/interface'

/** Counts the bytes until the sender closes its end, then answers their count (8 bytes, big-endian). */
export function serveThroughput (stream: Stream): void {
  let received = 0
  stream.addEventListener('message', (event) => { received += event.data.byteLength })
  stream.addEventListener('end', () => {
    const count = new Uint8Array(8)
    new DataView(count.buffer).setBigUint64(0, BigInt(received))
    try {
      stream.send(count)
      stream.close().catch((err: Error) => { stream.abort(err) })
    } catch (err) {
      stream.abort(err as Error)
    }
  })
}

/** Sends every byte back as it comes. */
export function serveEcho (stream: Stream): void {
  stream.addEventListener('message', (event) => {
    try {
      stream.send(event.data)
    } catch (err) {
      stream.abort(err as Error)
    }
  })
  stream.addEventListener('end', () => {
    stream.close().catch((err: Error) => { stream.abort(err) })
  })
}
