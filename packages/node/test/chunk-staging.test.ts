import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { sha3_256 } from '@safemesh/protocol'
import { ChunkStaging } from '../src/personas/data-manager/chunk-staging.js'
import { Store } from '../src/store/store.js'

const dirs: string[] = []
const stores: Store[] = []
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close()
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function open (): Promise<{ store: Store, where: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'safemesh-staging-'))
  dirs.push(dir)
  const where = join(dir, 'store')
  const store = await Store.open(where)
  stores.push(store)
  return { store, where }
}

const chunk = (fill: number, size = 1000): { name: Uint8Array, value: Uint8Array } => {
  const value = new Uint8Array(size).fill(fill)
  return { name: sha3_256(value), value }
}

describe('ChunkStaging', () => {
  it('keeps an offered chunk on disk, and the store adopts that file on authority', async () => {
    const { store, where } = await open()
    const staging = new ChunkStaging(store, 10_000, 60_000)
    const { name, value } = chunk(1)
    await staging.offer(name, value, 'client')
    expect(await readdir(join(`${where}-chunks`, 'staging'))).toHaveLength(1)
    const staged = await staging.take(name, 1000)
    expect(staged?.size).toBe(1000)
    await store.putStagedChunk(staged!)
    staging.release(name)
    expect(await readdir(join(`${where}-chunks`, 'staging'))).toEqual([])
    expect(await store.getChunk(name)).toEqual(value)
    expect(store.getStats()).toEqual({ items: 1, bytes: 1000 })
  })

  it('wakes a take that came before the offer, and times out when none comes', async () => {
    const { store } = await open()
    const staging = new ChunkStaging(store, 10_000, 60_000)
    const { name, value } = chunk(2)
    const waiting = staging.take(name, 5_000)
    await staging.offer(name, value, 'client')
    expect((await waiting)?.size).toBe(1000)
    expect(await staging.take(chunk(3).name, 10)).toBeUndefined()
  })

  it('refuses offers past its bound with NetworkFull, and writes one file for a chunk offered twice at once', async () => {
    const { store, where } = await open()
    const staging = new ChunkStaging(store, 1500, 60_000)
    const a = chunk(4)
    await Promise.all([staging.offer(a.name, a.value, 'client'), staging.offer(a.name, a.value, 'client')])
    expect(await readdir(join(`${where}-chunks`, 'staging'))).toHaveLength(1)
    const b = chunk(5)
    await expect(staging.offer(b.name, b.value, 'client')).rejects.toMatchObject({ code: 'NetworkFull' })
  })

  it('gives each sender a share, so one sender cannot crowd others out', async () => {
    const { store } = await open()
    const staging = new ChunkStaging(store, 3000, 60_000, 1500)
    const a = chunk(9)
    const b = chunk(10)
    await staging.offer(a.name, a.value, 'greedy')
    await expect(staging.offer(b.name, b.value, 'greedy')).rejects.toMatchObject({ code: 'NetworkFull', message: expect.stringMatching(/you have too many/) })
    await staging.offer(b.name, b.value, 'honest')
  })

  it('does not extend a chunk\'s life when it is offered again', async () => {
    const { store, where } = await open()
    const staging = new ChunkStaging(store, 10_000, 200)
    const a = chunk(11)
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      await staging.offer(a.name, a.value, 'greedy')
      vi.advanceTimersByTime(120)
      await staging.offer(a.name, a.value, 'greedy')
      vi.advanceTimersByTime(120)
      const c = chunk(12)
      await staging.offer(c.name, c.value, 'honest') // runs the expiry: a's first offer is past its life
    } finally {
      vi.useRealTimers()
    }
    const files = await readdir(join(`${where}-chunks`, 'staging'))
    expect(files.some(f => f.startsWith(Buffer.from(a.name).toString('hex')))).toBe(false)
  })

  it('removes expired offers from disk, but never one that is being stored', async () => {
    const { store, where } = await open()
    const staging = new ChunkStaging(store, 10_000, 1)
    const kept = chunk(6)
    const dropped = chunk(7)
    await staging.offer(kept.name, kept.value, 'client')
    await staging.offer(dropped.name, dropped.value, 'client')
    const taken = await staging.take(kept.name, 0)
    await new Promise(resolve => setTimeout(resolve, 5))
    const other = chunk(8)
    await staging.offer(other.name, other.value, 'client') // runs the expiry
    const files = await readdir(join(`${where}-chunks`, 'staging'))
    expect(files).toHaveLength(2)
    expect(files.some(f => f.startsWith(Buffer.from(dropped.name).toString('hex')))).toBe(false)
    await store.putStagedChunk(taken!)
    expect(await store.getChunk(kept.name)).toEqual(kept.value)
  })
})
