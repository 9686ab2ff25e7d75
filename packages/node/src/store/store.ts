import { Level } from 'level'
import { SafeMeshError, xorNameToHex, type XorName } from '@safemesh/protocol'

/** What a node holds, for status and metrics. */
export interface StoreStats {
  items: number
  bytes: number
}

export interface StoreOptions {
  /** Bytes of data this node accepts before answering `NetworkFull`. Default: unlimited. */
  capacity?: number
}

/** What the store holds: chunks, MutableData, account records, and spent message ids. */
export type Section = 'chunk' | 'mdata' | 'account' | 'message'

/** Sections counted as stored items in stats and metrics (message ids are bookkeeping). */
const COUNTED: ReadonlySet<Section> = new Set(['chunk', 'mdata', 'account'])

function sublevelOf (db: Level<string, Uint8Array>, name: string) {
  return db.sublevel<string, Uint8Array>(name, { valueEncoding: 'view' })
}
type Sublevel = ReturnType<typeof sublevelOf>

const STATS_KEY = 'stats'

/**
 * A node's LevelDB store: ImmutableData chunks, MutableData and account
 * records, each under its own sublevel, plus a stats record kept in the same
 * atomic batch as every write so the counts survive a crash exactly.
 *
 * Durability: a write resolves once LevelDB has handed its log record to the
 * OS, so a node killed with SIGKILL right after acknowledging keeps it (the
 * OS flushes the page cache). Losing the machine itself is what the G
 * replicas of every name are for.
 */
export class Store {
  private readonly db: Level<string, Uint8Array>
  private readonly sections: Record<Section, Sublevel>
  private readonly meta: Sublevel
  private readonly capacity: number
  private stats: StoreStats = { items: 0, bytes: 0 }
  /** Serialises writes so the stats record in each batch is never stale. */
  private writes: Promise<unknown> = Promise.resolve()

  private constructor (location: string, options: StoreOptions) {
    this.db = new Level<string, Uint8Array>(location, { valueEncoding: 'view' })
    const sub = (name: string): Sublevel => sublevelOf(this.db, name)
    this.sections = { chunk: sub('chunk'), mdata: sub('mdata'), account: sub('account'), message: sub('message') }
    this.meta = sub('meta')
    this.capacity = options.capacity ?? Number.POSITIVE_INFINITY
  }

  static async open (location: string, options: StoreOptions = {}): Promise<Store> {
    const store = new Store(location, options)
    await store.db.open()
    const raw = await store.meta.get(STATS_KEY)
    if (raw != null) store.stats = JSON.parse(new TextDecoder().decode(raw)) as StoreStats
    return store
  }

  async close (): Promise<void> {
    await this.writes.catch(() => {})
    await this.db.close()
  }

  getStats (): StoreStats {
    return { ...this.stats }
  }

  async getChunk (name: XorName): Promise<Uint8Array | undefined> {
    return await this.get('chunk', xorNameToHex(name))
  }

  async hasChunk (name: XorName): Promise<boolean> {
    return await this.has('chunk', xorNameToHex(name))
  }

  /** Stores a chunk; storing one already held is a no-op (deduplication). */
  async putChunk (name: XorName, value: Uint8Array): Promise<void> {
    if (await this.has('chunk', xorNameToHex(name))) return
    await this.put('chunk', xorNameToHex(name), value)
  }

  async has (section: Section, key: string): Promise<boolean> {
    // keys() with a bound reads no value: cheaper than get() for 1 MiB chunks.
    for await (const found of this.sections[section].keys({ gte: key, lte: key, limit: 1 })) return found === key
    return false
  }

  async get (section: Section, key: string): Promise<Uint8Array | undefined> {
    const value = await this.sections[section].get(key)
    // LevelDB hands back Buffers; the rest of SafeMesh speaks plain Uint8Array.
    return value == null ? undefined : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  }

  /**
   * Writes `value` under `key`, replacing what was there. Refuses with
   * `NetworkFull` when the write would take the store past its capacity.
   */
  async put (section: Section, key: string, value: Uint8Array): Promise<void> {
    await this.putAll([{ section, key, value }])
  }

  /** Writes several entries in one atomic batch: all of them land, or none. */
  async putAll (entries: ReadonlyArray<{ section: Section, key: string, value: Uint8Array }>): Promise<void> {
    await this.serialise(async () => {
      let { items, bytes } = this.stats
      for (const { section, key, value } of entries) {
        if (!COUNTED.has(section)) continue
        const previous = await this.sections[section].get(key)
        bytes += value.byteLength - (previous?.byteLength ?? 0)
        if (previous == null) items++
      }
      if (bytes > this.stats.bytes && bytes > this.capacity) {
        throw new SafeMeshError('NetworkFull', 'this node has reached its storage capacity')
      }
      const next = { items, bytes }
      await this.db.batch([
        ...entries.map(({ section, key, value }) => ({ type: 'put' as const, sublevel: this.sections[section], key, value })),
        { type: 'put', sublevel: this.meta, key: STATS_KEY, value: encodeStats(next) }
      ])
      this.stats = next
    })
  }

  async delete (section: Section, key: string): Promise<void> {
    await this.serialise(async () => {
      const previous = await this.sections[section].get(key)
      if (previous == null) return
      const counted = COUNTED.has(section)
      const next = counted ? { items: this.stats.items - 1, bytes: this.stats.bytes - previous.byteLength } : this.stats
      await this.db.batch([
        { type: 'del', sublevel: this.sections[section], key },
        { type: 'put', sublevel: this.meta, key: STATS_KEY, value: encodeStats(next) }
      ])
      this.stats = next
    })
  }

  /** Every key of a section, in order. */
  async * keys (section: Section): AsyncGenerator<string> {
    for await (const key of this.sections[section].keys()) yield key
  }

  private async serialise<T> (work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work, work)
    this.writes = run.catch(() => {})
    return await run
  }
}

function encodeStats (stats: StoreStats): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(stats))
}
