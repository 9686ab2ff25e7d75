/**
 * What one sender may make a node hold and do at once, over all its streams: request bytes being
 * served, a request rate (a token bucket), and a few malformed requests a minute. A sender over its
 * bytes or rate is slowed (its streams stop being read until it is back under); one that keeps
 * sending malformed requests is disconnected. Honest peers stay far below every limit
 * (docs/decisions.md, "Per-sender quotas").
 */
export interface SenderLimits {
  /** Request bytes one sender may have being served at once. Default 32 MiB. */
  readonly maxInflightBytes: number
  /** Requests a second one sender may send on average; a burst of one second's worth is allowed. Default 2,000. */
  readonly requestsPerSecond: number
  /** Malformed requests one sender may send in a minute before it is disconnected. Default 30. */
  readonly maxMalformedPerMinute: number
}

export const DEFAULT_SENDER_LIMITS: SenderLimits = Object.freeze({
  maxInflightBytes: 32 * 1024 * 1024,
  requestsPerSecond: 2000,
  maxMalformedPerMinute: 30
})

/** Senders whose usage and malformed requests are remembered; past this, idle ones are forgotten. */
const MAX_REMEMBERED = 4096
const MINUTE = 60_000

interface Usage {
  bytes: number
  tokens: number
  refilledAt: number
  /** Called once the sender is back under its limits. */
  waiters: Array<() => void>
  timer?: ReturnType<typeof setTimeout>
}

export class SenderQuotas {
  private readonly limits: SenderLimits
  private readonly usage = new Map<string, Usage>()
  /** Per sender, when its malformed requests of the last minute came, oldest first. */
  private readonly malformed = new Map<string, number[]>()
  private readonly now: () => number

  constructor (limits: Partial<SenderLimits> = {}, now: () => number = Date.now) {
    this.limits = { ...DEFAULT_SENDER_LIMITS, ...limits }
    this.now = now
  }

  /** Counts one request of `bytes` being served for `sender`. */
  take (sender: string, bytes: number): void {
    const usage = this.usageOf(sender)
    this.refill(usage)
    usage.tokens -= 1
    usage.bytes += bytes
  }

  /** The request of `bytes` was served. */
  release (sender: string, bytes: number): void {
    const usage = this.usage.get(sender)
    if (usage == null) return
    usage.bytes -= bytes
    this.wakeIfUnder(sender, usage)
  }

  /** Whether the sender is over a limit, so its streams should not be read for now. */
  isOver (sender: string): boolean {
    const usage = this.usage.get(sender)
    if (usage == null) return false
    this.refill(usage)
    return usage.bytes > this.limits.maxInflightBytes || usage.tokens < 0
  }

  /** Calls `resume` once the sender is back under its limits (at once if it is). */
  whenUnder (sender: string, resume: () => void): void {
    const usage = this.usageOf(sender)
    usage.waiters.push(resume)
    this.wakeIfUnder(sender, usage)
  }

  /** Notes a malformed request; true when the sender has sent too many and should be disconnected. */
  noteMalformed (sender: string): boolean {
    const now = this.now()
    const times = (this.malformed.get(sender) ?? []).filter(t => now - t < MINUTE)
    times.push(now)
    this.malformed.delete(sender)
    this.malformed.set(sender, times)
    if (this.malformed.size > MAX_REMEMBERED) this.malformed.delete(this.malformed.keys().next().value as string)
    return times.length > this.limits.maxMalformedPerMinute
  }

  /** Senders being tracked (a bounded number: those with work in flight or waiting). */
  get size (): number {
    return this.usage.size
  }

  /** Forgets every wait (the messenger stopped). */
  clear (): void {
    for (const usage of this.usage.values()) clearTimeout(usage.timer)
    this.usage.clear()
  }

  private usageOf (sender: string): Usage {
    let usage = this.usage.get(sender)
    if (usage == null) {
      if (this.usage.size >= MAX_REMEMBERED) this.sweep()
      usage = { bytes: 0, tokens: this.limits.requestsPerSecond, refilledAt: this.now(), waiters: [] }
      this.usage.set(sender, usage)
    }
    return usage
  }

  /** Drops the records of senders with nothing in flight or waiting, refilled or not: at most a second's burst is forgiven. */
  private sweep (): void {
    for (const [sender, usage] of this.usage) {
      this.refill(usage)
      if (usage.bytes === 0 && usage.waiters.length === 0 && usage.timer == null) this.usage.delete(sender)
    }
  }

  private refill (usage: Usage): void {
    const now = this.now()
    const rate = this.limits.requestsPerSecond
    usage.tokens = Math.min(rate, usage.tokens + (now - usage.refilledAt) * rate / 1000)
    usage.refilledAt = now
  }

  private wakeIfUnder (sender: string, usage: Usage): void {
    this.refill(usage)
    if (usage.bytes > this.limits.maxInflightBytes) return
    if (usage.tokens < 0) {
      // Back under once the bucket refills to zero.
      usage.timer ??= setTimeout(() => {
        usage.timer = undefined
        this.wakeIfUnder(sender, usage)
      }, Math.ceil(-usage.tokens * 1000 / this.limits.requestsPerSecond))
      return
    }
    const waiters = usage.waiters.splice(0)
    for (const resume of waiters) resume()
    // A sender with nothing in flight and a full bucket needs no record.
    if (usage.bytes === 0 && usage.waiters.length === 0 && usage.tokens >= this.limits.requestsPerSecond && usage.timer == null) this.usage.delete(sender)
  }
}
