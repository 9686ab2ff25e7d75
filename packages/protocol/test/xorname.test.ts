import { describe, expect, it } from 'vitest'
import { isSafeMeshError } from '../src/errors.js'
import { randomXorName, xorNameEquals, xorNameFromHex, xorNameToHex, XOR_NAME_LENGTH, assertXorName } from '../src/xorname.js'

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
