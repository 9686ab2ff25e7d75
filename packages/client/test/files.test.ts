import { beforeAll, describe, expect, it } from 'vitest'
import { chunkSizes, decodeDataMap, encodeDataMap, type DataMap } from '@safemesh/crypto'
import { bytesToHex, decodeWith, immutableDataName, literal, object, uint, bytes, xorNameFromHex, type XorName } from '@safemesh/protocol'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SafeMeshClient } from '../src/index.js'
import { buildTopChunk, resolveTopChunk } from '../src/files/data-map-chain.js'
import { getFile } from '../src/files/get-file.js'
import { putFile, type UploadProgress } from '../src/files/put-file.js'
import type { ChunkStore } from '../src/files/chunk-store.js'
import { FakeNetwork } from './support/fake-network.js'
import { accountClient, collect, expectCode, expectSameBytes, inPieces, pseudoRandomBytes, rejectionOf } from './support/helpers.js'

const KiB = 1024
const MiB = 1024 * KiB

/** Chunks in memory, with a delay per put and a count of puts running at once. */
class MemoryChunks implements ChunkStore {
  readonly chunks = new Map<string, Uint8Array>()
  running = 0
  maxRunning = 0
  constructor (private readonly delay = 0) {}
  async put (value: Uint8Array): Promise<{ name: XorName, alreadyStored: boolean }> {
    this.running++
    this.maxRunning = Math.max(this.maxRunning, this.running)
    try {
      if (this.delay > 0) await sleep(this.delay)
      const name = immutableDataName(value)
      const alreadyStored = this.chunks.has(bytesToHex(name))
      this.chunks.set(bytesToHex(name), value)
      return { name, alreadyStored }
    } finally {
      this.running--
    }
  }

  async get (name: XorName): Promise<Uint8Array> {
    const value = this.chunks.get(bytesToHex(name))
    if (value === undefined) throw new Error('missing chunk')
    return value
  }
}

const topSchema = object({ v: literal(1), depth: uint(), map: bytes() })

describe('files through the in-memory network (SPEC §7)', () => {
  // Decoding megabyte messages at ten fake nodes takes real CPU: generous timeouts.
  const network = new FakeNetwork({ nodes: 10, groupSize: 8, forwardWait: 5_000 })
  let client: SafeMeshClient

  beforeAll(async () => {
    ;({ client } = await accountClient(network, { requestTimeout: 10_000 }))
  })

  for (const [label, size, chunks] of [['0 B', 0, 0], ['2 KiB', 2 * KiB, 0], ['5 MiB', 5 * MiB, 5]] as const) {
    it(`round-trips a ${label} file`, async () => {
      const content = pseudoRandomBytes(size, label)
      const progress: UploadProgress[] = []
      const stored = await client.putFile(inPieces(content, 100_000), { size, onProgress: (p) => progress.push(p) })
      expect(stored).toMatchObject({ size, chunks })
      expect(stored.address).toMatch(/^[0-9a-f]{64}$/)
      expect(progress.at(-1)).toMatchObject({ bytesRead: size, bytesStored: size, totalBytes: size, chunksStored: chunks })
      expectSameBytes(await collect(client.getFile(stored.address)), content)
    })
  }

  it('stores the same file again for free, at the same address', async () => {
    const content = pseudoRandomBytes(3 * MiB + 5, 'dedup')
    const first = await client.putFile([content])
    const before = await client.getAccountInfo()
    const progress: UploadProgress[] = []
    const second = await client.putFile([content], { onProgress: (p) => progress.push(p) })
    expect(second).toEqual(first)
    expect(await client.getAccountInfo()).toEqual(before)
    expect(progress.at(-1)).toMatchObject({ chunksStored: 0, chunksAlreadyStored: 4 })
  })

  it('resumes an interrupted upload without paying twice', async () => {
    const content = pseudoRandomBytes(6 * MiB, 'interrupted')
    const before = (await client.getAccountInfo()).mutationsDone
    const stop = new AbortController()
    const err = await rejectionOf(client.putFile(inPieces(content, 256 * KiB), {
      signal: stop.signal,
      concurrency: 2,
      onProgress: (p) => { if (p.chunksStored >= 2) stop.abort(new Error('interrupted')) }
    }))
    expect((err as Error).message).toBe('interrupted')
    await sleep(100) // requests already sent may still land
    const afterFirst = (await client.getAccountInfo()).mutationsDone
    expect(afterFirst - before).toBeGreaterThanOrEqual(2)
    const stored = await client.putFile(inPieces(content, 256 * KiB))
    // 6 content chunks and the top chunk, each paid for exactly once over both runs.
    expect((await client.getAccountInfo()).mutationsDone - before).toBe(7)
    expectSameBytes(await collect(client.getFile(stored.address)), content)
  })

  it('reads a byte range, fetching only the chunks it needs', async () => {
    const content = pseudoRandomBytes(4 * MiB + 10, 'range')
    const { address } = await client.putFile([content])
    network.reset()
    const part = await collect(client.getFile(address, { range: { offset: 2 * MiB - 3, length: 10 } }))
    expect(part).toEqual(content.subarray(2 * MiB - 3, 2 * MiB + 7))
    // The top chunk and chunks 1 and 2, from one Data-Manager each when all are honest.
    expect(network.sent('GetIData')).toHaveLength(3)
  })

  it('refuses an address that holds no file, or nothing', async () => {
    const { name } = await client.putIData(pseudoRandomBytes(100, 'not a data map'))
    await expectCode(collect(client.getFile(name)), 'InvalidRequest')
    await expectCode(collect(client.getFile(immutableDataName(new Uint8Array([1])))), 'NoSuchData')
  })

  it('refuses a size hint the stream contradicts', async () => {
    await expectCode(client.putFile([new Uint8Array(5000)], { size: 4000 }), 'InvalidRequest')
  })
})

describe('putFile and getFile over a chunk store', () => {
  it('upload at most `concurrency` chunks at once, and more than one', async () => {
    const store = new MemoryChunks(100)
    const content = pseudoRandomBytes(12 * MiB, 'concurrency')
    const { address } = await putFile(inPieces(content, 64 * KiB), store, MiB + 10 * KiB, { concurrency: 3 })
    expect(store.maxRunning).toBe(3)
    expectSameBytes(await collect(getFile(xorNameFromHex(address), store)), content)
  })

  it('read the source only as fast as chunks are stored (memory stays bounded)', async () => {
    // Keeps nothing: only the pipeline's own buffers count.
    const store: ChunkStore = {
      put: async (value) => { await sleep(30); return { name: immutableDataName(value), alreadyStored: false } },
      get: async () => { throw new Error('not kept') }
    }
    async function * source (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 40; i++) yield pseudoRandomBytes(MiB, `piece ${i}`)
    }
    let ahead = 0
    await putFile(source(), store, MiB + 10 * KiB, {
      concurrency: 2,
      onProgress: (p) => { ahead = Math.max(ahead, p.bytesRead - p.bytesStored) }
    })
    // The chunker's buffer (≤ 4 MiB), chunks 0 and 1 (held to the end), two uploads, one being encrypted.
    expect(ahead).toBeLessThanOrEqual(10 * MiB)
  })

  it('self-encrypt a data map too large for one chunk, and mark the depth in the top chunk', async () => {
    const store = new MemoryChunks()
    // 45 chunks make a data map over 3 KiB, which self-encrypts into 3 chunks; the limit is below
    // the first and above the second.
    const content = pseudoRandomBytes(45 * MiB, 'deep')
    const { address } = await putFile(inPieces(content, MiB), store, 1000)
    const top = await store.get(xorNameFromHex(address))
    expect(top.length).toBeLessThanOrEqual(1000)
    const envelope = decodeWith(topSchema, top)
    expect(envelope.depth).toBe(1)
    expect(decodeDataMap(envelope.map).kind).toBe('chunks')
    expectSameBytes(await collect(getFile(xorNameFromHex(address), store)), content)
  })

  it('buildTopChunk and resolveTopChunk agree at every depth', async () => {
    // The data map of a 10 GiB file, ~790 KB encoded (its chunks need not exist to store the map).
    const total = 10 * 1024 * MiB
    const dataMap: DataMap = {
      kind: 'chunks',
      chunks: chunkSizes(total).map((sourceSize, index) => ({ index, preHash: new Uint8Array(randomBytes(32)), name: new Uint8Array(randomBytes(32)), sourceSize }))
    }
    const store = new MemoryChunks()
    for (const [limit, expected] of [[MiB + 10 * KiB, 0], [100_000, 1]] as const) {
      const { top, depth } = await buildTopChunk(dataMap, limit, async (chunk) => { await store.put(chunk.content) })
      expect(top.length).toBeLessThanOrEqual(limit)
      expect(depth).toBe(expected)
      const resolved: DataMap = await resolveTopChunk(top, async (name) => await store.get(name))
      expectSameBytes(encodeDataMap(resolved), encodeDataMap(dataMap))
    }
    // A map whose next level would be inline cannot shrink any further.
    await expectCode(buildTopChunk(dataMap, 200, async () => {}), 'DataTooLarge')
  })
})
