import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { isSafeMeshError } from '../src/errors.js'
import { bytesEqual, randomXorName, xorNameEquals, xorNameFromHex, xorNameToHex, XOR_NAME_LENGTH, assertXorName } from '../src/xorname.js'

describe('XorName', () => {
  it('round-trips through lowercase hex and accepts either case', () => {
    const name = randomXorName()
    expect(name.length).toBe(XOR_NAME_LENGTH)
    const hex = xorNameToHex(name)
    expect(hex).toMatch(/^[0-9a-f]{64}$/)
    expect(xorNameEquals(xorNameFromHex(hex), name)).toBe(true)
    expect(xorNameEquals(xorNameFromHex(hex.toUpperCase()), name)).toBe(true)
  })

  it.each(['', 'ab', 'g'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), ' ' + 'a'.repeat(63)])('rejects %j', (hex) => {
    try {
      xorNameFromHex(hex)
      expect.fail('accepted')
    } catch (e) {
      expect(isSafeMeshError(e) && e.code).toBe('InvalidRequest')
    }
  })

  it('asserts length', () => {
    expect(() => assertXorName(new Uint8Array(31))).toThrow()
    expect(() => assertXorName('x')).toThrow()
    expect(() => assertXorName(new Uint8Array(32))).not.toThrow()
  })
})

describe('bytesEqual', () => {
  // Short strings are compared in a loop, long ones natively: both must agree with a plain
  // comparison, on views at any offset of a larger buffer.
  it('is true exactly for equal bytes, short or long, at any offset (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), fc.nat(8), fc.option(fc.nat(299)), (bytes, offsetA, offsetB, flip) => {
      const place = (offset: number): Uint8Array => {
        const whole = new Uint8Array(offset + bytes.length)
        whole.set(bytes, offset)
        return whole.subarray(offset)
      }
      const a = place(offsetA)
      const b = place(offsetB)
      expect(bytesEqual(a, b)).toBe(true)
      if (flip !== null && flip < b.length) {
        b[flip]! ^= 1
        expect(bytesEqual(a, b)).toBe(false)
      }
      expect(bytesEqual(a, a.subarray(0, Math.max(0, a.length - 1)))).toBe(a.length === 0)
    }))
  })
})
