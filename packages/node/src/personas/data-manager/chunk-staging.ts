import { SafeMeshError, bytesToHex, type XorName } from '@safemesh/protocol'
import type { StagedChunk, Store } from '../../store/store.js'

interface Staged {
  chunk: StagedChunk
  /** Who offered it first: its bytes count toward that sender's share. */
  sender: string
  expires: number
  /** Stores of it under way: an expiry must not remove the file from under them. */
  taken: number
}

/**
 * Chunks a client has offered to this Data-Manager, written to disk (`Store.stageChunk`) until
 * the Maid-Managers' authority to store them arrives, or they expire. Bounded in bytes, and per
 * sender to a share of that: anyone may offer, so one sender's offers past its share, or anyone's
 * past the whole, are refused with `NetworkFull` rather than allowed to fill the disk or crowd
 * others out. Offering a staged chunk again does not extend its life.
 */
export class ChunkStaging {
  private readonly store: Store
  private readonly staged = new Map<string, Staged>()
  /** Offers being written, so that a second offer of the same chunk waits for the first. */
  private readonly writing = new Map<string, Promise<void>>()
  private readonly waiters = new Map<string, Array<(chunk: StagedChunk) => void>>()
  /** Bytes staged or being written, in all and per sender. */
  private bytes = 0
  private readonly bySender = new Map<string, number>()
  private readonly maxBytes: number
  private readonly maxPerSender: number
  private readonly ttlMs: number

  constructor (store: Store, maxBytes: number, ttlMs: number, maxPerSender: number = maxBytes) {
    this.store = store
    this.maxBytes = maxBytes
    this.maxPerSender = Math.min(maxPerSender, maxBytes)
    this.ttlMs = ttlMs
  }

  /** Stages `value` under `name`, which the caller derived from it (SHA3-256), for `sender`. */
  async offer (name: XorName, value: Uint8Array, sender: string): Promise<void> {
    await this.expire()
    const key = bytesToHex(name)
    if (this.staged.has(key)) return
    const pending = this.writing.get(key)
    if (pending != null) return await pending
    const size = value.byteLength
    if ((this.bySender.get(sender) ?? 0) + size > this.maxPerSender) {
      throw new SafeMeshError('NetworkFull', 'you have too many offered chunks waiting here for their authority; try again shortly')
    }
    if (this.bytes + size > this.maxBytes) {
      throw new SafeMeshError('NetworkFull', 'this node holds too many offered chunks; try again shortly')
    }
    this.count(sender, size)
    const write = this.store.stageChunk(name, value).then((chunk) => {
      this.staged.set(key, { chunk, sender, expires: Date.now() + this.ttlMs, taken: 0 })
      for (const wake of this.waiters.get(key) ?? []) wake(chunk)
      this.waiters.delete(key)
    }, (err: unknown) => {
      this.count(sender, -size)
      throw err
    }).finally(() => { this.writing.delete(key) })
    this.writing.set(key, write)
    await write
  }

  /**
   * The staged chunk `name`, waiting up to `timeoutMs` for its offer. Each chunk taken is handed
   * back with `release` once stored, or `untake` when it was not.
   */
  async take (name: XorName, timeoutMs: number): Promise<StagedChunk | undefined> {
    const key = bytesToHex(name)
    const staged = this.staged.get(key)
    if (staged != null) {
      staged.taken++
      return staged.chunk
    }
    const chunk = await new Promise<StagedChunk | undefined>(resolve => {
      const wake = (offered: StagedChunk): void => {
        clearTimeout(timer)
        resolve(offered)
      }
      const timer = setTimeout(() => {
        const list = this.waiters.get(key) ?? []
        const index = list.indexOf(wake)
        if (index >= 0) list.splice(index, 1)
        if (list.length === 0) this.waiters.delete(key)
        resolve(undefined)
      }, timeoutMs)
      this.waiters.set(key, [...(this.waiters.get(key) ?? []), wake])
    })
    const woken = this.staged.get(key)
    if (chunk == null || woken == null) return undefined
    woken.taken++
    return woken.chunk
  }

  /** Forgets a taken chunk once the store has it (its file moved into the store). */
  release (name: XorName): void {
    const key = bytesToHex(name)
    const staged = this.staged.get(key)
    if (staged == null) return
    this.staged.delete(key)
    this.count(staged.sender, -staged.chunk.size)
  }

  /** Hands back a taken chunk that was not stored; it stays staged until it expires. */
  untake (name: XorName): void {
    const staged = this.staged.get(bytesToHex(name))
    if (staged != null && staged.taken > 0) staged.taken--
  }

  /** Forgets every staged chunk (the node is stopping); their files go at the store's next open. */
  clear (): void {
    this.staged.clear()
    this.bySender.clear()
    this.bytes = 0
  }

  private count (sender: string, bytes: number): void {
    this.bytes += bytes
    const left = (this.bySender.get(sender) ?? 0) + bytes
    if (left <= 0) this.bySender.delete(sender)
    else this.bySender.set(sender, left)
  }

  /** Drops the offers whose authority never came (none that a store has taken) and their files. */
  private async expire (): Promise<void> {
    const now = Date.now()
    const expired: StagedChunk[] = []
    for (const [key, staged] of this.staged) {
      if (staged.expires > now || staged.taken > 0) continue
      this.staged.delete(key)
      this.count(staged.sender, -staged.chunk.size)
      expired.push(staged.chunk)
    }
    await Promise.all(expired.map(async (chunk) => { await this.store.discardStagedChunk(chunk) }))
  }
}
