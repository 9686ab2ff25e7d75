import { describe, expect, it } from 'vitest'
import { RefusalBudget } from '../src/personas/maid-manager/refusal-budget.js'

describe('RefusalBudget', () => {
  it('lets an account have `capacity` mutations refused, then makes it wait for the refill, and no other account', () => {
    let now = 0
    const budget = new RefusalBudget({ capacity: 3, refillMs: 1000 }, () => now)
    for (let i = 0; i < 3; i++) {
      expect(budget.waitFor('a')).toBe(0)
      budget.refused('a')
    }
    expect(budget.waitFor('a')).toBe(1000)
    expect(budget.waitFor('b')).toBe(0)
    now += 400
    expect(budget.waitFor('a')).toBe(600)
    now += 600
    expect(budget.waitFor('a')).toBe(0)
  })

  it('tracks a bounded number of accounts', () => {
    const budget = new RefusalBudget({ capacity: 2, refillMs: 1000, maxAccounts: 100 }, () => 0)
    for (let i = 0; i < 1000; i++) budget.refused(`account-${i}`)
    // The oldest were forgotten (a fresh budget); the newest still wait.
    expect(budget.waitFor('account-0')).toBe(0)
    budget.refused('account-999')
    expect(budget.waitFor('account-999')).toBe(1000)
  })
})
