import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeDataMap, encodeDataMap, selfDecrypt, selfEncryptBytes, sha3_256 } from '../src/index.js'
import type { ChunkInfo, DataMap, FetchChunk, SelfEncryptedBytes } from '../src/index.js'
import { collect, expectCryptoError, expectSameBytes, hex, MiB, pseudoRandomBytes } from './helpers.js'

// Whatever is altered — a chunk, the data map, what the store returns — decryption fails with a
// CryptoError, and everything yielded before the failure is a correct prefix of the file.

let small: { data: Uint8Array, encrypted: SelfEncryptedBytes, chunks: ChunkInfo[] }
let large: { data: Uint8Array, encrypted: SelfEncryptedBytes, chunks: ChunkInfo[] }

async function prepare (size: number, seed: string): Promise<typeof small> {
  const data = pseudoRandomBytes(size, seed)
  const encrypted = await selfEncryptBytes(data)
  if (encrypted.dataMap.kind !== 'chunks') throw new Error('expected chunks')
  return { data, encrypted, chunks: encrypted.dataMap.chunks }
}

beforeAll(async () => {
  small = await prepare(5000, 'tamper small')
  large = await prepare(5 * MiB + 3, 'tamper large')
})

/** A store that serves chunks by index, whatever name is asked for (so name checks are exercised). */
function byIndex (chunks: readonly ChunkInfo[], store: ReadonlyMap<string, Uint8Array>, override?: (index: number, content: Uint8Array) => Uint8Array): FetchChunk {
  return async (_name, index) => {
    const info = chunks[index]
    const content = info === undefined ? undefined : store.get(hex(info.name))
    if (content === undefined) throw new Error(`no chunk ${index}`)
    return override === undefined ? content : override(index, content)
  }
}

async function expectFailsSafely (dataMap: DataMap, fetchChunk: FetchChunk, data: Uint8Array, ...codes: Parameters<typeof expectCryptoError>[1][]): Promise<void> {
  const { bytes, error } = await collect(selfDecrypt(dataMap, fetchChunk, { concurrency: 2 }))
  expectCryptoError(error, ...codes)
  expect(bytes.length).toBeLessThan(data.length)
  expectSameBytes(bytes, data.subarray(0, bytes.length))
}

function flipped (bytes: Uint8Array, at: number, mask = 1): Uint8Array {
  const copy = new Uint8Array(bytes)
  copy[at]! ^= mask
  return copy
}

describe('tampering', () => {
  it('a flipped byte in any chunk fails with IntegrityFailed (name check)', async () => {
    for (const { data, encrypted, chunks } of [small, large]) {
      for (const chunk of chunks) {
        const fetch = byIndex(chunks, encrypted.chunks, (index, content) => index === chunk.index ? flipped(content, content.length >> 1) : content)
        await expectFailsSafely(encrypted.dataMap, fetch, data, 'IntegrityFailed')
      }
    }
  })

  it('a flipped byte anywhere in a chunk fails (property)', async () => {
    const { data, encrypted, chunks } = large
    await fc.assert(fc.asyncProperty(fc.nat(chunks.length - 1), fc.nat(), fc.integer({ min: 1, max: 255 }), async (which, where, mask) => {
      const fetch = byIndex(chunks, encrypted.chunks, (index, content) => index === which ? flipped(content, where % content.length, mask) : content)
      await expectFailsSafely(encrypted.dataMap, fetch, data, 'IntegrityFailed')
    }), { numRuns: 12 })
  })

  it('with namesChecked (the store vouches for names), a flipped byte or another chunk still fails', async () => {
    for (const { data, encrypted, chunks } of [small, large]) {
      for (const chunk of chunks) {
        const other = chunks[(chunk.index + 1) % chunks.length]!
        for (const override of [
          (index: number, content: Uint8Array) => index === chunk.index ? flipped(content, content.length >> 1) : content,
          (index: number, content: Uint8Array) => index === chunk.index ? encrypted.chunks.get(hex(other.name))! : content
        ]) {
          const { bytes, error } = await collect(selfDecrypt(encrypted.dataMap, byIndex(chunks, encrypted.chunks, override), { concurrency: 2, namesChecked: true }))
          expectCryptoError(error, 'DecryptionFailed', 'IntegrityFailed')
          expect(bytes.length).toBeLessThan(data.length)
          expectSameBytes(bytes, data.subarray(0, bytes.length))
        }
      }
    }
    // And an honest store still reads the whole file.
    const { data, encrypted, chunks } = large
    expectSameBytes((await collect(selfDecrypt(encrypted.dataMap, byIndex(chunks, encrypted.chunks), { namesChecked: true }))).bytes, data)
  })

  it('an altered chunk whose name was updated to match fails the AEAD check (DecryptionFailed)', async () => {
    const { data, encrypted, chunks } = small
    for (const [i, chunk] of chunks.entries()) {
      for (const where of [0, 100, -1]) {
        const original = encrypted.chunks.get(hex(chunk.name)) ?? new Uint8Array()
        const altered = flipped(original, where < 0 ? original.length + where : where)
        const dataMap: DataMap = { kind: 'chunks', chunks: chunks.map((c) => c.index === i ? { ...c, name: sha3_256(altered) } : c) }
        await expectFailsSafely(dataMap, byIndex(chunks, encrypted.chunks, (index, content) => index === i ? altered : content), data, 'DecryptionFailed')
      }
    }
  })

  it('a fetched chunk with the wrong content fails with IntegrityFailed', async () => {
    const { data, encrypted, chunks } = large
    const wrongContents: Array<(index: number, content: Uint8Array) => Uint8Array> = [
      (index, content) => index === 3 ? new Uint8Array(0) : content,
      (index, content) => index === 3 ? content.subarray(0, content.length - 1) : content,
      (index, content) => index === 3 ? encrypted.chunks.get(hex(chunks[4]?.name ?? new Uint8Array())) ?? content : content,
      (index, content) => index === 0 ? pseudoRandomBytes(content.length, 'junk') : content
    ]
    for (const override of wrongContents) {
      await expectFailsSafely(encrypted.dataMap, byIndex(chunks, encrypted.chunks, override), data, 'IntegrityFailed')
    }
    const notBytes: FetchChunk = async () => 'text' as unknown as Uint8Array
    expectCryptoError((await collect(selfDecrypt(encrypted.dataMap, notBytes))).error, 'IntegrityFailed')
  })

  it('every flipped byte of an encoded data map fails with a CryptoError', async () => {
    // Exhaustive over a three-chunk map: each position, two different bit flips.
    const { data, encrypted, chunks } = small
    const encoded = encodeDataMap(encrypted.dataMap)
    let decodedAnyway = 0
    for (let at = 0; at < encoded.length; at++) {
      for (const mask of [0x01, 0x80]) {
        let dataMap: DataMap
        try {
          dataMap = decodeDataMap(flipped(encoded, at, mask))
        } catch (error) {
          expectCryptoError(error, 'InvalidDataMap')
          continue
        }
        decodedAnyway++ // a hash (or the last size) changed but the map is well-formed
        await expectFailsSafely(dataMap, byIndex(chunks, encrypted.chunks), data, 'IntegrityFailed', 'DecryptionFailed')
      }
    }
    // Both 32-byte hashes of all three chunks, at least.
    expect(decodedAnyway).toBeGreaterThanOrEqual(2 * 3 * 64)
  })

  it('a flipped pre-hash or name in a large data map fails with a CryptoError', async () => {
    const { data, encrypted, chunks } = large
    for (const field of ['preHash', 'name'] as const) {
      for (const chunk of chunks) {
        const dataMap: DataMap = {
          kind: 'chunks',
          chunks: chunks.map((c) => c.index === chunk.index ? { ...c, [field]: flipped(c[field], 31) } : c)
        }
        const decoded = decodeDataMap(encodeDataMap(dataMap))
        await expectFailsSafely(decoded, byIndex(chunks, encrypted.chunks), data, 'IntegrityFailed', 'DecryptionFailed')
      }
    }
  })
})
