import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Level } from 'level'
import { randomXorName, xorNameToHex } from '@safemesh/protocol'
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

  it('counts bookkeeping (spent message ids, certificates) against its capacity, not as data', async () => {
    const where = await location()
    const store = await Store.open(where, { capacity: 100 })
    await store.put('message', 'a', new Uint8Array(60))
    await expect(store.put('message', 'b', new Uint8Array(60))).rejects.toMatchObject({ code: 'NetworkFull' })
    expect(store.getStats()).toEqual({ items: 0, bytes: 0 })
    await store.delete('message', 'a')
    await store.put('message', 'b', new Uint8Array(60))
    await store.close()
    const again = await Store.open(where, { capacity: 100 })
    await expect(again.put('certificate', 'c', new Uint8Array(60))).rejects.toMatchObject({ code: 'NetworkFull' })
    await again.close()
  })

  it('serialises concurrent writes so the stats stay exact', async () => {
    const store = await Store.open(await location())
    await Promise.all(Array.from({ length: 200 }, async (_, i) => { await store.putChunk(randomXorName(), new Uint8Array(i)) }))
    expect(store.getStats()).toEqual({ items: 200, bytes: (199 * 200) / 2 })
    await store.close()
  })

  it('keeps chunk bytes in files named by the chunk, and LevelDB only their index', async () => {
    const where = await location()
    const store = await Store.open(where)
    const name = randomXorName()
    const hex = xorNameToHex(name)
    const value = new Uint8Array(4096).fill(7)
    await store.putChunk(name, value)
    await store.close()
    expect(new Uint8Array(await readFile(join(`${where}-chunks`, hex.slice(0, 2), hex)))).toEqual(value)
    const db = new Level<string, Uint8Array>(where, { valueEncoding: 'view' })
    let largest = 0
    for await (const [, v] of db.iterator()) largest = Math.max(largest, v.byteLength)
    await db.close()
    expect(largest).toBeLessThan(100)
  })

  it('removes what a crash left in staging, and counts no chunk whose entry was never written', async () => {
    const where = await location()
    const store = await Store.open(where)
    await store.close()
    // What a crash between the file's rename and the index batch leaves, plus an unfinished write.
    const orphan = xorNameToHex(randomXorName())
    await mkdir(join(`${where}-chunks`, orphan.slice(0, 2)), { recursive: true })
    await writeFile(join(`${where}-chunks`, orphan.slice(0, 2), orphan), new Uint8Array(10))
    await writeFile(join(`${where}-chunks`, 'staging', `${orphan}.0123`), new Uint8Array(10))
    const again = await Store.open(where)
    expect(await readdir(join(`${where}-chunks`, 'staging'))).toEqual([])
    expect(await again.hasChunk(Buffer.from(orphan, 'hex'))).toBe(false)
    expect(await again.getChunk(Buffer.from(orphan, 'hex'))).toBeUndefined()
    expect(again.getStats()).toEqual({ items: 0, bytes: 0 })
    await again.close()
  })

  it('moves the inline chunks of an older store into files, counts unchanged', async () => {
    const where = await location()
    const name = randomXorName()
    const value = new Uint8Array(3000).fill(9)
    const db = new Level<string, Uint8Array>(where, { valueEncoding: 'view' })
    await db.sublevel<string, Uint8Array>('chunk', { valueEncoding: 'view' }).put(xorNameToHex(name), value)
    await db.sublevel<string, Uint8Array>('meta', { valueEncoding: 'view' }).put('stats', new TextEncoder().encode(JSON.stringify({ items: 1, bytes: 3000 })))
    await db.close()
    const store = await Store.open(where)
    expect(await store.getChunk(name)).toEqual(value)
    expect(store.getStats()).toEqual({ items: 1, bytes: 3000 })
    const keys: string[] = []
    for await (const key of store.keys('chunk')) keys.push(key)
    expect(keys).toEqual([xorNameToHex(name)])
    await store.delete('chunk', xorNameToHex(name))
    expect(store.getStats()).toEqual({ items: 0, bytes: 0 })
    expect(await store.getChunk(name)).toBeUndefined()
    await store.close()
  })
})
