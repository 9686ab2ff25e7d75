import { describe, expect, it } from 'vitest'
import {
  CHUNK_OVERHEAD_BYTES, chunkSizes, decodeDataMap, encodeDataMap, selfDecryptBytes, selfEncrypt,
  selfEncryptBytes, sha3_256
} from '../src/index.js'
import type { EncryptedChunk } from '../src/index.js'
import { expectSameBytes, hex, KiB, MiB, pseudoRandomBytes } from './helpers.js'

const sizes: Array<[string, number]> = [
  ['0', 0],
  ['1', 1],
  ['3071', 3071],
  ['3072', 3072],
  ['3 MiB − 1', 3 * MiB - 1],
  ['3 MiB', 3 * MiB],
  ['3 MiB + 1', 3 * MiB + 1],
  ['10 MiB + 17', 10 * MiB + 17]
]

describe('self-encryption round trip', () => {
  it.each(sizes)('%s bytes', async (_, size) => {
    const data = pseudoRandomBytes(size, `round trip ${size}`)
    const { dataMap, chunks } = await selfEncryptBytes(data)
    const expectedSizes = chunkSizes(size)
    if (expectedSizes.length === 0) {
      expect(dataMap.kind).toBe('inline')
      if (dataMap.kind === 'inline') expectSameBytes(dataMap.content, data)
      expect(chunks.size).toBe(0)
    } else {
      if (dataMap.kind !== 'chunks') throw new Error('expected chunks')
      expect(dataMap.chunks.map((c) => c.sourceSize)).toEqual(expectedSizes)
      expect(chunks.size).toBe(expectedSizes.length)
      let offset = 0
      for (const chunk of dataMap.chunks) {
        const plaintext = data.subarray(offset, offset + chunk.sourceSize)
        offset += chunk.sourceSize
        expect(chunk.preHash).toEqual(sha3_256(plaintext))
        const content = chunks.get(hex(chunk.name))
        if (content === undefined) throw new Error(`chunk ${chunk.index} missing`)
        expect(sha3_256(content)).toEqual(chunk.name)
        expect(content).toHaveLength(chunk.sourceSize + CHUNK_OVERHEAD_BYTES)
        // Encrypted: the plaintext does not show through.
        expect(Buffer.from(content).includes(Buffer.from(plaintext.subarray(0, 64)))).toBe(false)
      }
    }
    const viaEncoding = decodeDataMap(encodeDataMap(dataMap))
    expect(viaEncoding).toEqual(dataMap)
    expectSameBytes(await selfDecryptBytes(viaEncoding, chunks), data)
  })

  it('is deterministic: the same file gives the same data map and chunks', async () => {
    const data = pseudoRandomBytes(4 * MiB + 5, 'determinism')
    const first = await selfEncryptBytes(data)
    const second = await selfEncryptBytes(new Uint8Array(data))
    expect(encodeDataMap(second.dataMap)).toEqual(encodeDataMap(first.dataMap))
    expect([...second.chunks.keys()]).toEqual([...first.chunks.keys()])
    for (const [name, content] of first.chunks) expectSameBytes(second.chunks.get(name) ?? new Uint8Array(), content)
    // A one-byte change changes the chunk holding it and the two after it (cyclically), no others.
    const changed = new Uint8Array(data)
    changed[3 * MiB + 10]! ^= 1 // chunk 3 of [1M, 1M, 1M, 1M−1K, 1K+5]: changes 3, 4 and (cyclically) 0
    const third = await selfEncryptBytes(changed)
    if (first.dataMap.kind !== 'chunks' || third.dataMap.kind !== 'chunks') throw new Error('expected chunks')
    const thirdNames = third.dataMap.chunks.map((c) => hex(c.name))
    const same = first.dataMap.chunks.map((c, i) => hex(c.name) === thirdNames[i])
    expect(same).toEqual([false, true, true, false, false])
  })

  it('emits chunks 2…n−1 as they are read, then 0 and 1', async () => {
    const data = pseudoRandomBytes(6 * MiB, 'order')
    const order: number[] = []
    const { dataMap, size } = await selfEncrypt([data], { onChunk: ({ index }: EncryptedChunk) => { order.push(index) } })
    expect(size).toBe(data.length)
    expect(order).toEqual([2, 3, 4, 5, 0, 1])
    expect(dataMap.kind === 'chunks' ? dataMap.chunks.length : 0).toBe(6)
  })

  it('keeps the chunk format stable (changing it breaks deduplication with stored chunks)', async () => {
    const { dataMap } = await selfEncryptBytes(pseudoRandomBytes(3 * MiB + 2 * KiB, 'golden'))
    expect(hex(sha3_256(encodeDataMap(dataMap)))).toMatchInlineSnapshot('"c09347756036d53e8b2656c5d89fef692834a83e7d3d5c3eb46d9314fd762bdb"')
  })
})

describe('chunk nonces', () => {
  it('never repeat a key and nonce for different plaintexts, even when two files share the chunks before', async () => {
    // Two versions of a file: the same first two thirds, different last third. Chunk 2's key comes
    // from the pre-hashes of chunks 0 and 1, equal in both; its nonce must still differ, or the XOR
    // of the two stored chunks would be the XOR of the two plaintexts (keystream reuse).
    const size = 3 * 100 * KiB
    const a = pseudoRandomBytes(size, 'two versions')
    const b = Uint8Array.from(a)
    for (let i = 200 * KiB; i < size; i++) b[i] = (b[i] as number) ^ 0x5a
    const encA = await selfEncryptBytes(a)
    const encB = await selfEncryptBytes(b)
    if (encA.dataMap.kind !== 'chunks' || encB.dataMap.kind !== 'chunks') throw new Error('expected chunks')
    const lastA = encA.chunks.get(hex(encA.dataMap.chunks[2]!.name))!
    const lastB = encB.chunks.get(hex(encB.dataMap.chunks[2]!.name))!
    const cipherXor = lastA.subarray(1, 1 + 1024).map((x, i) => x ^ (lastB[1 + i] as number))
    const plainXor = a.subarray(200 * KiB, 200 * KiB + 1024).map((x, i) => x ^ (b[200 * KiB + i] as number))
    expect(hex(cipherXor)).not.toBe(hex(plainXor))
  })
})
