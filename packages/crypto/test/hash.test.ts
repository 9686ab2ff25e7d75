import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createSha3_256, randomBytes, sha256, sha3_256 } from '../src/index.js'
import { hex } from './helpers.js'

const abc = new TextEncoder().encode('abc')

describe('hashes', () => {
  it('match the FIPS 202 / FIPS 180 test vectors', () => {
    expect(hex(sha3_256(abc))).toBe('3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532')
    expect(hex(sha3_256(new Uint8Array(0)))).toBe('a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a')
    expect(hex(sha256(abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('returns plain 32-byte Uint8Arrays', () => {
    const digest = sha3_256(abc)
    expect(Object.getPrototypeOf(digest)).toBe(Uint8Array.prototype)
    expect(digest).toHaveLength(32)
  })

  it('incremental SHA3-256 equals one-shot over any split', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(2000)), (data, cuts) => {
      const hasher = createSha3_256()
      const points = [...cuts.map((c) => c % (data.length + 1)), data.length].sort((a, b) => a - b)
      let from = 0
      for (const to of points) {
        hasher.update(data.subarray(from, to))
        from = to
      }
      expect(hasher.digest()).toEqual(sha3_256(data))
    }))
  })

  it('randomBytes gives the requested length and rejects nonsense', () => {
    expect(randomBytes(0)).toHaveLength(0)
    expect(randomBytes(33)).toHaveLength(33)
    expect(hex(randomBytes(32))).not.toBe(hex(randomBytes(32)))
    expect(() => randomBytes(-1)).toThrow(/non-negative/)
    expect(() => randomBytes(1.5)).toThrow(/non-negative/)
  })
})
