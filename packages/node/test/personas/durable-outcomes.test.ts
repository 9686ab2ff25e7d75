import { afterEach, describe, expect, it } from 'vitest'
import { forwardOf, forwardRequestId, newMutableData, quorumOf, randomXorName, type Mutation, type RequestOf } from '@safemesh/protocol'
import { UNCHARGED_TTL } from '../../src/personas/maid-manager/accounts.js'
import { KEPT_OUTCOMES, replicaKey } from '../../src/personas/data-manager/replica-store.js'
import { answerOf, inProcessGroup, messageId, newClient, openingOf, sendToAccountGroup, type Client, type InProcessGroup } from './in-process-group.js'

let group: InProcessGroup | undefined
afterEach(async () => { await group?.close(); group = undefined })

const TAG = 20_000

function insert (client: Client, md: { name: Uint8Array }, key: number): RequestOf<'MutateMDataEntries'> {
  return {
    type: 'MutateMDataEntries',
    messageId: messageId(),
    account: client.account,
    requester: client.owner,
    name: md.name,
    tag: TAG,
    actions: [{ key: new Uint8Array([key]), action: { kind: 'Insert', content: new Uint8Array([key]) } }]
  }
}

/** Q members of the account's group forward `mutation` to every Data-Manager, as Maid-Managers do on a retry. */
async function forwardAgain (g: InProcessGroup, client: Client, mutation: Mutation): Promise<unknown[]> {
  const q = quorumOf(g.params.groupSize)
  const forward = { type: 'Forward' as const, ...forwardOf(mutation, client.owner) }
  const answers = g.nodes.slice(0, q).flatMap(mm => g.nodes.map(async dm => await answerOf(g.deliver(mm.peer, dm, forward))))
  return await Promise.all(answers)
}

describe('outcomes a retry gets after the group forgot it in memory (issue 14, point 6)', () => {
  it('a mutation forwarded again after a restart of every node gets its first outcome, and is not applied twice', async () => {
    group = await inProcessGroup()
    const client = await newClient()
    await sendToAccountGroup(group, client, openingOf(client))
    const md = newMutableData({ name: randomXorName(), tag: TAG, owners: [client.owner] })
    expect(await sendToAccountGroup(group, client, { type: 'PutMData', messageId: messageId(), account: client.account, requester: client.owner, data: md })).toEqual(Array(8).fill({ type: 'PutMData' }))
    const first = insert(client, md, 1)
    expect(await sendToAccountGroup(group, client, first)).toEqual(Array(8).fill({ type: 'MutateMDataEntries' }))
    const seqs = async (): Promise<number[]> => await Promise.all(group!.nodes.map(async n => (await n.personas.dataManager.replicas.get(replicaKey(md.name, TAG))).seq))
    const before = await seqs()

    group.restart()
    // Before outcomes were kept on disk, this was executed again: EntryExists, 8 × 5 times.
    const answers = await forwardAgain(group, client, first)
    expect(answers).toEqual(Array(answers.length).fill({ type: 'MutateMDataEntries' }))
    expect(await seqs()).toEqual(before)
  })

  it(`keeps the outcomes of a data's last ${KEPT_OUTCOMES} mutations, no more`, async () => {
    group = await inProcessGroup()
    const client = await newClient()
    await sendToAccountGroup(group, client, openingOf(client))
    const md = newMutableData({ name: randomXorName(), tag: TAG, owners: [client.owner] })
    await sendToAccountGroup(group, client, { type: 'PutMData', messageId: messageId(), account: client.account, requester: client.owner, data: md })
    const inserts = Array.from({ length: KEPT_OUTCOMES + 1 }, (_, i) => insert(client, md, i))
    for (const mutation of inserts) expect(await sendToAccountGroup(group, client, mutation)).toEqual(Array(8).fill({ type: 'MutateMDataEntries' }))
    const replicas = group.nodes[0]!.personas.dataManager.replicas
    const key = replicaKey(md.name, TAG)
    const idOf = (m: Mutation): Uint8Array => forwardRequestId(forwardOf(m, client.owner))
    expect(await replicas.outcomeOf(key, idOf(inserts[0]!))).toBeUndefined()
    expect(await replicas.outcomeOf(key, idOf(inserts[1]!))).toEqual({ type: 'MutateMDataEntries' })
    expect(await replicas.outcomeOf(key, idOf(inserts.at(-1)!))).toEqual({ type: 'MutateMDataEntries' })
  })
})

describe('records of mutations never charged expire (issue 14, point 3)', () => {
  it('a refused mutation\'s record goes after UNCHARGED_TTL, a charged one stays, and the bookkeeping shrinks', async () => {
    group = await inProcessGroup()
    const client = await newClient()
    await sendToAccountGroup(group, client, openingOf(client))
    const absent = { name: randomXorName() }
    const refused = insert(client, absent, 1)
    expect(await sendToAccountGroup(group, client, refused)).toEqual(Array(8).fill('NoSuchData'))
    const node = group.nodes[0]!
    const accounts = node.personas.maidManager.accounts
    expect(await accounts.message(client.account, refused.messageId)).toMatchObject({ outcome: expect.any(Uint8Array) })
    const bookkeeping = node.store.bookkeepingBytes()

    // Not yet: nothing expired within the hour.
    expect(await node.personas.maidManager.sweep(Date.now() + UNCHARGED_TTL - 60_000)).toBe(0)
    expect(await accounts.message(client.account, refused.messageId)).toBeDefined()

    expect(await node.personas.maidManager.sweep(Date.now() + UNCHARGED_TTL + 1000)).toBeGreaterThanOrEqual(1)
    expect(await accounts.message(client.account, refused.messageId)).toBeUndefined()
    expect(node.store.bookkeepingBytes()).toBeLessThan(bookkeeping)
    // The account's opening was charged: its record is kept for good.
    expect(await accounts.chargedIds(client.account)).toHaveLength(1)
  })
})
