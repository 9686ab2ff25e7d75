import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { chunkCount, chunkSizes } from '../src/index.js'
import { expectCryptoError, KiB, MiB, thrown } from './helpers.js'

const M = MiB
const lastTwo = (remainder: number): number[] => [M - KiB, KiB + remainder]

describe('chunkSizes (SPEC §7)', () => {
  it.each<[string, number, number[]]>([
    ['empty', 0, []],
    ['one byte', 1, []],
    ['largest inline', 3071, []],
    ['smallest chunked', 3072, [1024, 1024, 1024]],
    ['3072 + 1', 3073, [1024, 1024, 1025]],
    ['3072 + 2', 3074, [1024, 1024, 1026]],
    ['3075', 3075, [1025, 1025, 1025]],
    ['3 MiB − 1', 3 * M - 1, [1048575, 1048575, 1048577]],
    ['3 MiB', 3 * M, [M, M, M]],
    ['3 MiB + 1 (remainder under 1 KiB)', 3 * M + 1, [M, M, ...lastTwo(1)]],
    ['3 MiB + 1023', 3 * M + 1023, [M, M, ...lastTwo(1023)]],
    ['3 MiB + 1 KiB (remainder exactly 1 KiB)', 3 * M + KiB, [M, M, M, KiB]],
    ['3 MiB + 1 KiB + 1', 3 * M + KiB + 1, [M, M, M, KiB + 1]],
    ['4 MiB − 1', 4 * M - 1, [M, M, M, M - 1]],
    ['4 MiB', 4 * M, [M, M, M, M]],
    ['4 MiB + 1', 4 * M + 1, [M, M, M, ...lastTwo(1)]],
    ['10 MiB + 17', 10 * M + 17, [...new Array<number>(9).fill(M), ...lastTwo(17)]]
  ])('%s (%i bytes)', (_, size, expected) => {
    expect(chunkSizes(size)).toEqual(expected)
    expect(chunkCount(size)).toBe(expected.length)
  })

  it('holds its invariants for any size', () => {
    const sizes = fc.oneof(
      fc.nat(5 * M),
      fc.integer({ min: 3 * M - 2 * KiB, max: 3 * M + 2 * KiB }),
      fc.tuple(fc.integer({ min: 3, max: 4096 }), fc.integer({ min: -2 * KiB, max: 2 * KiB })).map(([m, d]) => m * M + d)
    )
    fc.assert(fc.property(sizes, (total) => {
      const chunks = chunkSizes(total)
      expect(chunks.reduce((a, b) => a + b, 0)).toBe(chunks.length === 0 ? 0 : total)
      expect(chunkCount(total)).toBe(chunks.length)
      if (total < 3072) {
        expect(chunks).toEqual([])
      } else if (total < 3 * M) {
        expect(chunks).toHaveLength(3)
        expect(chunks[0]).toBe(Math.floor(total / 3))
        expect(chunks[1]).toBe(Math.floor(total / 3))
      } else {
        expect(chunks).toHaveLength(Math.ceil(total / M))
        // All but the last two are exactly 1 MiB; none is over 1 MiB or under 1 KiB.
        expect(chunks.slice(0, -2).every((size) => size === M)).toBe(true)
        expect(chunks.every((size) => size <= M && size >= KiB)).toBe(true)
        const remainder = total % M
        const expectedLastTwo = remainder === 0
          ? [M, M]
          : remainder < KiB ? [M - KiB, KiB + remainder] : [M, remainder]
        expect(chunks.slice(-2)).toEqual(expectedLastTwo)
      }
      if (chunks.length > 0) expect(Math.min(...chunks)).toBeGreaterThanOrEqual(KiB)
    }), { numRuns: 500 })
  })

  it('rejects sizes that are not non-negative safe integers', async () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      expectCryptoError(await thrown(() => chunkSizes(bad)), 'InvalidInput')
    }
  })
})
