import { beforeAll, describe, expect, it } from 'vitest'
import { cryptoReady } from '@safemesh/crypto'
import { decodeReply, encodeReply, randomXorName, type WireMessage } from '@safemesh/protocol'
import type { SafeMeshClient } from '../src/index.js'
import { FakeNetwork, type Behaviour } from './support/fake-network.js'
import { accountClient, expectCode } from './support/helpers.js'

beforeAll(cryptoReady)

/** Answers `ListCredits` with the honest list in reverse, as a member that recorded concurrent credits in another order would. */
const reversed: Behaviour = async (message: WireMessage, honest) => {
  const bytes = await honest()
  if (message.type !== 'ListCredits') return bytes
  const reply = decodeReply(bytes)
  return reply.type === 'ListCredits' ? encodeReply({ type: 'ListCredits', credits: [...reply.credits].reverse() }) : bytes
}

describe('transferable credit in the client', () => {
  const network = new FakeNetwork({ accountAllowance: 50 })
  let payer: SafeMeshClient
  let payee: SafeMeshClient

  beforeAll(async () => {
    payer = (await accountClient(network)).client
    payee = (await accountClient(network)).client
  })

  it('sends the transfer under the message id it returns, and shows the credits in the account info', async () => {
    const memo = randomXorName()
    const { messageId } = await payer.transferCredit(payee.account as Uint8Array, 7, { memo })
    const sent = network.sent('TransferCredit')
    expect(new Set(sent.map(m => Buffer.from(m.message.messageId).toString('hex')))).toEqual(new Set([Buffer.from(messageId).toString('hex')]))
    expect(sent[0]?.message).toMatchObject({ to: payee.account, amount: 7, memo })
    expect(await payer.getAccountInfo()).toMatchObject({ creditsSent: 7, creditsReceived: 0 })
    const info = await payee.getAccountInfo()
    expect(info).toMatchObject({ creditsReceived: 7, creditsSent: 0 })
    expect(info.mutationsAvailable).toBe(50 - info.mutationsDone + 7)
  })

  it('refuses a non-whole or non-positive amount before sending anything', async () => {
    const before = network.sent('TransferCredit').length
    await expectCode(payer.transferCredit(payee.account as Uint8Array, 0), 'InvalidRequest')
    await expectCode(payer.transferCredit(payee.account as Uint8Array, 1.5), 'InvalidRequest')
    expect(network.sent('TransferCredit').length).toBe(before)
  })

  it('lists credits received; members listing the same credits in another order still agree', async () => {
    const second = await payer.transferCredit(payee.account as Uint8Array, 2)
    const group = network.closeGroup(payee.account as Uint8Array)
    for (const node of group.slice(0, 4)) node.behaviour = reversed
    try {
      const credits = await payee.listCredits()
      expect(credits.map(c => c.amount).sort()).toEqual([2, 7])
      expect(credits.find(c => c.amount === 2)?.messageId).toEqual(second.messageId)
    } finally {
      network.reset()
    }
  })

  it('never accepts a credit list fewer than Q members give', async () => {
    const group = network.closeGroup(payee.account as Uint8Array)
    const forged: Behaviour = async (message, honest) => message.type === 'ListCredits'
      ? encodeReply({ type: 'ListCredits', credits: [{ payer: randomXorName(), amount: 1000, messageId: randomXorName() }] })
      : await honest()
    for (const node of group.slice(0, 3)) node.behaviour = forged
    try {
      const credits = await payee.listCredits()
      expect(credits.map(c => c.amount).sort()).toEqual([2, 7])
      // Four liars and four honest members: no quorum either way.
      for (const node of group.slice(0, 4)) node.behaviour = forged
      await expectCode(payee.listCredits(), 'NoQuorum')
    } finally {
      network.reset()
    }
  })
})
