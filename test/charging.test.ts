import { describe, expect, it } from 'vitest'
import { newMutableData, randomXorName, type Mutation } from '@safemesh/protocol'
import { useNetwork } from './support/fixture.js'
import { messageId, mutate, mutationsDone, openAccount, text } from './support/accounts.js'

const TAG = 20_000

describe('charging on a 12-node testnet with --account-ops 10', () => {
  const net = useNetwork(12, { groupSize: 8, accountOps: 10 })

  it('charges one op per successful mutation, none for a refused one, and refuses the eleventh with LowBalance', async () => {
    const { owner } = net
    expect(await mutationsDone(owner)).toBe(1) // opening the account is its first PUT
    const md = newMutableData({ name: randomXorName(), tag: TAG, owners: [owner.key], entries: [{ key: text('k'), content: text('v') }] })
    await net.putMData(md)
    expect(await mutationsDone(owner)).toBe(2)

    const refusals: Array<[string, () => Promise<unknown>]> = [
      ['EntryExists', async () => await mutate(owner, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [{ key: text('k'), action: { kind: 'Insert', content: text('again') } }] })],
      ['InvalidSuccessor', async () => await mutate(owner, { type: 'SetMDataUserPermissions', name: md.name, tag: TAG, user: { kind: 'Anyone' }, permissions: { Insert: true }, version: 5 })],
      ['DataExists', async () => await net.putMData(md)],
      ['NoSuchData', async () => await mutate(owner, { type: 'MutateMDataEntries', name: randomXorName(), tag: TAG, actions: [] })],
      ['NoSuchKey', async () => await mutate(owner, { type: 'DelAuthKey', key: new Uint8Array(32).fill(7), version: 1 })]
    ]
    for (const [code, refused] of refusals) {
      await expect(refused(), code).rejects.toMatchObject({ code: code === 'EntryExists' ? 'InvalidEntryActions' : code })
      expect(await mutationsDone(owner), `after ${code}`).toBe(2)
    }
    const stranger = await net.connect()
    await openAccount(stranger)
    await expect(mutate(stranger, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [{ key: text('x'), action: { kind: 'Insert', content: text('x') } }] }))
      .rejects.toMatchObject({ code: 'AccessDenied' })
    expect(await mutationsDone(stranger)).toBe(1)

    for (let i = 3; i <= 10; i++) {
      await mutate(owner, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [{ key: text(`k${i}`), action: { kind: 'Insert', content: text('v') } }] })
      expect(await mutationsDone(owner)).toBe(i)
    }
    await expect(mutate(owner, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [{ key: text('k11'), action: { kind: 'Insert', content: text('v') } }] }))
      .rejects.toMatchObject({ code: 'LowBalance' })
    expect(await mutationsDone(owner)).toBe(10)
    const info = await owner.quorum(owner.account, { type: 'GetAccountInfo', account: owner.account, requester: owner.key })
    expect(info).toEqual({ type: 'GetAccountInfo', mutationsDone: 10, mutationsAvailable: 0, creditsReceived: 0, creditsSent: 0 })
  })

  it('answers a retry (same message id, same request) with its first outcome and charges once; another request under a used id is InvalidOperation', async () => {
    const client = await net.connect()
    await openAccount(client)
    const md = newMutableData({ name: randomXorName(), tag: TAG, owners: [client.key], entries: [] })
    await mutate(client, { type: 'PutMData', data: md })
    expect(await mutationsDone(client)).toBe(2)
    const base = { type: 'MutateMDataEntries', account: client.account, requester: client.key, name: md.name, tag: TAG } as const
    const insert: Mutation = { ...base, messageId: messageId(), actions: [{ key: text('k'), action: { kind: 'Insert', content: text('v') } }] }

    // Sent twice at once and once more afterwards: one execution, one op, the same success each time.
    const [first, second] = await Promise.all([client.quorum(client.account, insert), client.quorum(client.account, insert)])
    expect(first).toEqual({ type: 'MutateMDataEntries' })
    expect(second).toEqual({ type: 'MutateMDataEntries' })
    expect(await client.quorum(client.account, insert)).toEqual({ type: 'MutateMDataEntries' })
    expect(await mutationsDone(client)).toBe(3)

    const reused: Mutation = { ...insert, actions: [{ key: text('other'), action: { kind: 'Insert', content: text('v') } }] }
    await expect(client.quorum(client.account, reused)).rejects.toMatchObject({ code: 'InvalidOperation' })

    // A refusal is kept too: its retry is refused the same way, and neither costs anything.
    const clash: Mutation = { ...insert, messageId: messageId() }
    await expect(client.quorum(client.account, clash)).rejects.toMatchObject({ code: 'InvalidEntryActions' })
    await expect(client.quorum(client.account, clash)).rejects.toMatchObject({ code: 'InvalidEntryActions' })
    expect(await mutationsDone(client)).toBe(3)

    const entries = await client.quorum(md.name, { type: 'ListMDataEntries', name: md.name, tag: TAG })
    expect(entries).toMatchObject({ type: 'ListMDataEntries', entries: [{ key: text('k'), content: text('v'), version: 0 }] })
  })
})
