import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { closestTo, compareDistance, isCloser, kadPositionOfName, kadPositionOfPeer, xorDistance } from '../src/closeness.js'

const big = (b: Uint8Array): bigint => BigInt('0x' + (Buffer.from(b).toString('hex') || '0'))
const position = fc.uint8Array({ minLength: 32, maxLength: 32 })
// Small alphabets make equal bytes, shared prefixes and ties likely.
const nearPosition = fc.array(fc.constantFrom(0, 1, 128, 255), { minLength: 32, maxLength: 32 }).map((a) => new Uint8Array(a))
const anyPosition = fc.oneof(position, nearPosition)
const sign = (n: number | bigint): number => (n > 0 ? 1 : n < 0 ? -1 : 0)

describe('closeness (kad-dht keyspace)', () => {
  it('positions are SHA-256 digests', () => {
    expect(Buffer.from(kadPositionOfName(new Uint8Array(32))).toString('hex'))
      .toBe('66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925')
    expect(Buffer.from(kadPositionOfPeer(new Uint8Array(0))).toString('hex'))
      .toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('xorDistance is the XOR of big-endian numbers', () => {
    fc.assert(fc.property(anyPosition, anyPosition, (a, b) => {
      expect(big(xorDistance(a, b))).toBe(big(a) ^ big(b))
    }), { numRuns: 2000 })
  }, 60_000)

  it('compareDistance and isCloser agree with BigInt distances', () => {
    fc.assert(fc.property(anyPosition, anyPosition, anyPosition, (t, a, b) => {
      const expected = sign((big(a) ^ big(t)) - (big(b) ^ big(t)))
      expect(sign(compareDistance(t, a, b))).toBe(expected)
      expect(isCloser(t, a, b)).toBe(expected < 0)
    }), { numRuns: 5000 })
  }, 60_000)

  it('closestTo returns the nearest, nearest first, ties in input order', () => {
    fc.assert(fc.property(anyPosition, fc.array(anyPosition, { maxLength: 40 }), fc.integer({ min: 0, max: 45 }), (t, items, count) => {
      const reference = items
        .map((p, index) => ({ p, index, d: big(p) ^ big(t) }))
        .sort((x, y) => sign(x.d - y.d) || x.index - y.index)
        .slice(0, count)
        .map((x) => x.p)
      const got = closestTo(t, items, count, (p) => p)
      expect(got.length).toBe(Math.min(count, items.length))
      got.forEach((p, i) => expect(p).toBe(reference[i]))
    }), { numRuns: 2000 })
  }, 60_000)

  it('closestTo is deterministic whatever the input order (distinct positions)', () => {
    fc.assert(fc.property(position, fc.uniqueArray(position, { maxLength: 30, selector: (p) => Buffer.from(p).toString('hex') }), (t, items) => {
      const a = closestTo(t, items, 8, (p) => p)
      const b = closestTo(t, [...items].reverse(), 8, (p) => p)
      expect(a).toEqual(b)
    }), { numRuns: 500 })
  }, 60_000)

  it('refuses positions of different lengths', () => {
    expect(() => xorDistance(new Uint8Array(32), new Uint8Array(31))).toThrow(RangeError)
    expect(() => compareDistance(new Uint8Array(32), new Uint8Array(32), new Uint8Array(3))).toThrow(RangeError)
  })
})
