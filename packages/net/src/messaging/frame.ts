import * as varint from 'uint8-varint'

/**
 * A frame on a SafeMesh messaging stream:
 *
 *     uvarint length | kind (1 byte) | request id (4 bytes, big-endian) | body
 *
 * `length` counts everything after itself. The body is already in the
 * protocol's codec; the 5-byte header is framing, like the length prefix, so
 * that a 1 MiB chunk is never copied to be wrapped in an envelope.
 */
export const FrameKind = {
  Request: 0,
  Response: 1,
  Error: 2
} as const
export type FrameKind = typeof FrameKind[keyof typeof FrameKind]

const FRAME_HEADER_LENGTH = 5

export interface Frame {
  kind: FrameKind
  id: number
  body: Uint8Array
}

export class FrameError extends Error {
  override name = 'FrameError'
}

/**
 * The bytes of one frame as two parts, length prefix and header, then the
 * body, so a 1 MiB body is sent without being copied. Send both parts in the
 * same tick (`sendFrame`) and no other frame can come between them.
 */
export function encodeFrame (kind: FrameKind, id: number, body: Uint8Array): [Uint8Array, Uint8Array] {
  const length = FRAME_HEADER_LENGTH + body.byteLength
  const prefixLength = varint.encodingLength(length)
  const head = new Uint8Array(prefixLength + FRAME_HEADER_LENGTH)
  varint.encode(length, head, 0)
  head[prefixLength] = kind
  new DataView(head.buffer).setUint32(prefixLength + 1, id >>> 0)
  return [head, body]
}

/**
 * Bodies up to this size are copied behind their header and sent as one
 * buffer: each send becomes its own yamux frame, Noise message, socket write
 * and (on the far side) yamux window update, which for a small message cost
 * far more than the copy.
 */
const COALESCE_LIMIT = 64 * 1024

/** Writes a frame; returns false when the stream wants the caller to wait for drain. */
export function sendFrame (stream: { send: (data: Uint8Array) => boolean }, frame: [Uint8Array, Uint8Array]): boolean {
  const [head, body] = frame
  if (body.byteLength <= COALESCE_LIMIT) {
    const whole = new Uint8Array(head.byteLength + body.byteLength)
    whole.set(head, 0)
    whole.set(body, head.byteLength)
    return stream.send(whole)
  }
  stream.send(head)
  return stream.send(body)
}

/**
 * Turns the bytes of a stream into frames. Throws `FrameError` on a length
 * prefix longer than any allowed length needs, a frame over `maxFrameLength`
 * (the stream cannot be resynchronised after either and must be reset), or an
 * unknown kind. It never buffers more than one frame.
 */
export class FrameDecoder {
  private readonly maxFrameLength: number
  private readonly maxPrefixLength: number
  private chunks: Uint8Array[] = []
  private buffered = 0

  constructor (maxFrameLength: number) {
    this.maxFrameLength = maxFrameLength + FRAME_HEADER_LENGTH
    this.maxPrefixLength = varint.encodingLength(this.maxFrameLength)
  }

  /** Accepts a Uint8Array or a list of them (libp2p's Uint8ArrayList iterates its parts). */
  * push (data: Uint8Array | Iterable<Uint8Array>): Generator<Frame> {
    if (data instanceof Uint8Array) this.append(data)
    else for (const part of data) this.append(part)
    while (true) {
      const header = this.readPrefix()
      if (header == null || this.buffered < header.prefixLength + header.length) return
      this.consume(header.prefixLength)
      const bytes = this.take(header.length)
      const kind = bytes[0]
      if (kind !== FrameKind.Request && kind !== FrameKind.Response && kind !== FrameKind.Error) {
        throw new FrameError(`unknown frame kind ${kind}`)
      }
      const id = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1)
      yield { kind, id, body: bytes.subarray(FRAME_HEADER_LENGTH) }
    }
  }

  private append (part: Uint8Array): void {
    if (part.byteLength === 0) return
    this.chunks.push(part)
    this.buffered += part.byteLength
  }

  private readPrefix (): { length: number, prefixLength: number } | undefined {
    let length = 0
    let shift = 1
    let read = 0
    for (const chunk of this.chunks) {
      for (const byte of chunk) {
        read++
        length += (byte & 0x7f) * shift
        shift *= 128
        if ((byte & 0x80) === 0) {
          if (length < FRAME_HEADER_LENGTH) throw new FrameError('frame shorter than its header')
          if (length > this.maxFrameLength) throw new FrameError(`frame of ${length} bytes exceeds the ${this.maxFrameLength}-byte limit`)
          return { length, prefixLength: read }
        }
        if (read >= this.maxPrefixLength) throw new FrameError('length prefix too long')
      }
    }
    return undefined
  }

  private consume (count: number): void {
    this.take(count)
  }

  /** Removes and returns the first `count` buffered bytes (a view when they lie in one chunk). */
  private take (count: number): Uint8Array {
    const first = this.chunks[0]
    let out: Uint8Array
    if (first != null && first.byteLength >= count) {
      out = first.subarray(0, count)
      if (first.byteLength === count) this.chunks.shift()
      else this.chunks[0] = first.subarray(count)
    } else {
      out = new Uint8Array(count)
      let filled = 0
      while (filled < count) {
        const chunk = this.chunks[0] as Uint8Array
        const n = Math.min(chunk.byteLength, count - filled)
        out.set(chunk.subarray(0, n), filled)
        filled += n
        if (n === chunk.byteLength) this.chunks.shift()
        else this.chunks[0] = chunk.subarray(n)
      }
    }
    this.buffered -= count
    return out
  }
}
