import { describe, expect, it } from 'vitest'
import { newMutableData, randomXorName, type Mutation } from '@safemesh/protocol'
import { eventually } from './support/testnet.js'
import { useNetwork } from './support/fixture.js'
import { messageId, mutate, openAccount, outcome, text } from './support/accounts.js'
import { accountsAt, honestMembers, quorumRead } from './support/replicas.js'
import type { RawClient } from './support/raw-client.js'

const G = 8
const TAG = 20_000
const ALLOWANCE = 20

/** Every one of the account's Maid-Managers, asked directly: the mutations done it reports. */
async function countsAt (client: RawClient, net: ReturnType<typeof useNetwork>): Promise<unknown[]> {
  return (await accountsAt(client, honestMembers(net.testnet, client.account))).map(a => (a as { mutationsDone: unknown }).mutationsDone)
}

/** Waits (bounded) until every Maid-Manager reports the same count: a charge may still be reaching the last ones. */
async function settledCounts (client: RawClient, net: ReturnType<typeof useNetwork>): Promise<unknown[]> {
  await eventually(async () => new Set(await countsAt(client, net)).size === 1, 15_000).catch(() => {})
  return await countsAt(client, net)
}

/**
 * Issue 11, attack 5: what an account is charged diverges from what it did.
 * A client (the attacker here is the account's own owner) opens its account
 * ten times at once, or talks to only a rotating Q of its G Maid-Managers.
 */
describe(`byzantine: charging the group agrees on (12 nodes, G = ${G}, allowance ${ALLOWANCE})`, () => {
  const net = useNetwork(12, { groupSize: G, accountOps: ALLOWANCE })

  it('(a) ten concurrent account openings by one key: as many session packets stored as ops charged, on every Maid-Manager', async () => {
    const client = await net.connect()
    const packets = Array.from({ length: 10 }, () => newMutableData({ name: randomXorName(), tag: 0, owners: [client.key], entries: [{ key: text('Login'), content: text('sealed') }] }))
    const opened = await Promise.all(packets.map(async data => await outcome(client.quorum(client.account, { type: 'PutMData', account: client.account, requester: client.key, messageId: messageId(), data }))))
    const reads = await Promise.all(packets.map(async p => await quorumRead(client, p.name, 0)))
    const stored = reads.filter(r => !('error' in (r as object))).length
    const counts = await settledCounts(client, net)
    console.info(`10 concurrent openings: ${JSON.stringify(opened)}; ${stored} packets stored; Maid-Managers' counts ${JSON.stringify(counts)}`)
    expect.soft(counts, 'every Maid-Manager charged each stored packet').toEqual(Array(G).fill(stored))
    expect.soft(opened.filter(o => o === 'ok').length, 'the openings the client saw succeed are the packets stored').toBe(stored)

    // The account works as any other: one mutation, one op, on every Maid-Manager.
    expect(await outcome(mutate(client, { type: 'PutMData', data: newMutableData({ name: randomXorName(), tag: TAG, owners: [client.key] }) }))).toBe('ok')
    expect.soft(await settledCounts(client, net), 'after one more mutation').toEqual(Array(G).fill(stored + 1))
  })

  it('(b) a client that sends each mutation to a rotating 5 of its 8 Maid-Managers gets no more than its allowance applied, and every Maid-Manager charges all of it', async () => {
    const client = await net.connect()
    await openAccount(client)
    const md = newMutableData({ name: randomXorName(), tag: TAG, owners: [client.key] })
    await mutate(client, { type: 'PutMData', data: md })
    // The normal path: two mutations, two ops, on every Maid-Manager.
    expect(await settledCounts(client, net)).toEqual(Array(G).fill(2))

    const managers = honestMembers(net.testnet, client.account)
    let sent = 0
    let agreed = 0
    let refusedInARow = 0
    // It stops once three mutations in a row were not applied (no 5 agreed on success).
    for (let i = 0; i < 3 * ALLOWANCE && refusedInARow < 3; i++) {
      const five = [0, 1, 2, 3, 4].map(j => managers[(i + j) % G]).filter(p => p != null)
      const insert: Mutation = { type: 'MutateMDataEntries', account: client.account, requester: client.key, messageId: messageId(), name: md.name, tag: TAG, actions: [{ key: text(`k${i}`), action: { kind: 'Insert', content: text('v') } }] }
      const answers = await Promise.allSettled(five.map(async peer => await client.send(peer, insert)))
      sent++
      if (answers.every(a => a.status === 'fulfilled' && (a.value).type === 'MutateMDataEntries')) {
        agreed++
        refusedInARow = 0
      } else {
        refusedInARow++
      }
    }
    const read = await quorumRead(client, md.name, TAG)
    const inserted = Object.keys((read as { entries?: object }).entries ?? {}).length
    const applied = 2 + inserted
    const counts = await settledCounts(client, net)
    console.info(`rotating 5 of 8 Maid-Managers: ${sent} sent, ${agreed} agreed by all 5, ${applied} mutations applied in all (the account's opening, the data, ${inserted} inserts); Maid-Managers' counts ${JSON.stringify(counts)}`)
    expect.soft(applied, 'mutations applied, against an allowance of 20').toBeLessThanOrEqual(ALLOWANCE)
    expect.soft(counts, 'every Maid-Manager charged what was applied').toEqual(Array(G).fill(applied))
  })
})
