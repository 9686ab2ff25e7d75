import { SafeMeshError, bytesToHex, type XorName } from '@safemesh/protocol'

interface Staged {
  value: Uint8Array
  expires: number
}

/**
 * Chunks a client has offered to this Data-Manager, held until the
 * Maid-Managers' authority to store them arrives (or they expire). Bounded in
 * bytes: anyone may offer, so offers past the bound are refused with
 * `NetworkFull` rather than allowed to exhaust memory.
 */
export class ChunkStaging {
  private readonly staged = new Map<string, Staged>()
  private readonly waiters = new Map<string, Array<(value: Uint8Array) => void>>()
  private bytes = 0
  private readonly maxBytes: number
  private readonly ttlMs: number

  constructor (maxBytes: number, ttlMs: number) {
    this.maxBytes = maxBytes
    this.ttlMs = ttlMs
  }

  /** Holds `value` under `name`, which the caller derived from it (SHA3-256). */
  offer (name: XorName, value: Uint8Array): void {
    this.expire()
    const key = bytesToHex(name)
    const existing = this.staged.get(key)
    if (existing != null) {
      existing.expires = Date.now() + this.ttlMs
      return
    }
    if (this.bytes + value.byteLength > this.maxBytes) {
      throw new SafeMeshError('NetworkFull', 'this node holds too many offered chunks; try again shortly')
    }
    this.staged.set(key, { value, expires: Date.now() + this.ttlMs })
    this.bytes += value.byteLength
    for (const wake of this.waiters.get(key) ?? []) wake(value)
    this.waiters.delete(key)
  }

  /** The offered bytes of `name`, waiting up to `timeoutMs` for them to arrive. */
  async take (name: XorName, timeoutMs: number): Promise<Uint8Array | undefined> {
    const key = bytesToHex(name)
    const staged = this.staged.get(key)
    if (staged != null) return staged.value
    return await new Promise(resolve => {
      const wake = (value: Uint8Array): void => {
        clearTimeout(timer)
        resolve(value)
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
  }

  /** Forgets a chunk once it is stored. */
  release (name: XorName): void {
    const key = bytesToHex(name)
    const staged = this.staged.get(key)
    if (staged == null) return
    this.staged.delete(key)
    this.bytes -= staged.value.byteLength
  }

  private expire (): void {
    const now = Date.now()
    for (const [key, staged] of this.staged) {
      if (staged.expires <= now) {
        this.staged.delete(key)
        this.bytes -= staged.value.byteLength
      }
    }
  }
}
