/**
 * What refused mutations cost an account (issue 14): a refusal is free (SPEC §4 charges only
 * successes) but not unlimited. Each account may have `capacity` mutations refused by its
 * Data-Managers, refilled at one per `refillMs`; past that, its new mutations are refused before
 * anything is recorded or forwarded, until the budget refills. Honest refusals (a lost race for a
 * path, a stale version) are rare; an account made to amplify refusals is slowed to that rate.
 */
export interface RefusalBudgetOptions {
  readonly capacity: number
  readonly refillMs: number
  /** Accounts tracked at once; the ones with a full budget are forgotten past this. */
  readonly maxAccounts: number
}

const DEFAULT_REFUSAL_BUDGET: RefusalBudgetOptions = Object.freeze({ capacity: 300, refillMs: 500, maxAccounts: 10_000 })

export class RefusalBudget {
  private readonly options: RefusalBudgetOptions
  private readonly now: () => number
  /** Refusals left and when that was counted, per account. */
  private readonly left = new Map<string, { tokens: number, at: number }>()

  constructor (options: Partial<RefusalBudgetOptions> = {}, now: () => number = Date.now) {
    this.options = { ...DEFAULT_REFUSAL_BUDGET, ...options }
    this.now = now
  }

  /** Milliseconds until `account` may have a mutation refused again; 0 when it may now. */
  waitFor (account: string): number {
    const tokens = this.tokens(account)
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) * this.options.refillMs)
  }

  /** Counts one refused mutation of `account`. */
  refused (account: string): void {
    const tokens = this.tokens(account) - 1
    this.left.delete(account)
    this.left.set(account, { tokens, at: this.now() })
    if (this.left.size > this.options.maxAccounts) this.forgetFull()
  }

  private tokens (account: string): number {
    const entry = this.left.get(account)
    if (entry == null) return this.options.capacity
    return Math.min(this.options.capacity, entry.tokens + (this.now() - entry.at) / this.options.refillMs)
  }

  private forgetFull (): void {
    for (const account of this.left.keys()) if (this.tokens(account) >= this.options.capacity) this.left.delete(account)
    // Every tracked account is still spending: the oldest goes (it gets a fresh budget).
    if (this.left.size > this.options.maxAccounts) this.left.delete(this.left.keys().next().value as string)
  }
}
