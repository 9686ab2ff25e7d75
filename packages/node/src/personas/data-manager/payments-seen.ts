import { PAID_READ_WINDOW_MS, SafeMeshError, bytesToHex, type XorName } from '@safemesh/protocol'

/** Payments remembered at most; past this the oldest first use is forgotten. */
const PAYMENTS_SEEN_CAPACITY = 100_000

/** What a payment may still do at this Data-Manager. */
export type PaymentUse =
  /** Never used here: confirm it with the payee's Maid-Managers, then {@link PaymentsSeen.record} it. */
  | 'unseen'
  /** Confirmed and first used less than the window ago: it serves again, unasked. */
  | 'open'
  /** Its window passed: the reader pays again. */
  | 'spent'

/** One reader's paid read of one envelope with one payment (its TransferCredit's messageId). */
export interface PaidRead {
  readonly reader: Uint8Array
  readonly name: XorName
  readonly tag: number
  readonly payment: Uint8Array
}

/**
 * The first use of each confirmed payment for a paid read, in memory and bounded: a payment serves
 * one reader one envelope for a window from its first use here, so a retried read never pays twice
 * and a later one pays again.
 */
export class PaymentsSeen {
  private readonly firstUse = new Map<string, number>()
  private readonly windowMs: number
  private readonly capacity: number

  constructor (windowMs: number = PAID_READ_WINDOW_MS, capacity: number = PAYMENTS_SEEN_CAPACITY) {
    this.windowMs = windowMs
    this.capacity = capacity
  }

  get size (): number {
    return this.firstUse.size
  }

  /**
   * Whether `read`'s payment pays for it at `clock()`: open within its window; else `confirm`
   * (the payee's Maid-Managers' word) decides its first use. `AccessDenied` once its window passed.
   */
  async pays (read: PaidRead, confirm: () => Promise<boolean>, clock: () => number = Date.now): Promise<boolean> {
    const key = keyOf(read)
    const use = this.useOf(key, clock())
    if (use === 'open') return true
    if (use === 'spent') throw new SafeMeshError('AccessDenied', 'this payment was used; pay again')
    if (!await confirm()) return false
    this.record(key, clock())
    return true
  }

  useOf (key: string, now: number): PaymentUse {
    const first = this.firstUse.get(key)
    if (first === undefined) return 'unseen'
    return now - first < this.windowMs ? 'open' : 'spent'
  }

  /** Records a confirmed payment's first use (a use already recorded keeps its first time). */
  record (key: string, now: number): void {
    if (this.firstUse.has(key)) return
    this.firstUse.set(key, now)
    // Maps iterate in insertion order: the first key is the oldest first use.
    while (this.firstUse.size > this.capacity) {
      const oldest = this.firstUse.keys().next()
      if (oldest.done === true) break
      this.firstUse.delete(oldest.value)
    }
  }

  clear (): void {
    this.firstUse.clear()
  }
}

export function keyOf (read: PaidRead): string {
  return `${bytesToHex(read.reader)}/${bytesToHex(read.name)}/${read.tag}/${bytesToHex(read.payment)}`
}
