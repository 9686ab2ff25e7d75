import { describe, expect, it } from 'vitest'
import { SenderQuotas } from '../src/messaging/sender-quotas.js'

describe('SenderQuotas', () => {
  it('slows a sender over its bytes in flight until they are served, and only that sender', () => {
    const quotas = new SenderQuotas({ maxInflightBytes: 1000, requestsPerSecond: 100 })
    quotas.take('greedy', 800)
    quotas.take('greedy', 800)
    quotas.take('honest', 800)
    expect(quotas.isOver('greedy')).toBe(true)
    expect(quotas.isOver('honest')).toBe(false)
    let resumed = false
    quotas.whenUnder('greedy', () => { resumed = true })
    expect(resumed).toBe(false)
    quotas.release('greedy', 800)
    expect(resumed).toBe(true)
  })

  it('slows a sender over its request rate until its bucket refills', () => {
    let now = 0
    const quotas = new SenderQuotas({ requestsPerSecond: 10 }, () => now)
    for (let i = 0; i < 11; i++) { quotas.take('fast', 0); quotas.release('fast', 0) }
    expect(quotas.isOver('fast')).toBe(true)
    now += 100
    expect(quotas.isOver('fast')).toBe(false)
  })

  it('says to disconnect a sender past its malformed requests of a minute, and forgives old ones', () => {
    let now = 0
    const quotas = new SenderQuotas({ maxMalformedPerMinute: 3 }, () => now)
    expect([1, 2, 3].map(() => quotas.noteMalformed('noisy'))).toEqual([false, false, false])
    now += 61_000
    expect(quotas.noteMalformed('noisy')).toBe(false)
    expect(quotas.noteMalformed('noisy')).toBe(false)
    expect(quotas.noteMalformed('noisy')).toBe(false)
    expect(quotas.noteMalformed('noisy')).toBe(true)
  })

  it('keeps no record of idle senders once thousands have come and gone', () => {
    const quotas = new SenderQuotas()
    for (let i = 0; i < 10_000; i++) { quotas.take(`peer-${i}`, 10); quotas.release(`peer-${i}`, 10) }
    expect(quotas.size).toBeLessThanOrEqual(4096)
  })
})
