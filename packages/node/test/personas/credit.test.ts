/**
 * Transferable credit (issue 15) on G Maid-Managers in one process: every node is in every close
 * group, so each is both a payer's and a recipient's Maid-Manager, as members of two groups are.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  accountRecordSchema, bytesToHex, chargeOf, encodeMessage, encodeWith, forwardOf, newMutableData, quorumOf, randomXorName, sha3_256, xorNameEquals, xorNameToHex,
  type AccountRecord, type Request, type RequestOf, type WireMessage, type WireReply, type XorName
} from '@safemesh/protocol'
import { answerOf, inProcessGroup, messageId, newClient, openingOf, sendToAccountGroup, type Client, type InProcessGroup, type Wire } from './in-process-group.js'

const ALLOWANCE = 10
const G = 8
const Q = quorumOf(G)

let group: InProcessGroup
afterEach(async () => { await group.close() })

async function start (wire?: Wire): Promise<void> {
  group = await inProcessGroup({ params: { accountAllowance: ALLOWANCE, groupSize: G }, ...(wire != null ? { wire } : {}) })
}

const show = (a: unknown): string => JSON.stringify(a, (_k, v: unknown) => v instanceof Uint8Array ? bytesToHex(v) : v)

/** Every Maid-Manager's answer, which must be one and the same: returned. */
async function agreed (client: Client, request: Request): Promise<WireReply | string> {
  const answers = await sendToAccountGroup(group, client, request)
  expect(new Set(answers.map(show)).size, show(answers)).toBe(1)
  return answers[0] as WireReply | string
}

async function open (): Promise<Client> {
  const client = await newClient()
  expect(await agreed(client, openingOf(client))).toEqual({ type: 'PutMData' })
  return client
}

function transfer (from: Client, to: XorName, amount: number, id = messageId(), memo?: XorName): RequestOf<'TransferCredit'> {
  return { type: 'TransferCredit', account: from.account, requester: from.owner, messageId: id, to, amount, ...(memo != null ? { memo } : {}) }
}

/** Each member's record of `account`, encoded: identical records encode alike. */
async function records (account: XorName): Promise<string[]> {
  return await Promise.all(group.nodes.map(async n => {
    const record = await n.personas.maidManager.accounts.get(account)
    return record == null ? '-' : bytesToHex(encodeWith(accountRecordSchema, record))
  }))
}

async function recordAt (index: number, account: XorName): Promise<AccountRecord | undefined> {
  return await (group.nodes[index] as (typeof group.nodes)[number]).personas.maidManager.accounts.get(account)
}

/** allowance + received − sent − done, as member `index` keeps it. */
async function balanceAt (index: number, account: XorName): Promise<number> {
  const r = await recordAt(index, account)
  if (r == null) return Number.NaN
  return ALLOWANCE + (r.creditsReceived ?? 0) - (r.creditsSent ?? 0) - r.mutationsDone
}

/** Waits (bounded) until every member keeps the same record of each account: a word may still be on its way. */
async function converged (...accounts: XorName[]): Promise<void> {
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline) {
    const all = await Promise.all(accounts.map(async a => new Set(await records(a)).size))
    if (all.every(n => n === 1)) return
    await sleep(20)
  }
  for (const a of accounts) expect(new Set(await records(a)).size, `members' records of ${xorNameToHex(a)}`).toBe(1)
}

async function info (client: Client): Promise<WireReply | string> {
  return await agreed(client, { type: 'GetAccountInfo', account: client.account, requester: client.owner })
}

async function total (...clients: Client[]): Promise<number> {
  let sum = 0
  for (const c of clients) sum += await balanceAt(0, c.account)
  return sum
}

/** Delivers `message` from `from` to `to`, giving up on the answer after `ms` (a ballot short of quorum waits long). */
async function deliverBriefly (from: (typeof group.nodes)[number], to: (typeof group.nodes)[number], message: WireMessage, ms = 300): Promise<string> {
  try {
    await to.dispatcher.handle(encodeMessage(message), { from: from.peer, signal: AbortSignal.timeout(ms) })
    return 'answered'
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message
  }
}

describe('transferable credit at the Maid-Managers (issue 15)', () => {
  it('moves exactly the amount, no op fee: credited once at the recipient\'s group, debited once at the payer\'s, every member alike', async () => {
    await start()
    const payer = await open()
    const payee = await open()
    const before = await total(payer, payee)
    const memo = randomXorName()
    const request = transfer(payer, payee.account, 4, messageId(), memo)
    expect(await agreed(payer, request)).toEqual({ type: 'TransferCredit' })
    await converged(payer.account, payee.account)
    expect(await info(payer)).toEqual({ type: 'GetAccountInfo', mutationsDone: 1, mutationsAvailable: ALLOWANCE - 1 - 4, creditsReceived: 0, creditsSent: 4 })
    expect(await info(payee)).toEqual({ type: 'GetAccountInfo', mutationsDone: 1, mutationsAvailable: ALLOWANCE - 1 + 4, creditsReceived: 4, creditsSent: 0 })
    expect(await total(payer, payee)).toBe(before)

    // The payee's Maid-Managers confirm the payment to a node that asks, with its memo.
    const ask = { type: 'GetPayment' as const, payee: payee.account, payer: payer.account, messageId: request.messageId }
    for (const node of group.nodes) {
      expect(await answerOf(group.deliver(group.nodes[1]!.peer, node, ask))).toEqual({ type: 'Payment', amount: 4, memo })
      expect(await answerOf(group.deliver(group.nodes[1]!.peer, node, { ...ask, messageId: messageId() }))).toBe('NoSuchData')
      expect(await answerOf(group.deliver(group.nodes[1]!.peer, node, { ...ask, payer: payee.account }))).toBe('NoSuchData')
    }

    // The credit is spendable: the payee can now do more than its allowance.
    expect(await agreed(payee, transfer(payee, payer.account, ALLOWANCE - 1 + 4))).toEqual({ type: 'TransferCredit' })
    await converged(payer.account, payee.account)
    expect(await total(payer, payee)).toBe(before)
    expect(await agreed(payee, transfer(payee, payer.account, 1))).toBe('LowBalance')
  })

  it('never pays twice: a retried transfer, after it settled and while it runs, is credited and debited once', async () => {
    await start()
    const payer = await open()
    const payee = await open()
    const request = transfer(payer, payee.account, 3)
    const [first, second] = await Promise.all([agreed(payer, request), agreed(payer, request)])
    expect(first).toEqual({ type: 'TransferCredit' })
    expect(second).toEqual({ type: 'TransferCredit' })
    expect(await agreed(payer, request)).toEqual({ type: 'TransferCredit' })
    await converged(payer.account, payee.account)
    expect(await info(payer)).toMatchObject({ creditsSent: 3, mutationsDone: 1 })
    expect(await info(payee)).toMatchObject({ creditsReceived: 3 })
    // The same message id for another transfer is refused, and moves nothing.
    expect(await agreed(payer, { ...request, amount: 2 })).toBe('InvalidOperation')
    expect(await info(payer)).toMatchObject({ creditsSent: 3 })
  })

  it('refuses a transfer beyond the balance with LowBalance and moves nothing; of two at once that each take it all, one at most moves', async () => {
    await start()
    const payer = await open()
    const payee = await open()
    const third = await open()
    const before = await total(payer, payee, third)
    expect(await agreed(payer, transfer(payer, payee.account, ALLOWANCE))).toBe('LowBalance')
    expect(await info(payer)).toMatchObject({ creditsSent: 0, mutationsAvailable: ALLOWANCE - 1 })
    expect(await info(payee)).toMatchObject({ creditsReceived: 0 })

    const all = ALLOWANCE - 1
    const [a, b] = await Promise.all([
      sendToAccountGroup(group, payer, transfer(payer, payee.account, all)),
      sendToAccountGroup(group, payer, transfer(payer, third.account, all))
    ])
    const succeeded = [a, b].filter(answers => answers.filter(x => typeof x !== 'string').length >= Q).length
    expect(succeeded, show([a, b])).toBeLessThanOrEqual(1)
    // Sent to every member in the same order, the first takes the balance and the second is refused.
    expect([...a, ...b].filter(x => x === 'LowBalance').length).toBeGreaterThanOrEqual(Q)
    await converged(payer.account, payee.account, third.account)
    const sent = (await recordAt(0, payer.account))?.creditsSent ?? 0
    expect(sent).toBe(succeeded * all)
    expect(await balanceAt(0, payer.account)).toBeGreaterThanOrEqual(0)
    expect(await total(payer, payee, third)).toBe(before)
  })

  it('refuses a transfer to no account (NoSuchAccount, kept for retries) and lets the held credits go', async () => {
    await start()
    const payer = await open()
    const nobody = await newClient()
    const request = transfer(payer, nobody.account, ALLOWANCE - 1)
    expect(await agreed(payer, request)).toBe('NoSuchAccount')
    expect(await agreed(payer, request)).toBe('NoSuchAccount')
    expect(await info(payer)).toMatchObject({ creditsSent: 0, mutationsAvailable: ALLOWANCE - 1 })
    // Nothing is held by the refused one: the whole balance moves elsewhere.
    const payee = await open()
    expect(await agreed(payer, transfer(payer, payee.account, ALLOWANCE - 1))).toEqual({ type: 'TransferCredit' })
  })

  it('lets only the owner itself transfer and list credits (not its apps), only to another account', async () => {
    await start()
    const payer = await open()
    const payee = await open()
    const app = await newClient()
    expect(await agreed(payer, { type: 'InsAuthKey', account: payer.account, requester: payer.owner, messageId: messageId(), key: app.owner, version: 1 })).toEqual({ type: 'InsAuthKey' })
    const byApp = { ...transfer(payer, payee.account, 1), requester: app.owner }
    expect(await agreed(app, byApp)).toBe('AccessDenied')
    expect(await agreed(app, { type: 'ListCredits', account: payer.account, requester: app.owner })).toBe('AccessDenied')
    expect(await agreed(payee, { type: 'ListCredits', account: payer.account, requester: payee.owner })).toBe('AccessDenied')
    expect(await agreed(payer, transfer(payer, payer.account, 1))).toBe('InvalidRequest')
    expect(await agreed(payer, transfer(payer, payee.account, 0))).toBe('InvalidRequest')
    // An app key's binding is no account: it receives nothing.
    expect(await agreed(payer, transfer(payer, app.account, 1))).toBe('NoSuchAccount')
    expect(await info(payer)).toMatchObject({ creditsSent: 0, mutationsDone: 2 })
  })

  it('answers GetPayment to nodes only: a client cannot probe who paid whom', async () => {
    await start()
    const payer = await open()
    const payee = await open()
    const paid = transfer(payer, payee.account, 1)
    await agreed(payer, paid)
    const ask = { type: 'GetPayment' as const, payee: payee.account, payer: payer.account, messageId: paid.messageId }
    expect(await answerOf(group.deliver(payee.peer, group.nodes[0]!, ask))).toBe('AccessDenied')
    expect(await answerOf(group.deliver(group.nodes[1]!.peer, group.nodes[0]!, ask))).toEqual({ type: 'Payment', amount: 1 })
  })

  it('lists the credits received, oldest first, with payer, amount, memo and message id, the same at every member', async () => {
    await start()
    const payee = await open()
    const first = await open()
    const second = await open()
    const memo = randomXorName()
    const one = transfer(first, payee.account, 2, messageId(), memo)
    const two = transfer(second, payee.account, 5)
    await agreed(first, one)
    await agreed(second, two)
    expect(await agreed(payee, { type: 'ListCredits', account: payee.account, requester: payee.owner })).toEqual({
      type: 'ListCredits',
      credits: [
        { payer: first.account, amount: 2, memo, messageId: one.messageId },
        { payer: second.account, amount: 5, messageId: two.messageId }
      ]
    })
  })

  it('a payer\'s Maid-Manager that never got the request is charged on the executors\' word', async () => {
    await start()
    const payer = await open()
    const payee = await open()
    const [missed, ...reached] = group.nodes
    const request = transfer(payer, payee.account, 6)
    const answers = await Promise.all(reached.map(async node => await answerOf(group.deliver(payer.peer, node, request))))
    expect(answers).toEqual(Array(G - 1).fill({ type: 'TransferCredit' }))
    await converged(payer.account, payee.account)
    expect((await missed!.personas.maidManager.accounts.get(payer.account))?.creditsSent).toBe(6)
    // Its retry there is its first outcome, not a second payment.
    expect(await answerOf(group.deliver(payer.peer, missed!, request))).toEqual({ type: 'TransferCredit' })
    await converged(payer.account, payee.account)
    expect(await info(payee)).toMatchObject({ creditsReceived: 6 })
  })

  it('a recipient\'s Maid-Manager that missed the forwards learns the credit from Q members (anti-entropy, hand-over)', async () => {
    // Set once both accounts are open: forwards of the payee's transfers never reach `deaf`.
    const cut: { deaf?: (typeof group.nodes)[number], payee?: XorName } = {}
    await start((_from, to, message) => !(message.type === 'Forward' && to === cut.deaf && cut.payee != null && xorNameEquals(message.executor, cut.payee)))
    const payer = await open()
    const payee = await open()
    cut.deaf = group.nodes[3]
    cut.payee = payee.account
    const deaf = cut.deaf
    const paid = transfer(payer, payee.account, 5)
    expect(await agreed(payer, paid)).toEqual({ type: 'TransferCredit' })
    expect((await deaf!.personas.maidManager.accounts.get(payee.account))?.creditsReceived).toBeUndefined()
    // Another member's holdings show more progress, so the deaf one wants the account …
    const progress = 1 + 5
    const wants = await answerOf(group.deliver(group.nodes[0]!.peer, deaf!, { type: 'Holdings', chunks: [], mdata: [], accounts: [{ account: payee.account, mutationsDone: progress }] }))
    expect(wants).toMatchObject({ type: 'Wants', accounts: [payee.account] })
    // … and takes the credit on Q members' word.
    expect(await deaf!.personas.maidManager.handOver.verify(payee.account)).toBe('adopted')
    await converged(payee.account)
    expect(await answerOf(group.deliver(group.nodes[0]!.peer, deaf!, { type: 'GetPayment', payee: payee.account, payer: payer.account, messageId: paid.messageId }))).toEqual({ type: 'Payment', amount: 5 })
    expect(await deaf!.personas.maidManager.handOver.verify(payee.account)).toBe('current')
  })

  it('hands an account over to a new member with its credits, sent and received, on Q members\' word', async () => {
    await start()
    const payer = await open()
    const payee = await open()
    const request = transfer(payer, payee.account, 3, messageId(), randomXorName())
    await agreed(payer, request)
    expect(await agreed(payer, { type: 'PutMData', account: payer.account, requester: payer.owner, messageId: messageId(), data: newMutableData({ name: randomXorName(), tag: 20_000, owners: [payer.owner] }) })).toEqual({ type: 'PutMData' })
    await converged(payer.account, payee.account)
    const fresh = group.nodes[5]!
    // A new member holds nothing of either account.
    const store = fresh.store
    const wipe: Array<{ section: 'account' | 'message' | 'credit', key: string }> = []
    for (const a of [payer.account, payee.account]) {
      wipe.push({ section: 'account', key: xorNameToHex(a) })
      for await (const [key] of store.entries('message', `${xorNameToHex(a)}/`)) wipe.push({ section: 'message', key })
      for await (const [key] of store.entries('credit', `${xorNameToHex(a)}/`)) wipe.push({ section: 'credit', key })
    }
    await store.deleteAll(wipe)
    group.restart()
    const newcomer = group.nodes[5]!
    expect(await newcomer.personas.maidManager.accounts.get(payee.account)).toBeUndefined()
    expect(await newcomer.personas.maidManager.handOver.verify(payer.account)).toBe('adopted')
    expect(await newcomer.personas.maidManager.handOver.verify(payee.account)).toBe('adopted')
    await converged(payer.account, payee.account)
    expect(await answerOf(group.deliver(group.nodes[0]!.peer, newcomer, { type: 'GetPayment', payee: payee.account, payer: payer.account, messageId: request.messageId })))
      .toEqual({ type: 'Payment', amount: 3, memo: request.memo })
  })

  it('holds an unsettled transfer\'s credits past a timeout and a restart, so a second one cannot spend them too', async () => {
    // Forwards to the payee's group are lost until `cut.on` is false.
    const cut: { on: boolean, payee?: XorName } = { on: true }
    await start((_from, _to, message) => !(cut.on && message.type === 'Forward' && cut.payee != null && xorNameEquals(message.executor, cut.payee)))
    const payer = await open()
    const payee = await open()
    cut.payee = payee.account
    const first = transfer(payer, payee.account, 6)
    const lost = await agreed(payer, first)
    expect(['Timeout', 'NoQuorum']).toContain(lost)
    expect(await agreed(payer, transfer(payer, payee.account, 6))).toBe('LowBalance')
    group.restart()
    expect(await agreed(payer, transfer(payer, payee.account, 6))).toBe('LowBalance')
    cut.on = false
    expect(await agreed(payer, first)).toEqual({ type: 'TransferCredit' })
    await converged(payer.account, payee.account)
    expect(await info(payer)).toMatchObject({ creditsSent: 6, mutationsAvailable: ALLOWANCE - 1 - 6 })
    expect(await info(payee)).toMatchObject({ creditsReceived: 6 })
    expect(await agreed(payer, transfer(payer, payee.account, 4))).toBe('LowBalance')
    expect(await agreed(payer, transfer(payer, payee.account, 3))).toEqual({ type: 'TransferCredit' })
  })

  describe('Q − 1 lying members move nothing', () => {
    it('a forged forward from Q − 1 members credits no one', async () => {
      await start()
      const victim = await open()
      const thief = await open()
      const forged = transfer(victim, thief.account, 9)
      const forward = { type: 'Forward' as const, ...forwardOf(forged, victim.owner) }
      const [target, ...liars] = group.nodes
      const outcomes = await Promise.all(liars.slice(0, Q - 1).map(async liar => await deliverBriefly(liar, target!, forward)))
      expect(outcomes.every(o => o !== 'answered')).toBe(true)
      expect((await target!.personas.maidManager.accounts.get(thief.account))?.creditsReceived).toBeUndefined()
      expect(await target!.personas.maidManager.accounts.credit(thief.account, victim.account, forged.messageId)).toBeUndefined()
    })

    it('lying Applied words (a debit never executed, or another amount) from Q − 1 members debit no one', async () => {
      await start()
      const victim = await open()
      const payee = await open()
      const [target, ...liars] = group.nodes
      const charge = chargeOf(transfer(victim, payee.account, 7), sha3_256(new Uint8Array([1])))
      for (const liar of liars.slice(0, Q - 1)) {
        expect(await answerOf(group.deliver(liar.peer, target!, { type: 'Applied', charge }))).toEqual({ type: 'Ack' })
      }
      // The Q-th word names another amount: another charge, still Q − 1 for each.
      expect(await answerOf(group.deliver(liars[Q - 1]!.peer, target!, { type: 'Applied', charge: { ...charge, amount: 8 } }))).toEqual({ type: 'Ack' })
      expect((await target!.personas.maidManager.accounts.get(victim.account))?.creditsSent).toBeUndefined()
      // A charge whose amount does not fit its type is refused outright.
      const op = chargeOf({ type: 'PutIData', account: victim.account, requester: victim.owner, messageId: messageId(), name: randomXorName(), size: 1 }, sha3_256(new Uint8Array([2])))
      expect(await answerOf(group.deliver(liars[0]!.peer, target!, { type: 'Applied', charge: { ...op, amount: 5 } }))).toBe('InvalidRequest')
      const { amount: _amount, ...noAmount } = charge
      expect(await answerOf(group.deliver(liars[0]!.peer, target!, { type: 'Applied', charge: noAmount }))).toBe('InvalidRequest')
    })

    it('a hand-over takes no credit that only Q − 1 members list', async () => {
      await start()
      const payer = await open()
      const payee = await open()
      const real = transfer(payer, payee.account, 2)
      await agreed(payer, real)
      await converged(payee.account)
      const [honest, ...others] = group.nodes
      const liars = others.slice(0, Q - 1)
      const fake = { payer: payer.account, messageId: messageId(), amount: 1000 }
      for (const liar of liars) {
        const accounts = liar.personas.maidManager.accounts
        const record = await accounts.get(payee.account) as AccountRecord
        await accounts.receive(payee.account, [fake], { ...record, creditsReceived: (record.creditsReceived ?? 0) + 1000 })
      }
      expect(await honest!.personas.maidManager.handOver.verify(payee.account)).toBe('current')
      expect((await honest!.personas.maidManager.accounts.get(payee.account))?.creditsReceived).toBe(2)
      expect(await honest!.personas.maidManager.accounts.credit(payee.account, payer.account, fake.messageId)).toBeUndefined()
    })
  })
})
