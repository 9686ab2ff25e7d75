import { bytesToHex, type XorName } from '@safemesh/protocol'

/** How long a forwarded mutation's bytes stay after its forward settled, for Data-Managers that fetch late. */
const LINGER_MS = 30_000
/** Bytes of settled mutations kept for late fetches at most; forwards under way are never dropped. */
const LINGER_BYTES = 64 * 2 ** 20

interface Body {
  bytes: Uint8Array
  executor: XorName
  /** Forwards of it under way here. */
  holders: number
  /** When a settled one goes. */
  expires: number
}

/**
 * The bytes of mutations this Maid-Manager forwarded by digest, which their Data-Managers fetch
 * once each (`GetForwarded`): kept while a forward is under way, and a little after, bounded.
 */
export class ForwardedBodies {
  /** Oldest settled first among the lingering ones. */
  private readonly bodies = new Map<string, Body>()
  private lingering = 0

  /** Keeps `bytes` (hashing to `digest`) while a forward of them is under way. */
  hold (digest: Uint8Array, bytes: Uint8Array, executor: XorName): void {
    const key = bytesToHex(digest)
    const body = this.bodies.get(key)
    if (body != null) {
      if (body.holders === 0) this.lingering -= body.bytes.byteLength
      body.holders++
      return
    }
    this.bodies.set(key, { bytes, executor, holders: 1, expires: 0 })
  }

  /** The forward of `digest` settled: its bytes linger a while, then go. */
  release (digest: Uint8Array): void {
    const key = bytesToHex(digest)
    const body = this.bodies.get(key)
    if (body == null) return
    if (--body.holders > 0) return
    // Re-inserted, so the map's order is the order of settling.
    this.bodies.delete(key)
    body.expires = Date.now() + LINGER_MS
    this.bodies.set(key, body)
    this.lingering += body.bytes.byteLength
    this.prune()
  }

  /** The bytes of `digest` and the name of the group that executes it, if kept. */
  get (digest: Uint8Array): { bytes: Uint8Array, executor: XorName } | undefined {
    this.prune()
    return this.bodies.get(bytesToHex(digest))
  }

  clear (): void {
    this.bodies.clear()
    this.lingering = 0
  }

  private prune (): void {
    const now = Date.now()
    for (const [key, body] of this.bodies) {
      if (body.holders > 0) continue
      if (body.expires > now && this.lingering <= LINGER_BYTES) break
      this.bodies.delete(key)
      this.lingering -= body.bytes.byteLength
    }
  }
}
