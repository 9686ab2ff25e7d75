import { Level } from 'level'
import { SafeMeshError, xorNameToHex, type XorName } from '@safemesh/protocol'
import { ChunkFiles } from './chunk-files.js'

/** What a node holds, for status and metrics. */
export interface StoreStats {
  items: number
  bytes: number
  /** Bytes of bookkeeping (certificates, outcomes, spent message ids): not data, but on disk, so counted against the capacity. */
  bookkeeping?: number
}

export interface StoreOptions {
  /** Bytes this node accepts, data and bookkeeping, before answering `NetworkFull`. Default: unlimited. */
  capacity?: number
}

/**
 * What the store holds: chunks, MutableData with the certificates of their last steps and the
 * outcomes of their recent mutations, account records, spent message ids and credits received.
 */
export type Section = 'chunk' | 'mdata' | 'certificate' | 'outcome' | 'account' | 'message' | 'message-expiry' | 'credit'
/** Sections whose values LevelDB holds; a chunk's bytes are in a file (`ChunkFiles`). */
export type RecordSection = Exclude<Section, 'chunk'>

/** An offered chunk's bytes, written to disk while its authority is on its way. */
export interface StagedChunk {
  readonly name: XorName
  readonly size: number
  readonly path: string
}

/** Sections counted as stored items in stats and metrics; the others are bookkeeping, counted against the capacity only. */
const COUNTED: ReadonlySet<Section> = new Set(['chunk', 'mdata', 'account'])

function sublevelOf (db: Level<string, Uint8Array>, name: string) {
  return db.sublevel<string, Uint8Array>(name, { valueEncoding: 'view' })
}
type Sublevel = ReturnType<typeof sublevelOf>

const STATS_KEY = 'stats'

/**
 * LevelDB's memory, smaller than its defaults (8 MiB block cache, 4 MiB write buffer): with the
 * chunks in files it holds only records (a MutableData is at most 1 MiB), and its hot ones are
 * read back from the memtable or the OS's page cache.
 */
const LEVEL_MEMORY = { cacheSize: 2 * 2 ** 20, writeBufferSize: 2 ** 20 } as const

/**
 * A node's store: MutableData and account records, each under its own
 * LevelDB sublevel, plus a stats record kept in the same atomic batch as
 * every write so the counts survive a crash exactly. ImmutableData chunks
 * keep their bytes in files (`ChunkFiles`, in `<location>-chunks`) and their
 * index entry (name → size) in LevelDB: a chunk is held once its entry is
 * written, which happens only after its file is in place.
 *
 * Durability: a write resolves once LevelDB has handed its log record (and a
 * chunk's file) to the OS, so a node killed with SIGKILL right after
 * acknowledging keeps it (the OS flushes the page cache). Losing the machine
 * itself is what the G replicas of every name are for.
 */
export class Store {
  private readonly db: Level<string, Uint8Array>
  private readonly sections: Record<Section, Sublevel>
  private readonly meta: Sublevel
  private readonly files: ChunkFiles
  private readonly capacity: number
  private stats: StoreStats = { items: 0, bytes: 0 }
  /** Serialises writes so the stats record in each batch is never stale. */
  private writes: Promise<unknown> = Promise.resolve()

  private constructor (db: Level<string, Uint8Array>, files: ChunkFiles, options: StoreOptions) {
    this.db = db
    this.files = files
    const sub = (name: string): Sublevel => sublevelOf(this.db, name)
    this.sections = { chunk: sub('chunk-index'), mdata: sub('mdata'), certificate: sub('certificate'), outcome: sub('outcome'), account: sub('account'), message: sub('message'), 'message-expiry': sub('message-expiry'), credit: sub('credit') }
    this.meta = sub('meta')
    this.capacity = options.capacity ?? Number.POSITIVE_INFINITY
  }

  static async open (location: string, options: StoreOptions = {}): Promise<Store> {
    const db = new Level<string, Uint8Array>(location, { valueEncoding: 'view', ...LEVEL_MEMORY })
    await db.open()
    let store: Store
    try {
      store = new Store(db, await ChunkFiles.open(`${location}-chunks`), options)
      const raw = await store.meta.get(STATS_KEY)
      if (raw != null) store.stats = JSON.parse(new TextDecoder().decode(raw)) as StoreStats
      await store.moveInlineChunks()
    } catch (err) {
      await db.close()
      throw err
    }
    return store
  }

  /**
   * Stores written before chunks had files kept their bytes in the `chunk` sublevel: each moves
   * to its file, then its index entry replaces the inline value in one batch (the counts stay).
   */
  private async moveInlineChunks (): Promise<void> {
    const inline = sublevelOf(this.db, 'chunk')
    for await (const [hex, value] of inline.iterator()) {
      await this.files.write(hex, value)
      await this.db.batch([
        { type: 'put', sublevel: this.sections.chunk, key: hex, value: encodeSize(value.byteLength) },
        { type: 'del', sublevel: inline, key: hex }
      ])
    }
  }

  async close (): Promise<void> {
    await this.writes.catch(() => {})
    await this.db.close()
  }

  getStats (): StoreStats {
    return { items: this.stats.items, bytes: this.stats.bytes }
  }

  /** Bytes of bookkeeping held, counted against the capacity with the data. */
  bookkeepingBytes (): number {
    return this.stats.bookkeeping ?? 0
  }

  async getChunk (name: XorName): Promise<Uint8Array | undefined> {
    const hex = xorNameToHex(name)
    if (!await this.hasChunkEntry(hex)) return undefined
    return await this.files.read(hex)
  }

  async hasChunk (name: XorName): Promise<boolean> {
    return await this.hasChunkEntry(xorNameToHex(name))
  }

  /**
   * Stores a chunk; storing one already held is a no-op (deduplication). Refuses with
   * `NetworkFull` when it would take the store past its capacity.
   */
  async putChunk (name: XorName, value: Uint8Array): Promise<void> {
    const hex = xorNameToHex(name)
    await this.addChunk(hex, value.byteLength, async () => { await this.files.write(hex, value) })
  }

  /**
   * Writes an offered chunk's bytes to disk, outside the store, until the authority to store it
   * arrives (`putStagedChunk`) or it is given up (`discardStagedChunk`). Neither held nor counted.
   */
  async stageChunk (name: XorName, value: Uint8Array): Promise<StagedChunk> {
    return { name, size: value.byteLength, path: await this.files.stage(xorNameToHex(name), value) }
  }

  /** Stores a staged chunk by moving its file into place; one already held only drops the staged copy. */
  async putStagedChunk (staged: StagedChunk): Promise<void> {
    const hex = xorNameToHex(staged.name)
    const stored = await this.addChunk(hex, staged.size, async () => { await this.files.adopt(hex, staged.path) })
    if (!stored) await this.files.discard(staged.path)
  }

  async discardStagedChunk (staged: StagedChunk): Promise<void> {
    await this.files.discard(staged.path)
  }

  /** Puts a chunk's file in place and then its index entry; false when the chunk was held already. */
  private async addChunk (hex: string, size: number, place: () => Promise<void>): Promise<boolean> {
    if (await this.hasChunkEntry(hex)) return false
    return await this.serialise(async () => {
      if (await this.hasChunkEntry(hex)) return false
      const next = { ...this.stats, items: this.stats.items + 1, bytes: this.stats.bytes + size }
      if (size > 0 && next.bytes + (next.bookkeeping ?? 0) > this.capacity) {
        throw new SafeMeshError('NetworkFull', 'this node has reached its storage capacity')
      }
      await place()
      await this.db.batch([
        { type: 'put', sublevel: this.sections.chunk, key: hex, value: encodeSize(size) },
        { type: 'put', sublevel: this.meta, key: STATS_KEY, value: encodeStats(next) }
      ])
      this.stats = next
      return true
    })
  }

  /** A get, not a bounded keys() iterator (three native calls): a chunk's entry is a few bytes. */
  private async hasChunkEntry (hex: string): Promise<boolean> {
    return (await this.sections.chunk.get(hex)) !== undefined
  }

  async get (section: RecordSection, key: string): Promise<Uint8Array | undefined> {
    const value = await this.sections[section].get(key)
    // LevelDB hands back Buffers; the rest of SafeMesh speaks plain Uint8Array.
    return value == null ? undefined : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  }

  /**
   * Writes `value` under `key`, replacing what was there. Refuses with
   * `NetworkFull` when the write would take the store past its capacity.
   */
  async put (section: RecordSection, key: string, value: Uint8Array): Promise<void> {
    await this.putAll([{ section, key, value }])
  }

  /** Writes several entries in one atomic batch: all of them land, or none. */
  async putAll (entries: ReadonlyArray<{ section: RecordSection, key: string, value: Uint8Array }>): Promise<void> {
    await this.serialise(async () => {
      let { items, bytes, bookkeeping = 0 } = this.stats
      // Read at once, not one after another: every write of the node waits behind this one.
      const previousValues = await Promise.all(entries.map(async ({ section, key }) => await this.sections[section].get(key)))
      for (const [i, { section, value }] of entries.entries()) {
        const previous = previousValues[i]
        const growth = value.byteLength - (previous?.byteLength ?? 0)
        if (!COUNTED.has(section)) {
          bookkeeping += growth
          continue
        }
        bytes += growth
        if (previous == null) items++
      }
      const before = this.stats.bytes + (this.stats.bookkeeping ?? 0)
      if (bytes + bookkeeping > before && bytes + bookkeeping > this.capacity) {
        throw new SafeMeshError('NetworkFull', 'this node has reached its storage capacity')
      }
      const next = { items, bytes, bookkeeping }
      await this.db.batch([
        ...entries.map(({ section, key, value }) => ({ type: 'put' as const, sublevel: this.sections[section], key, value })),
        { type: 'put', sublevel: this.meta, key: STATS_KEY, value: encodeStats(next) }
      ])
      this.stats = next
    })
  }

  async delete (section: Section, key: string): Promise<void> {
    await this.deleteAll([{ section, key }])
  }

  /** Deletes several entries in one atomic batch (absent ones are skipped). */
  async deleteAll (entries: ReadonlyArray<{ section: Section, key: string }>): Promise<void> {
    await this.serialise(async () => {
      let next = this.stats
      const gone: Array<{ section: Section, key: string }> = []
      const unique = [...new Map(entries.map(e => [`${e.section}/${e.key}`, e])).values()]
      const previousValues = await Promise.all(unique.map(async ({ section, key }) => await this.sections[section].get(key)))
      for (const [i, { section, key }] of unique.entries()) {
        const previous = previousValues[i]
        if (previous == null) continue
        gone.push({ section, key })
        const size = section === 'chunk' ? decodeSize(previous) : previous.byteLength
        next = COUNTED.has(section)
          ? { ...next, items: next.items - 1, bytes: next.bytes - size }
          : { ...next, bookkeeping: (next.bookkeeping ?? 0) - size }
      }
      if (gone.length === 0) return
      await this.db.batch([
        ...gone.map(({ section, key }) => ({ type: 'del' as const, sublevel: this.sections[section], key })),
        { type: 'put', sublevel: this.meta, key: STATS_KEY, value: encodeStats(next) }
      ])
      this.stats = next
      // After the entries are gone: a crash in between leaves a stray file, never an entry without one.
      for (const { section, key } of gone) if (section === 'chunk') await this.files.remove(key)
    })
  }

  /** Every key of a section, in order; `below`: only the keys that sort before it. */
  async * keys (section: Section, below?: string): AsyncGenerator<string> {
    for await (const key of this.sections[section].keys(below != null ? { lt: below } : {})) yield key
  }

  /** The records of `section` whose keys start with `prefix`, in key order. */
  async * entries (section: RecordSection, prefix: string): AsyncGenerator<[string, Uint8Array]> {
    for await (const [key, value] of this.sections[section].iterator({ gte: prefix, lt: `${prefix}\uffff` })) yield [key, value]
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

/** A chunk's index entry: its size in bytes, as decimal text. */
function encodeSize (size: number): Uint8Array {
  return new TextEncoder().encode(String(size))
}

function decodeSize (entry: Uint8Array): number {
  return Number(new TextDecoder().decode(entry))
}
