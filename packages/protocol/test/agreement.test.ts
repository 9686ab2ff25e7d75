import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { QuorumTally, agreedState } from '../src/group/agreement.js'
import { quorumOf } from '../src/params.js'

const groupSizes = fc.integer({ min: 3, max: 16 })

describe('agreedState: a state counts when Q distinct members vouch for exactly it', () => {
  it('never lets Q − 1 liars win, whatever they and the honest members say', () => {
    fc.assert(fc.property(groupSizes, fc.array(fc.nat({ max: 4 }), { maxLength: 16 }), fc.nat({ max: 4 }), (g, honestStates, forged) => {
      const q = quorumOf(g)
      const honest = honestStates.slice(0, g - (q - 1)).map((state, i) => ({ voter: `honest-${i}`, state }))
      // The liars vouch for a state no honest member holds, and vouch twice each.
      const liars = Array.from({ length: q - 1 }, (_, i) => ({ voter: `liar-${i}`, state: 100 + forged }))
      const agreed = agreedState([...liars, ...honest, ...liars], String, q)
      expect(agreed === undefined || agreed < 100).toBe(true)
    }))
  })

  it('finds the state Q honest members share, with any liars among the answers', () => {
    fc.assert(fc.property(groupSizes, fc.nat({ max: 3 }), fc.boolean(), (g, state, liarsFirst) => {
      const q = quorumOf(g)
      const honest = Array.from({ length: q }, (_, i) => ({ voter: `honest-${i}`, state }))
      const liars = Array.from({ length: g - q }, (_, i) => ({ voter: `liar-${i}`, state: 50 + i }))
      expect(agreedState(liarsFirst ? [...liars, ...honest] : [...honest, ...liars], String, q)).toBe(state)
    }))
  })

  it('counts a voter once, for the first state it named', () => {
    const vouches = [{ voter: 'a', state: 1 }, { voter: 'a', state: 2 }, { voter: 'b', state: 2 }, { voter: 'a', state: 2 }]
    expect(agreedState(vouches, String, 2)).toBeUndefined()
    expect(agreedState([...vouches, { voter: 'c', state: 2 }], String, 2)).toBe(2)
  })
})

describe('QuorumTally', () => {
  it('reports an item exactly once, on the vote that makes Q distinct voters', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.nat({ max: 9 }), { maxLength: 40 }), (q, voters) => {
      const tally = new QuorumTally(q, 100)
      let reports = 0
      const distinct = new Set<number>()
      for (const voter of voters) {
        distinct.add(voter)
        const reached = tally.vote('item', String(voter))
        if (reached) {
          reports++
          expect(distinct.size).toBe(q)
        }
      }
      expect(reports).toBe(distinct.size >= q ? 1 : 0)
    }))
  })

  it('keeps at most `capacity` open items, forgetting the oldest', () => {
    const tally = new QuorumTally(2, 3)
    for (const item of ['a', 'b', 'c', 'd']) tally.vote(item, 'x')
    expect(tally.count('a')).toBe(0)
    expect(tally.count('d')).toBe(1)
    expect(tally.vote('d', 'y')).toBe(true)
    expect(tally.vote('d', 'z')).toBe(false)
    tally.forget('d')
    expect(tally.count('d')).toBe(0)
  })
})
