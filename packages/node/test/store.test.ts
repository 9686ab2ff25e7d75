import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { randomXorName } from '@safemesh/protocol'
import { Store } from '../src/store/store.js'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function location (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safemesh-store-'))
  dirs.push(dir)
  return join(dir, 'store')
}

describe('Store', () => {
  it('keeps chunks and exact stats across a close and reopen', async () => {
    const where = await location()
    const store = await Store.open(where)
    const a = randomXorName()
    const b = randomXorName()
    await store.putChunk(a, new Uint8Array(100).fill(1))
    await store.putChunk(b, new Uint8Array(50).fill(2))
    await store.putChunk(a, new Uint8Array(100).fill(1)) // deduplicated: same item
    expect(store.getStats()).toEqual({ items: 2, bytes: 150 })
    await store.close()

    const again = await Store.open(where)
    expect(again.getStats()).toEqual({ items: 2, bytes: 150 })
    expect(await again.getChunk(a)).toEqual(new Uint8Array(100).fill(1))
    expect(await again.hasChunk(randomXorName())).toBe(false)
    await again.delete('chunk', Buffer.from(b).toString('hex'))
    expect(again.getStats()).toEqual({ items: 1, bytes: 100 })
    await again.close()
  })

  it('refuses writes past its capacity with NetworkFull and changes nothing', async () => {
    const store = await Store.open(await location(), { capacity: 1000 })
    await store.putChunk(randomXorName(), new Uint8Array(900))
    const name = randomXorName()
    await expect(store.putChunk(name, new Uint8Array(200))).rejects.toMatchObject({ code: 'NetworkFull' })
    expect(await store.hasChunk(name)).toBe(false)
    expect(store.getStats()).toEqual({ items: 1, bytes: 900 })
    await store.close()
  })

  it('serialises concurrent writes so the stats stay exact', async () => {
    const store = await Store.open(await location())
    await Promise.all(Array.from({ length: 200 }, async (_, i) => { await store.putChunk(randomXorName(), new Uint8Array(i)) }))
    expect(store.getStats()).toEqual({ items: 200, bytes: (199 * 200) / 2 })
    await store.close()
  })
})
