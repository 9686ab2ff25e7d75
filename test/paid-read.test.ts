/**
 * Issue 15, paid shares end to end: a priced read gate makes each access to a share envelope cost
 * its reader N credits paid to the sharer. The reader pays with `transferCredit` (memo: the
 * envelope's name) and reads with the payment's message id; the Data-Managers serve it once the
 * payee's Maid-Managers confirm that payment. Account info of both shows exactly N moved.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAccount, type AccountInfo, type ClientOptions, type SafeMeshClient } from '@safemesh/client'
import {
  READ_GATE_KEY, TYPE_TAG_SHARE_ENVELOPE, encodeReadGate, randomXorName, type XorName
} from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'
import { codeOf } from './support/error-code.js'

const NODES = 7
const G = 5
const ALLOWANCE = 100
const PRICE = 10
const TAG = TYPE_TAG_SHARE_ENVELOPE
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

function signingKeyOf (client: SafeMeshClient): Uint8Array {
  const key = client.publicKeys?.sign
  if (key === undefined) throw new Error('the client has no keys')
  return key
}

function accountOf (client: SafeMeshClient): XorName {
  const account = client.account
  if (account === undefined) throw new Error('the client has no account')
  return account
}

describe(`paid reads of a read-gated envelope on a ${NODES}-node testnet (G = ${G}, allowance ${ALLOWANCE}, price ${PRICE})`, () => {
  let testnet: Testnet
  const clients: SafeMeshClient[] = []
  let owner: SafeMeshClient
  let reader: SafeMeshClient
  /** Named in the gate, but left with fewer credits than the price. */
  let poor: SafeMeshClient
  /** Not named in the gate. */
  let stranger: SafeMeshClient

  beforeAll(async () => {
    testnet = await startTestnet(NODES, { groupSize: G, accountOps: ALLOWANCE })
    const options: ClientOptions = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt }, kdf: KDF }
    const account = async (who: string): Promise<SafeMeshClient> => {
      const client = await createAccount({ secret: `${who} ${randomBytes(8).toString('hex')}`, password: 'paid read password: saffron kettle 27' }, options)
      clients.push(client)
      return client
    }
    owner = await account('owner')
    reader = await account('reader')
    poor = await account('poor reader')
    stranger = await account('stranger')
  })
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {})
    await stopTestnet(testnet)
  })

  /** A priced envelope naming the reader and the poor reader, each with an envelope of its own. */
  async function pricedShare (): Promise<{ name: XorName, gate: Uint8Array, sealed: Uint8Array }> {
    const gate = encodeReadGate({ readers: [signingKeyOf(reader), signingKeyOf(poor)], price: PRICE, payee: accountOf(owner) })
    const sealed = utf8(`the content key, sealed to the reader ${randomBytes(4).toString('hex')}`)
    const share = await owner.createMData({
      tag: TAG,
      entries: [
        { key: READ_GATE_KEY, content: gate },
        { key: signingKeyOf(reader), content: sealed },
        { key: signingKeyOf(poor), content: utf8('sealed to the poor reader') }
      ]
    })
    return { name: share.name, gate, sealed }
  }

  const infos = async (...of: SafeMeshClient[]): Promise<AccountInfo[]> => await Promise.all(of.map(async c => await c.getAccountInfo()))
  const totalOf = (list: AccountInfo[]): number => list.reduce((sum, i) => sum + i.mutationsAvailable, 0)

  it('the reader pays exactly N to the sharer and reads; a retried read or transfer pays nothing more; too poor is LowBalance; a payment serves only its payer', async () => {
    const { name, gate, sealed } = await pricedShare()
    // Setting up costs mutations and moves credit; all of it before the snapshot.
    const spare = (await poor.getAccountInfo()).mutationsAvailable - (PRICE - 1)
    await poor.transferCredit(accountOf(stranger), spare)
    const [owner0, reader0, poor0] = await infos(owner, reader, poor) as [AccountInfo, AccountInfo, AccountInfo]
    expect(poor0.mutationsAvailable).toBe(PRICE - 1)
    expect(reader0.mutationsAvailable).toBeGreaterThanOrEqual(PRICE)

    // Unpaid: the gate names the reader, but it has a price.
    expect(await codeOf(reader.getShareEnvelope(name, TAG)), 'a read without payment').toBe('AccessDenied')

    const { messageId } = await reader.transferCredit(accountOf(owner), PRICE, { memo: name })
    // The same transfer again (its answer lost, say): it pays once.
    expect(await reader.transferCredit(accountOf(owner), PRICE, { memo: name, messageId })).toEqual({ messageId })
    expect(await reader.getShareEnvelope(name, TAG, messageId)).toEqual({ gate, envelope: sealed })

    const [owner1, reader1] = await infos(owner, reader) as [AccountInfo, AccountInfo]
    expect(reader1, 'the reader: debited exactly the price').toEqual({ ...reader0, mutationsAvailable: reader0.mutationsAvailable - PRICE, creditsSent: reader0.creditsSent + PRICE })
    expect(owner1, 'the sharer: credited exactly the price').toEqual({ ...owner0, mutationsAvailable: owner0.mutationsAvailable + PRICE, creditsReceived: owner0.creditsReceived + PRICE })
    expect(totalOf([owner1, reader1]), 'the credit of both together').toBe(totalOf([owner0, reader0]))
    expect(await owner.listCredits()).toContainEqual({ payer: accountOf(reader), amount: PRICE, memo: name, messageId })

    // A retried read (after a timeout, say) with the same payment is served and pays nothing.
    expect(await reader.getShareEnvelope(name, TAG, messageId)).toEqual({ gate, envelope: sealed })
    expect(await infos(owner, reader), 'after the retried read').toEqual([owner1, reader1])

    // Too poor: LowBalance, and nothing moves.
    expect(await codeOf(poor.transferCredit(accountOf(owner), PRICE, { memo: name })), 'the poor reader\'s transfer').toBe('LowBalance')
    expect(await infos(owner, poor), 'after the refused transfer').toEqual([owner1, poor0])

    // A payment serves its payer only: the poor reader (named) and the stranger (not) reuse the reader's.
    expect(await codeOf(poor.getShareEnvelope(name, TAG, messageId)), 'the poor reader with the reader\'s payment').toBe('AccessDenied')
    expect(await codeOf(stranger.getShareEnvelope(name, TAG, messageId)), 'the stranger with the reader\'s payment').toBe('AccessDenied')
    expect(await codeOf(stranger.getShareEnvelope(name, TAG)), 'the stranger').toBe('AccessDenied')
    // The owner reads its own envelope free.
    expect(await owner.getShareEnvelope(name, TAG)).toEqual({ gate })
    expect(await infos(owner, reader, poor), 'at the end').toEqual([owner1, reader1, poor0])
  })

  it('a payment counts only for the envelope its memo names and at the price: another memo, or less, is AccessDenied', async () => {
    const { name } = await pricedShare()
    const elsewhere = await reader.transferCredit(accountOf(owner), PRICE, { memo: randomXorName() })
    expect(await codeOf(reader.getShareEnvelope(name, TAG, elsewhere.messageId)), 'paid for another envelope').toBe('AccessDenied')
    const short = await reader.transferCredit(accountOf(owner), PRICE - 1, { memo: name })
    expect(await codeOf(reader.getShareEnvelope(name, TAG, short.messageId)), 'paid less than the price').toBe('AccessDenied')
    const unknown = new Uint8Array(randomBytes(32))
    expect(await codeOf(reader.getShareEnvelope(name, TAG, unknown)), 'a payment never made').toBe('AccessDenied')
  })
})
