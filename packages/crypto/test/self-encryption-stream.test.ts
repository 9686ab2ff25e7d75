import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { encodeDataMap, selfDecrypt, selfEncrypt, selfEncryptBytes, sha3_256 } from '../src/index.js'
import type { DataMap, EncryptedChunk, FetchChunk, SelfEncryptedBytes } from '../src/index.js'
import { collect, expectCryptoError, expectSameBytes, hex, inPieces, KiB, MiB, pseudoRandomBytes, thrown } from './helpers.js'

function storeFetch (chunks: ReadonlyMap<string, Uint8Array>): FetchChunk {
  return async (name) => {
    const content = chunks.get(hex(name))
    if (content === undefined) throw new Error(`no chunk ${hex(name)}`)
    return content
  }
}

async function encryptStream (source: AsyncIterable<Uint8Array>, size?: number): Promise<SelfEncryptedBytes> {
  const chunks = new Map<string, Uint8Array>()
  const { dataMap } = await selfEncrypt(source, { size, onChunk: ({ name, content }) => { chunks.set(hex(name), content) } })
  return { dataMap, chunks }
}

function sameEncryption (a: SelfEncryptedBytes, b: SelfEncryptedBytes): void {
  expect(hex(encodeDataMap(a.dataMap))).toBe(hex(encodeDataMap(b.dataMap)))
  expect([...a.chunks.keys()].sort()).toEqual([...b.chunks.keys()].sort())
}

describe('streaming self-encryption', () => {
  const data = pseudoRandomBytes(5 * MiB + 300, 'stream')
  let whole: SelfEncryptedBytes
  beforeAll(async () => { whole = await selfEncryptBytes(data) })

  it('gives the same result whatever the piece sizes (1 B, 7 B, 2 MiB, …)', async () => {
    sameEncryption(await encryptStream(inPieces(data, [1, 7, 2 * MiB, 13, 65_539, 1, MiB + 1])), whole)
    sameEncryption(await encryptStream(inPieces(data, [3 * MiB - 1, 1, 1, 1023, 1025])), whole)
    sameEncryption(await encryptStream(inPieces(data, [data.length])), whole)
  })

  it('matches whole-buffer encryption for small files fed one byte at a time', async () => {
    for (const size of [0, 1, 3071, 3072, 5000]) {
      const small = pseudoRandomBytes(size, `bytes ${size}`)
      sameEncryption(await encryptStream(inPieces(small, [1]), size), await selfEncryptBytes(small))
    }
  })

  it('matches whole-buffer encryption for random sizes and cuts (property)', async () => {
    const sizes = fc.oneof(fc.integer({ min: 0, max: 8 * KiB }), fc.integer({ min: 3 * MiB - 2 * KiB, max: 3 * MiB + 3 * KiB }))
    const cuts = fc.array(fc.integer({ min: 1, max: 1_500_000 }), { minLength: 1, maxLength: 6 })
    await fc.assert(fc.asyncProperty(sizes, cuts, async (size, pieces) => {
      const bytes = pseudoRandomBytes(size, `property ${size}`)
      sameEncryption(await encryptStream(inPieces(bytes, pieces)), await selfEncryptBytes(bytes))
    }), { numRuns: 8 })
  })

  it('tolerates a source that reuses its buffer between pieces', async () => {
    async function * reusing (): AsyncGenerator<Uint8Array> {
      const buffer = new Uint8Array(64 * KiB + 3)
      for (let offset = 0; offset < data.length; offset += buffer.length) {
        const piece = data.subarray(offset, offset + buffer.length)
        buffer.set(piece)
        yield buffer.subarray(0, piece.length)
        buffer.fill(0xaa) // scribble over it once the consumer has moved on
      }
    }
    sameEncryption(await encryptStream(reusing()), whole)
  })

  it('emits each chunk as soon as its size is certain, reading at most ~1 MiB ahead', async () => {
    const piece = 64 * KiB
    let read = 0
    async function * source (): AsyncGenerator<Uint8Array> {
      for await (const p of inPieces(data, [piece])) {
        read += p.length
        yield p
      }
    }
    const seen: Array<{ index: number, read: number }> = []
    await selfEncrypt(source(), { onChunk: ({ index }) => { seen.push({ index, read }) } })
    for (const { index, read: readWhenEmitted } of seen.filter((s) => s.index >= 2 && s.index < 5)) {
      // Chunk i (1 MiB) is final once 1 KiB past its end has arrived.
      expect(readWhenEmitted).toBeLessThanOrEqual((index + 1) * MiB + KiB + piece)
    }
    expect(seen.map((s) => s.index)).toEqual([2, 3, 4, 5, 0, 1])
  })

  it('awaits onChunk before reading more (back-pressure)', async () => {
    let read = 0
    let inFlight = 0
    async function * source (): AsyncGenerator<Uint8Array> {
      for await (const p of inPieces(data, [256 * KiB])) {
        expect(inFlight).toBe(0)
        read += p.length
        yield p
      }
    }
    await selfEncrypt(source(), {
      onChunk: async () => {
        inFlight++
        const before = read
        await new Promise((resolve) => setTimeout(resolve, 5))
        expect(read).toBe(before)
        inFlight--
      }
    })
  })

  it('checks the size hint', async () => {
    const bytes = pseudoRandomBytes(4 * MiB, 'hint')
    expectCryptoError(await thrown(() => encryptStream(inPieces(bytes, [MiB]), bytes.length + 1)), 'InvalidInput')
    expectCryptoError(await thrown(() => encryptStream(inPieces(bytes, [MiB]), bytes.length - 1)), 'InvalidInput')
    expectCryptoError(await thrown(() => encryptStream(inPieces(bytes, [MiB]), -1)), 'InvalidInput')
    // Too long is noticed as soon as the hint is exceeded, not at the end.
    let pulled = 0
    async function * endless (): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++
        yield new Uint8Array(MiB)
      }
    }
    expectCryptoError(await thrown(() => encryptStream(endless(), 2 * MiB)), 'InvalidInput')
    expect(pulled).toBe(3)
  })

  it('stops when aborted and closes the source', async () => {
    const controller = new AbortController()
    let closed = false
    async function * source (): AsyncGenerator<Uint8Array> {
      try {
        yield * inPieces(data, [MiB])
      } finally {
        closed = true
      }
    }
    const reason = new Error('user cancelled')
    const error = await thrown(() => selfEncrypt(source(), {
      signal: controller.signal,
      onChunk: ({ index }: EncryptedChunk) => { if (index === 3) controller.abort(reason) }
    }))
    expect(error).toBe(reason)
    expect(closed).toBe(true)
  })
})

describe('streaming self-decryption', () => {
  const data = pseudoRandomBytes(10 * MiB + 17, 'decrypt stream')
  let encrypted: SelfEncryptedBytes
  let dataMap: Extract<DataMap, { kind: 'chunks' }>
  beforeAll(async () => {
    encrypted = await selfEncryptBytes(data)
    if (encrypted.dataMap.kind !== 'chunks') throw new Error('expected chunks')
    dataMap = encrypted.dataMap
  })

  it('yields the file in order with at most `concurrency` fetches in flight', async () => {
    for (const concurrency of [1, 3, 8]) {
      let inFlight = 0
      let maxInFlight = 0
      const fetch: FetchChunk = async (name, index) => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        // Later chunks answer sooner, so out-of-order completion is exercised.
        await new Promise((resolve) => setTimeout(resolve, 12 - index))
        inFlight--
        return await storeFetch(encrypted.chunks)(name, index, new AbortController().signal)
      }
      const { bytes, error } = await collect(selfDecrypt(dataMap, fetch, { concurrency }))
      expect(error).toBeUndefined()
      expectSameBytes(bytes, data)
      expect(maxInFlight).toBe(concurrency)
    }
  })

  it('fetches ahead only a bounded number of chunks while the reader is slow', async () => {
    const fetched: number[] = []
    const fetch: FetchChunk = async (name, index, signal) => {
      fetched.push(index)
      return await storeFetch(encrypted.chunks)(name, index, signal)
    }
    let consumed = 0
    for await (const piece of selfDecrypt(dataMap, fetch, { concurrency: 2 })) {
      void piece
      consumed++
      await new Promise((resolve) => setTimeout(resolve, 5))
      expect(fetched.length).toBeLessThanOrEqual(consumed + 2)
    }
    expect(consumed).toBe(dataMap.chunks.length)
  })

  it('reads any byte range, fetching only the chunks it overlaps', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.nat(data.length), fc.integer({ min: 10 * MiB - 2 * KiB, max: data.length })), fc.nat(3 * MiB), async (offset, length) => {
      const fetched = new Set<number>()
      const fetch: FetchChunk = async (name, index, signal) => {
        fetched.add(index)
        return await storeFetch(encrypted.chunks)(name, index, signal)
      }
      const { bytes, error } = await collect(selfDecrypt(dataMap, fetch, { range: { offset, length } }))
      expect(error).toBeUndefined()
      const end = Math.min(offset + length, data.length)
      expectSameBytes(bytes, data.subarray(offset, end))
      const overlapping: number[] = []
      let chunkStart = 0
      for (const chunk of dataMap.chunks) {
        // An empty range overlaps nothing and fetches nothing.
        if (offset < end && chunkStart < end && chunkStart + chunk.sourceSize > offset) overlapping.push(chunk.index)
        chunkStart += chunk.sourceSize
      }
      expect([...fetched].sort((a, b) => a - b)).toEqual(overlapping)
    }), { numRuns: 15 })
    const { bytes } = await collect(selfDecrypt(dataMap, storeFetch(encrypted.chunks), { range: { offset: 10 * MiB } }))
    expectSameBytes(bytes, data.subarray(10 * MiB))
    expectCryptoError(await thrown(() => collect(selfDecrypt(dataMap, storeFetch(encrypted.chunks), { range: { offset: data.length + 1 } })).then((r) => { throw r.error })), 'InvalidInput')
    const inline = await selfEncryptBytes(data.subarray(0, 100))
    expectSameBytes((await collect(selfDecrypt(inline.dataMap, storeFetch(inline.chunks), { range: { offset: 10, length: 5 } }))).bytes, data.subarray(10, 15))
  })

  it('aborts in-flight fetches when the reader stops early', async () => {
    const signals: AbortSignal[] = []
    const fetch: FetchChunk = async (name, index, signal) => {
      signals.push(signal)
      return await storeFetch(encrypted.chunks)(name, index, signal)
    }
    // eslint-disable-next-line no-unreachable-loop -- the reader stops after the first piece on purpose
    for await (const piece of selfDecrypt(dataMap, fetch, { concurrency: 4 })) {
      expect(piece.length).toBe(MiB)
      break
    }
    expect(signals.length).toBeGreaterThan(0)
    expect(signals.every((s) => s.aborted)).toBe(true)
  })

  it('rejects with the abort reason even if a fetch never answers', async () => {
    const controller = new AbortController()
    const reason = new Error('stop')
    const hanging: FetchChunk = async (name, index, signal) => {
      if (index === 2) return await new Promise<Uint8Array>(() => {})
      return await storeFetch(encrypted.chunks)(name, index, signal)
    }
    const pieces: Uint8Array[] = []
    const error = await thrown(async () => {
      for await (const piece of selfDecrypt(dataMap, hanging, { signal: controller.signal })) {
        pieces.push(piece)
        if (pieces.length === 2) setTimeout(() => { controller.abort(reason) }, 10)
      }
    })
    expect(error).toBe(reason)
    expect(pieces).toHaveLength(2)
  })

  it('does not modify the chunks it is given (Buffers included)', async () => {
    const fetch: FetchChunk = async (name) => Buffer.from(encrypted.chunks.get(hex(name)) ?? new Uint8Array())
    const buffers = new Map<string, Buffer>()
    const keep: FetchChunk = async (name, index, signal) => {
      const buffer = await fetch(name, index, signal) as Buffer
      buffers.set(hex(name), buffer)
      return buffer
    }
    expectSameBytes((await collect(selfDecrypt(dataMap, keep))).bytes, data)
    for (const [name, buffer] of buffers) expect(hex(sha3_256(buffer))).toBe(name)
  })

  it('rejects bad options and invalid data maps', async () => {
    expectCryptoError((await collect(selfDecrypt(dataMap, storeFetch(encrypted.chunks), { concurrency: 0 }))).error, 'InvalidInput')
    const broken = { kind: 'chunks', chunks: dataMap.chunks.slice(1) } as DataMap
    expectCryptoError((await collect(selfDecrypt(broken, storeFetch(encrypted.chunks)))).error, 'InvalidDataMap')
  })
})
