/**
 * What a close group agrees on (the security model of ARCHITECTURE.md): a state, an order or a
 * verdict counts only when `quorum` distinct members vouch for exactly the same one. With
 * quorum > G/2 at most one thing can be agreed among the answers of one group, and Q − 1 liars
 * never agree on anything alone.
 */

/** One member's word: who said it (a peer id as text) and what it vouches for. */
export interface Vouch<S> {
  readonly voter: string
  readonly state: S
}

/**
 * The state that at least `quorum` distinct voters vouched for, identified by `key` (equal keys
 * mean the very same state); undefined when there is none. A voter counts once, for the first
 * state it vouched for.
 */
export function agreedState<S> (vouches: Iterable<Vouch<S>>, key: (state: S) => string, quorum: number): S | undefined {
  const seen = new Set<string>()
  const tally = new Map<string, { count: number, state: S }>()
  for (const { voter, state } of vouches) {
    if (seen.has(voter)) continue
    seen.add(voter)
    const k = key(state)
    const entry = tally.get(k) ?? { count: 0, state }
    entry.count++
    tally.set(k, entry)
    if (entry.count >= quorum) return entry.state
  }
  return undefined
}

/**
 * Counts distinct voters per item and reports each item once, when its count reaches `quorum`:
 * the tally behind every "Q members said so" that arrives one message at a time (commits,
 * suspicions, Data-Managers' verdicts). Bounded: at most `capacity` open items, the oldest
 * forgotten first, so strangers cannot grow it without limit.
 */
export class QuorumTally {
  private readonly quorum: number
  private readonly capacity: number
  private readonly items = new Map<string, Set<string>>()
  private readonly reached = new Set<string>()

  constructor (quorum: number, capacity: number) {
    this.quorum = quorum
    this.capacity = capacity
  }

  /** Records `voter` for `item`; true exactly once: when this vote makes the quorum. */
  vote (item: string, voter: string): boolean {
    if (this.reached.has(item)) return false
    let voters = this.items.get(item)
    if (voters == null) {
      if (this.items.size >= this.capacity) this.items.delete(this.items.keys().next().value as string)
      voters = new Set()
      this.items.set(item, voters)
    }
    voters.add(voter)
    if (voters.size < this.quorum) return false
    this.items.delete(item)
    if (this.reached.size >= this.capacity) this.reached.delete(this.reached.values().next().value as string)
    this.reached.add(item)
    return true
  }

  /** How many distinct voters `item` has (the quorum once reached). */
  count (item: string): number {
    return this.reached.has(item) ? this.quorum : this.items.get(item)?.size ?? 0
  }

  /** Forgets `item` and its votes. */
  forget (item: string): void {
    this.items.delete(item)
    this.reached.delete(item)
  }
}
