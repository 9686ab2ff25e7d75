import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { encodeFrame, FrameDecoder, FrameError, FrameKind } from '../src/messaging/frame.js'

const MAX = 4096

const frameArb = fc.record({
  kind: fc.constantFrom(FrameKind.Request, FrameKind.Response, FrameKind.Error),
  id: fc.integer({ min: 0, max: 0xffff_ffff }),
  body: fc.uint8Array({ maxLength: MAX })
})

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.byteLength }
  return out
}

describe('frames', () => {
  it('decode to what was encoded, however the bytes are split', () => {
    fc.assert(fc.property(fc.array(frameArb, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1 }), (frames, cuts) => {
      const bytes = concat(frames.flatMap(f => encodeFrame(f.kind, f.id, f.body)))
      const decoder = new FrameDecoder(MAX)
      const out = []
      let offset = 0
      for (let i = 0; offset < bytes.byteLength; i++) {
        const size = cuts[i % cuts.length] as number
        out.push(...decoder.push(bytes.subarray(offset, offset + size)))
        offset += size
      }
      expect(out).toEqual(frames)
    }), { numRuns: 300 })
  })

  it('refuse a frame over the limit, an overlong prefix and an unknown kind', () => {
    const [head, body] = encodeFrame(FrameKind.Request, 7, new Uint8Array(MAX + 1))
    expect(() => [...new FrameDecoder(MAX).push(concat([head, body]))]).toThrow(FrameError)
    expect(() => [...new FrameDecoder(MAX).push(new Uint8Array(16).fill(0x80))]).toThrow(FrameError)
    const bad = concat(encodeFrame(FrameKind.Request, 1, new Uint8Array(2)))
    bad[1] = 9
    expect(() => [...new FrameDecoder(MAX).push(bad)]).toThrow(FrameError)
  })

  it('only ever yields frames or throws FrameError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2 * MAX }), (bytes) => {
      try {
        for (const frame of new FrameDecoder(MAX).push(bytes)) expect(frame.body.byteLength).toBeLessThanOrEqual(MAX)
      } catch (err) {
        expect(err).toBeInstanceOf(FrameError)
      }
    }), { numRuns: 2000 })
  })
})
