import { describe, expect, it } from 'vitest'
import { PAID_READ_WINDOW_MS, TYPE_TAG_SHARE_ENVELOPE, randomXorName } from '@safemesh/protocol'
import { PaymentsSeen, keyOf, type PaidRead } from '../src/personas/data-manager/payments-seen.js'

const T0 = 1_000_000

function paidRead (): PaidRead {
  return { reader: randomXorName(), name: randomXorName(), tag: TYPE_TAG_SHARE_ENVELOPE, payment: randomXorName() }
}

/** A confirmation that counts how often the payee's Maid-Managers were asked. */
function payee (confirms: boolean): { asked: number, confirm: () => Promise<boolean> } {
  const state = { asked: 0, confirm: async () => { state.asked++; return confirms } }
  return state
}

describe('the paid-read window of a Data-Manager', () => {
  it('asks the payee once, then serves the same read unasked for the window, and refuses it after', async () => {
    const seen = new PaymentsSeen()
    const read = paidRead()
    const yes = payee(true)
    let now = T0
    const clock = (): number => now
    expect(await seen.pays(read, yes.confirm, clock)).toBe(true)
    now = T0 + PAID_READ_WINDOW_MS - 1
    expect(await seen.pays(read, yes.confirm, clock)).toBe(true)
    expect(yes.asked).toBe(1)
    now = T0 + PAID_READ_WINDOW_MS
    await expect(seen.pays(read, yes.confirm, clock)).rejects.toMatchObject({ code: 'AccessDenied', message: 'this payment was used; pay again' })
    expect(yes.asked).toBe(1)
  })

  it('records nothing for a payment the payee does not confirm: it is asked again next time', async () => {
    const seen = new PaymentsSeen()
    const read = paidRead()
    const no = payee(false)
    expect(await seen.pays(read, no.confirm, () => T0)).toBe(false)
    expect(await seen.pays(read, no.confirm, () => T0 + 1)).toBe(false)
    expect(no.asked).toBe(2)
    expect(seen.size).toBe(0)
    // Once the credit is there (a transfer still settling), the same payment serves.
    expect(await seen.pays(read, payee(true).confirm, () => T0 + 2)).toBe(true)
  })

  it('keeps one reader\'s payment for one envelope: another reader, envelope or payment is a new use', async () => {
    const seen = new PaymentsSeen()
    const read = paidRead()
    await seen.pays(read, payee(true).confirm, () => T0)
    for (const other of [{ ...read, reader: randomXorName() }, { ...read, name: randomXorName() }, { ...read, payment: randomXorName() }]) {
      expect(seen.useOf(keyOf(other), T0)).toBe('unseen')
      const asked = payee(false)
      expect(await seen.pays(other, asked.confirm, () => T0)).toBe(false)
      expect(asked.asked).toBe(1)
    }
    expect(seen.useOf(keyOf(read), T0)).toBe('open')
  })

  it('keeps the first use of a payment confirmed twice at once', async () => {
    const seen = new PaymentsSeen(1000)
    const read = paidRead()
    const [a, b] = await Promise.all([seen.pays(read, payee(true).confirm, () => T0), seen.pays(read, payee(true).confirm, () => T0 + 500)])
    expect([a, b]).toEqual([true, true])
    expect(seen.useOf(keyOf(read), T0 + 999)).toBe('open')
    expect(seen.useOf(keyOf(read), T0 + 1000)).toBe('spent')
  })

  it('is bounded: past its capacity the oldest first uses are forgotten', () => {
    const seen = new PaymentsSeen(PAID_READ_WINDOW_MS, 3)
    for (let i = 0; i < 5; i++) seen.record(`k${i}`, T0 + i)
    expect(seen.size).toBe(3)
    expect(['k0', 'k1', 'k2', 'k3', 'k4'].map(k => seen.useOf(k, T0 + 10))).toEqual(['unseen', 'unseen', 'open', 'open', 'open'])
    seen.record('k2', T0 + 100)
    expect(seen.useOf('k2', T0 + PAID_READ_WINDOW_MS + 2)).toBe('spent')
  })
})
