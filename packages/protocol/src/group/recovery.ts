/**
 * Taking over a step of a MutableData's order (docs/protocol.md, "Order"): which mutation a new
 * round must propose for a step, from the votes of the members that promised the round.
 *
 * A ballot is (round, sequencer key). Round 0 is every sequencer's first: a member votes in it at
 * most once a step, so at most one mutation gets Q round-0 votes. A round above 0 is taken over by
 * a sequencer that first heard Q members promise to vote in no lower ballot, and it proposes
 * what this rule says; then a mutation decided in any ballot is proposed again by every higher
 * one (the Paxos invariant), and the members that voted for it keep voting for it.
 */

/** A ballot: ordered by round, then by the sequencer's key bytes. */
export interface Ballot {
  readonly round: number
  readonly sequencer: Uint8Array
}

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
export function compareBallots (a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round - b.round
  const length = Math.min(a.sequencer.length, b.sequencer.length)
  for (let i = 0; i < length; i++) {
    const d = (a.sequencer[i] as number) - (b.sequencer[i] as number)
    if (d !== 0) return d
  }
  return a.sequencer.length - b.sequencer.length
}

/** One promising member's latest vote at the step. */
export interface ReportedVote extends Ballot {
  readonly id: string
}

export type Recovery =
  /** Nothing can have been decided at the step: propose anything. */
  | { readonly kind: 'free' }
  /** This mutation may have been decided: propose it again. */
  | { readonly kind: 'keep', readonly id: string }
  /** Two round-0 mutations might each have been decided, as far as these answers tell: ask again. */
  | { readonly kind: 'unsure' }

/**
 * What a new round must propose at a step, given the latest vote of each of `promisers` members
 * that promised it (members without a vote there are among the promisers, not in `votes`).
 * The members that did not promise may have voted anything: a mutation "may have been decided"
 * when its voters among the promisers and every silent member together make `quorum`.
 */
export function recoverStep (votes: readonly ReportedVote[], promisers: number, groupSize: number, quorum: number): Recovery {
  const silent = Math.max(0, groupSize - promisers)
  const possible = (id: string): boolean => votes.filter(v => v.id === id).length + silent >= quorum
  const later = votes.filter(v => v.round > 0)
  if (later.length > 0) {
    // The highest ballot carries any mutation decided before it; one no quorum can have voted for is decided nowhere.
    const top = later.reduce((a, b) => compareBallots(a, b) >= 0 ? a : b)
    return possible(top.id) ? { kind: 'keep', id: top.id } : { kind: 'free' }
  }
  const candidates = [...new Set(votes.map(v => v.id))].filter(possible)
  if (candidates.length === 0) return { kind: 'free' }
  if (candidates.length === 1) return { kind: 'keep', id: candidates[0] as string }
  return { kind: 'unsure' }
}
