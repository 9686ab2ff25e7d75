import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { compareBallots, recoverStep, type Ballot } from '../src/group/recovery.js'
import { quorumOf } from '../src/params.js'

type Op =
  | { kind: 'propose', leader: number, id: number }
  | { kind: 'vote', member: number, proposal: number }
  | { kind: 'takeOver', leader: number, round: number, answering: number[], id: number }

const op = (g: number): fc.Arbitrary<Op> => fc.oneof(
  fc.record({ kind: fc.constant('propose' as const), leader: fc.nat({ max: g - 1 }), id: fc.nat({ max: 3 }) }),
  fc.record({ kind: fc.constant('vote' as const), member: fc.nat({ max: g - 1 }), proposal: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant('vote' as const), member: fc.nat({ max: g - 1 }), proposal: fc.nat({ max: 40 }) }),
  fc.record({
    kind: fc.constant('takeOver' as const),
    leader: fc.nat({ max: g - 1 }),
    round: fc.integer({ min: 1, max: 4 }),
    answering: fc.uniqueArray(fc.nat({ max: g - 1 }), { maxLength: g }),
    id: fc.nat({ max: 3 })
  })
)

const ballotKey = (b: Ballot): string => `${b.round}/${b.sequencer[0] as number}`

/**
 * One step of one MutableData, played out by any interleaving of sequencers proposing in round 0,
 * members voting as the sequencer does (round 0 once, a higher ballot over a lower one, never below
 * a promise) and sequencers taking over in higher rounds from whichever members answer.
 */
function play (g: number, ops: Op[]): Set<number> {
  const q = quorumOf(g)
  const promised: Array<Ballot | undefined> = Array(g).fill(undefined)
  const votes: Array<{ ballot: Ballot, id: number } | undefined> = Array(g).fill(undefined)
  const proposals: Array<{ ballot: Ballot, id: number }> = []
  const used = new Set<string>()
  const tally = new Map<string, Set<number>>()
  const decided = new Set<number>()
  for (const o of ops) {
    if (o.kind === 'propose') {
      const ballot = { round: 0, sequencer: Uint8Array.of(o.leader) }
      if (used.has(ballotKey(ballot))) continue
      used.add(ballotKey(ballot))
      proposals.push({ ballot, id: o.id })
    } else if (o.kind === 'vote') {
      const p = proposals[o.proposal % Math.max(1, proposals.length)]
      if (p == null) continue
      const mine = votes[o.member]
      const floor = promised[o.member]
      if (floor != null && compareBallots(p.ballot, floor) < 0) continue
      if (mine != null && (p.ballot.round === 0 || compareBallots(p.ballot, mine.ballot) <= 0)) continue
      votes[o.member] = p
      if (p.ballot.round > 0 && (floor == null || compareBallots(p.ballot, floor) > 0)) promised[o.member] = p.ballot
      const key = `${ballotKey(p.ballot)}/${p.id}`
      const voters = tally.get(key) ?? new Set<number>()
      voters.add(o.member)
      tally.set(key, voters)
      if (voters.size >= q) decided.add(p.id)
    } else {
      const ballot = { round: o.round, sequencer: Uint8Array.of(o.leader) }
      if (used.has(ballotKey(ballot))) continue
      const granted = o.answering.filter(m => promised[m] == null || compareBallots(ballot, promised[m]) > 0)
      if (granted.length < q) continue
      for (const m of granted) promised[m] = ballot
      const reported = granted.flatMap(m => {
        const v = votes[m]
        return v == null ? [] : [{ ...v.ballot, id: String(v.id) }]
      })
      const recovery = recoverStep(reported, granted.length, g, q)
      if (recovery.kind === 'unsure') continue
      used.add(ballotKey(ballot))
      proposals.push({ ballot, id: recovery.kind === 'keep' ? Number(recovery.id) : o.id })
    }
  }
  return decided
}

describe('recoverStep: a round that takes a step over never undoes what a quorum decided', () => {
  it('lets at most one mutation be decided at a step, whatever the interleaving of proposals, votes and take-overs', () => {
    fc.assert(fc.property(fc.integer({ min: 3, max: 10 }).chain(g => fc.tuple(fc.constant(g), fc.array(op(g), { maxLength: 120 }))), ([g, ops]) => {
      expect(play(g, ops).size).toBeLessThanOrEqual(1)
    }), { numRuns: 2000 })
  })

  it('frees a step no quorum can have voted for, keeps one that may be decided, and asks again when two might be', () => {
    const k = (n: number): Uint8Array => Uint8Array.of(n)
    // All 8 answered; 4 votes for x in round 0: x was decided nowhere.
    expect(recoverStep(Array.from({ length: 4 }, () => ({ round: 0, sequencer: k(1), id: 'x' })), 8, 8, 5)).toEqual({ kind: 'free' })
    // 5 answered, 2 of them voted x: with the 3 silent ones x may have 5 votes.
    expect(recoverStep([{ round: 0, sequencer: k(1), id: 'x' }, { round: 0, sequencer: k(1), id: 'x' }], 5, 8, 5)).toEqual({ kind: 'keep', id: 'x' })
    // 5 answered: 2 voted x under one sequencer, 3 voted y under another; either may be decided.
    const split = [...Array(2).fill({ round: 0, sequencer: k(1), id: 'x' }), ...Array(3).fill({ round: 0, sequencer: k(2), id: 'y' })]
    expect(recoverStep(split, 5, 8, 5)).toEqual({ kind: 'unsure' })
    // A later round's proposal wins over round 0.
    expect(recoverStep([...split, { round: 2, sequencer: k(3), id: 'y' }], 6, 8, 5)).toEqual({ kind: 'keep', id: 'y' })
    expect(recoverStep([], 5, 8, 5)).toEqual({ kind: 'free' })
  })

  it('orders ballots by round, then by sequencer key', () => {
    expect(compareBallots({ round: 1, sequencer: Uint8Array.of(9) }, { round: 2, sequencer: Uint8Array.of(0) })).toBeLessThan(0)
    expect(compareBallots({ round: 2, sequencer: Uint8Array.of(1) }, { round: 2, sequencer: Uint8Array.of(0) })).toBeGreaterThan(0)
    expect(compareBallots({ round: 2, sequencer: Uint8Array.of(1) }, { round: 2, sequencer: Uint8Array.of(1) })).toBe(0)
  })
})
