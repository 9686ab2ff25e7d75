import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  accountBalance, accountNameOf, accountProgress, assertChargeShape, assertTransfer, availableCredit, chargedRecord, costOf, creditedRecord,
  executorNameOf, openedAccount, withCredits
} from '../src/account.js'
import { encodeWith } from '../src/schema.js'
import { accountRecordSchema, encodeReply, MAX_CHARGED_IDS, MAX_HANDED_CREDITS, type AccountRecord, type Mutation } from '../src/messages/node-messages.js'
import { chargeOf } from '../src/messages/forwarding.js'
import { DEFAULT_NETWORK_PARAMS } from '../src/params.js'
import { expectSafeMeshError, hex } from './helpers.js'

const ALLOWANCE = 1000
const key = (i: number): Uint8Array => new Uint8Array(32).fill(i)
const owner = key(1)
const account = accountNameOf(owner)
const other = accountNameOf(key(2))
const digest = new Uint8Array(32).fill(3)
const id = (i: number): Uint8Array => { const b = new Uint8Array(32); new DataView(b.buffer).setUint32(0, i); return b }

function transfer (amount: number, to: Uint8Array = other, messageId = id(0), from = account, requester = owner): Extract<Mutation, { type: 'TransferCredit' }> {
  return { type: 'TransferCredit', account: from, requester, messageId, to, amount }
}

describe('transferable credit: the pure rules', () => {
  it('executes a transfer at the recipient\'s group, and charges exactly its amount, no op', () => {
    const t = transfer(7)
    expect(executorNameOf(t)).toEqual(other)
    const charge = chargeOf(t, digest)
    expect(charge.amount).toBe(7)
    expect(costOf(t)).toBe(7)
    const record = chargedRecord(openedAccount(owner), charge)
    expect(record.mutationsDone).toBe(1)
    expect(record.creditsSent).toBe(7)
    expect(accountBalance(record, ALLOWANCE)).toBe(ALLOWANCE - 1 - 7)
    // An op still costs one and carries no amount.
    const op = chargeOf({ type: 'PutIData', account, requester: owner, messageId: id(1), name: key(9), size: 1 }, digest)
    expect(op.amount).toBeUndefined()
    expect(chargedRecord(record, op)).toMatchObject({ mutationsDone: 2, creditsSent: 7 })
  })

  it('refuses a charge whose amount does not match its type: a liar cannot debit by changing one field', () => {
    const charge = chargeOf(transfer(3), digest)
    expectSafeMeshError(() => { assertChargeShape({ ...charge, amount: 0 }) }, 'InvalidRequest')
    const { amount: _amount, ...noAmount } = charge
    expectSafeMeshError(() => chargedRecord(openedAccount(owner), noAmount), 'InvalidRequest')
    const op = chargeOf({ type: 'PutIData', account, requester: owner, messageId: id(1), name: key(9), size: 1 }, digest)
    expectSafeMeshError(() => chargedRecord(openedAccount(owner), { ...op, amount: 5 }), 'InvalidRequest')
  })

  it('lets only the owner itself move at least one credit to another account', () => {
    assertTransfer(transfer(1), owner)
    expectSafeMeshError(() => { assertTransfer(transfer(1, other, id(0), account, key(5)), owner) }, 'AccessDenied')
    expectSafeMeshError(() => { assertTransfer(transfer(0), owner) }, 'InvalidRequest')
    expectSafeMeshError(() => { assertTransfer(transfer(1, account), owner) }, 'InvalidRequest')
  })

  it('computes what is available as allowance + received − sent − done, never below 0', () => {
    const record = creditedRecord(openedAccount(owner), 5)
    expect(availableCredit(record, 10)).toBe(10 + 5 - 1)
    const overdrawn: AccountRecord = { ...record, mutationsDone: 20 }
    expect(accountBalance(overdrawn, 10)).toBe(-5)
    expect(availableCredit(overdrawn, 10)).toBe(0)
  })

  it('keeps a record without credits byte-identical to one from before credits existed', () => {
    const plain = openedAccount(owner)
    expect(hex(encodeWith(accountRecordSchema, withCredits(plain, 0, 0)))).toBe(hex(encodeWith(accountRecordSchema, plain)))
    expect(withCredits(plain, 0, 4)).toEqual({ ...plain, creditsSent: 4 })
    expect(withCredits({ ...plain, creditsReceived: 3 }, 0, 0)).toEqual(plain)
  })

  it('property: transfers never change the sum of balances, and any order of the same charges and credits gives identical records', () => {
    const accounts = [1, 2, 3, 4].map(i => key(i))
    const event = fc.oneof(
      fc.record({ kind: fc.constant('op' as const), who: fc.nat({ max: 3 }) }),
      fc.record({ kind: fc.constant('transfer' as const), who: fc.nat({ max: 3 }), to: fc.nat({ max: 3 }), amount: fc.integer({ min: 1, max: 50 }) })
    )
    fc.assert(fc.property(fc.array(event, { maxLength: 40 }), fc.integer(), (events, seed) => {
      // Each event becomes one change to one record: a payer's charge, a recipient's credit, or an op.
      const changes: Array<{ who: number, apply: (r: AccountRecord) => AccountRecord }> = []
      let ops = 0
      events.forEach((e, i) => {
        const from = accountNameOf(accounts[e.who] as Uint8Array)
        if (e.kind === 'op') {
          ops++
          changes.push({ who: e.who, apply: r => chargedRecord(r, chargeOf({ type: 'PutIData', account: from, requester: accounts[e.who] as Uint8Array, messageId: id(i), name: key(9), size: 1 }, digest)) })
          return
        }
        if (e.to === e.who) return
        const t = transfer(e.amount, accountNameOf(accounts[e.to] as Uint8Array), id(i), from, accounts[e.who])
        changes.push({ who: e.who, apply: r => chargedRecord(r, chargeOf(t, digest)) })
        changes.push({ who: e.to, apply: r => creditedRecord(r, e.amount) })
      })
      const run = (order: typeof changes): AccountRecord[] => {
        const records = accounts.map(k => openedAccount(k))
        for (const c of order) records[c.who] = c.apply(records[c.who] as AccountRecord)
        return records
      }
      const inOrder = run(changes)
      const total = inOrder.reduce((sum, r) => sum + accountBalance(r, ALLOWANCE), 0)
      expect(total).toBe(accounts.length * (ALLOWANCE - 1) - ops)
      // Another member may have applied the very same changes in another order.
      const shuffled = [...changes].sort((a, b) => ((changes.indexOf(a) * 7919 + seed) % 101) - ((changes.indexOf(b) * 7919 + seed) % 101))
      expect(run(shuffled).map(r => hex(encodeWith(accountRecordSchema, r)))).toEqual(inOrder.map(r => hex(encodeWith(accountRecordSchema, r))))
    }), { numRuns: 300 })
  })

  it('property: every op, credit sent and credit received moves an account\'s progress forward', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: -1000, max: -1 })), { maxLength: 30 }), (steps) => {
      let record = openedAccount(owner)
      steps.forEach((step, i) => {
        const before = accountProgress(record)
        record = step === 0
          ? chargedRecord(record, chargeOf({ type: 'PutIData', account, requester: owner, messageId: id(i), name: key(9), size: 1 }, digest))
          : step > 0 ? creditedRecord(record, step) : chargedRecord(record, chargeOf(transfer(-step, other, id(i)), digest))
        expect(accountProgress(record)).toBeGreaterThan(before)
      })
    }))
  })

  it('fits the fullest account hand-over in one message', () => {
    const reply = encodeReply({
      type: 'Account',
      record: { ...openedAccount(owner), mutationsDone: Number.MAX_SAFE_INTEGER, authKeys: [], creditsReceived: Number.MAX_SAFE_INTEGER, creditsSent: Number.MAX_SAFE_INTEGER },
      charged: Array.from({ length: MAX_CHARGED_IDS }, (_, i) => id(i)),
      sent: Array.from({ length: MAX_HANDED_CREDITS }, (_, i) => ({ messageId: id(i), amount: Number.MAX_SAFE_INTEGER })),
      credits: Array.from({ length: MAX_HANDED_CREDITS }, (_, i) => ({ payer: key(7), messageId: id(i), amount: Number.MAX_SAFE_INTEGER, memo: key(8) }))
    })
    expect(reply.byteLength).toBeLessThanOrEqual(DEFAULT_NETWORK_PARAMS.maxMessageSize)
  })
})
