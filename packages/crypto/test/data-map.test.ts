import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { encode } from 'cborg'
import { decodeDataMap, encodeDataMap, sha3_256, validateDataMap } from '../src/index.js'
import type { ChunkInfo, DataMap } from '../src/index.js'
import { expectCryptoError, thrown } from './helpers.js'

function fakeChunks (sizes: number[]): ChunkInfo[] {
  return sizes.map((sourceSize, index) => ({
    index,
    preHash: sha3_256(Uint8Array.of(index, 1)),
    name: sha3_256(Uint8Array.of(index, 2)),
    sourceSize
  }))
}

const threeChunks: DataMap = { kind: 'chunks', chunks: fakeChunks([1024, 1024, 1025]) }

async function expectInvalid (f: () => unknown): Promise<void> {
  expectCryptoError(await thrown(f), 'InvalidDataMap')
}

describe('data map encoding', () => {
  it('round-trips inline and chunked maps', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3071 }), (content) => {
      const map: DataMap = { kind: 'inline', content }
      expect(decodeDataMap(encodeDataMap(map))).toEqual(map)
    }), { numRuns: 50 })
    expect(decodeDataMap(encodeDataMap(threeChunks))).toEqual(threeChunks)
    const big: DataMap = { kind: 'chunks', chunks: fakeChunks([...new Array<number>(9).fill(1 << 20), (1 << 20) - 1024, 1024 + 17]) }
    expect(decodeDataMap(encodeDataMap(big))).toEqual(big)
  })

  it('is canonical: one map, one encoding', async () => {
    const bytes = encodeDataMap(threeChunks)
    expect(encodeDataMap(decodeDataMap(bytes))).toEqual(bytes)
    // Same content with a non-minimal integer (index 0 as a one-byte-argument uint).
    const nonMinimal = Buffer.from(bytes).toString('hex').replace('8400', '841800')
    expect(nonMinimal).not.toBe(Buffer.from(bytes).toString('hex'))
    await expectInvalid(() => decodeDataMap(Buffer.from(nonMinimal, 'hex')))
    // Keys in non-canonical order (canonical CBOR sorts shorter keys first: "v" before "chunks").
    const reordered = new Uint8Array([0xa2, ...encode('chunks'), ...encode(threeChunks.chunks.map((c) => [c.index, c.preHash, c.name, c.sourceSize])), 0x61, 0x76, 0x01])
    expect(decodeDataMap(new Uint8Array([0xa2, 0x61, 0x76, 0x01, ...reordered.subarray(1, reordered.length - 3)]))).toEqual(threeChunks)
    await expectInvalid(() => decodeDataMap(reordered))
  })

  it('rejects malformed encodings with InvalidDataMap', async () => {
    const tuples = threeChunks.chunks.map((c) => [c.index, c.preHash, c.name, c.sourceSize])
    const bad: unknown[] = [
      [1, 2],
      { v: 2, chunks: tuples },
      { v: 1 },
      { v: 1, chunks: tuples, inline: new Uint8Array(1) },
      { v: 1, chunks: tuples, extra: true },
      { v: 1, inline: 'text' },
      { v: 1, inline: new Uint8Array(3072) },
      { v: 1, chunks: tuples.slice(0, 2) },
      { v: 1, chunks: [tuples[1], tuples[0], tuples[2]] },
      { v: 1, chunks: tuples.map(([i, p, n, s]) => [i, p, n, s, 0]) },
      { v: 1, chunks: tuples.map(([i, p, n, s]) => [i, (p as Uint8Array).subarray(1), n, s]) },
      { v: 1, chunks: tuples.map(([i, p, , s]) => [i, p, new Uint8Array(33), s]) },
      { v: 1, chunks: tuples.map(([i, p, n], k) => [i, p, n, [1024, 1024, 2000][k]]) }, // not the layout of 4048 bytes
      { v: 1, chunks: tuples.map(([i, p, n]) => [i, p, n, 2 ** 50]) }, // hostile huge size
      { v: 1, chunks: tuples.map(([i, p, n]) => [i, p, n, -1]) },
      { v: 1, chunks: tuples.map(([i, p, n]) => [i, p, n, 1.5]) }
    ]
    for (const value of bad) await expectInvalid(() => decodeDataMap(encode(value)))
    await expectInvalid(() => decodeDataMap(new Uint8Array(0)))
    await expectInvalid(() => decodeDataMap(Uint8Array.of(0xff)))
    const good = encodeDataMap(threeChunks)
    await expectInvalid(() => decodeDataMap(good.subarray(0, good.length - 1)))
    await expectInvalid(() => decodeDataMap(new Uint8Array([...good, 0])))
  })

  it('validates maps built in code too', async () => {
    await expectInvalid(() => validateDataMap({ kind: 'inline', content: new Uint8Array(3072) }))
    await expectInvalid(() => encodeDataMap({ kind: 'chunks', chunks: fakeChunks([1024, 1024]) }))
    await expectInvalid(() => encodeDataMap({ kind: 'chunks', chunks: fakeChunks([1024, 1025, 1024]) }))
    await expectInvalid(() => encodeDataMap({ kind: 'other' } as unknown as DataMap))
  })

  it('keeps a 1 GiB file map small (1024 chunks)', () => {
    const map: DataMap = { kind: 'chunks', chunks: fakeChunks(new Array<number>(1024).fill(1 << 20)) }
    expect(encodeDataMap(map).length).toBeLessThan(80 * 1024)
  })
})
