import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  READ_GATE_KEY, TYPE_TAG_SHARE_ENVELOPE, TYPE_TAG_SHARE_LOG, encodeReadGate, shareLogKey, shareLogName, forwardOf, newMutableData, randomXorName, quorumOf,
  type ReadGate, type Request, type WireMessage, type WireReply, type XorName
} from '@safemesh/protocol'
import { answerOf, inProcessGroup, messageId, newClient, openingOf, sendToAccountGroup, type Client, type InProcessGroup } from './in-process-group.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

let group: InProcessGroup
beforeEach(async () => { group = await inProcessGroup() })
afterEach(async () => { await group.close() })

/** The one answer every member gave (they must agree), as a reply or an error code. */
async function agreed (answers: Array<WireReply | string>): Promise<WireReply | string> {
  const forms = new Set(answers.map(a => JSON.stringify(a, (_k, v: unknown) => v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)))
  expect(forms.size, [...forms].join(' | ')).toBe(1)
  return answers[0] as WireReply | string
}

async function toAccount (client: Client, request: Request): Promise<WireReply | string> {
  return await agreed(await sendToAccountGroup(group, client, request))
}

/** A read sent by `client` to every Data-Manager (every node is in every group here). */
async function read (client: Client, message: WireMessage): Promise<WireReply | string> {
  return await agreed(await Promise.all(group.nodes.map(async dm => await answerOf(group.deliver(client.peer, dm, message)))))
}

async function opened (): Promise<Client> {
  const client = await newClient()
  expect(await toAccount(client, openingOf(client))).toEqual({ type: 'PutMData' })
  return client
}

async function putShare (owner: Client, gate: ReadGate, envelopes: Array<[Uint8Array, string]>): Promise<XorName> {
  const name = randomXorName()
  const entries = [{ key: READ_GATE_KEY, content: encodeReadGate(gate) }, ...envelopes.map(([key, content]) => ({ key, content: text(content) }))]
  const data = newMutableData({ name, tag: TYPE_TAG_SHARE_ENVELOPE, owners: [owner.owner], entries })
  expect(await toAccount(owner, { type: 'PutMData', account: owner.account, requester: owner.owner, messageId: messageId(), data })).toEqual({ type: 'PutMData' })
  return name
}

describe('read-gated MutableData at its Data-Managers (in process)', () => {
  it('serves a reader its envelope and the gate, refuses a stranger, says Expired after the expiry; the owner always reads', async () => {
    const owner = await opened()
    const reader = await newClient()
    const other = await newClient()
    const stranger = await newClient()
    const gate = { readers: [reader.owner, other.owner], expires: Date.now() + 60_000 }
    const name = await putShare(owner, gate, [[reader.owner, 'for the reader'], [other.owner, 'for the other']])
    const envelope: WireMessage = { type: 'GetShareEnvelope', name, tag: TYPE_TAG_SHARE_ENVELOPE }

    expect(await read(reader, envelope)).toEqual({ type: 'GetShareEnvelope', gate: encodeReadGate(gate), envelope: text('for the reader') })
    expect(await read(owner, envelope)).toEqual({ type: 'GetShareEnvelope', gate: encodeReadGate(gate) })
    expect(await read(stranger, envelope)).toBe('AccessDenied')
    // Every client read of the data is gated, not only GetShareEnvelope.
    for (const message of [
      { type: 'GetMData', name, tag: TYPE_TAG_SHARE_ENVELOPE },
      { type: 'GetMDataShell', name, tag: TYPE_TAG_SHARE_ENVELOPE },
      { type: 'GetMDataVersion', name, tag: TYPE_TAG_SHARE_ENVELOPE },
      { type: 'ListMDataEntries', name, tag: TYPE_TAG_SHARE_ENVELOPE },
      { type: 'ListMDataKeys', name, tag: TYPE_TAG_SHARE_ENVELOPE },
      { type: 'ListMDataValues', name, tag: TYPE_TAG_SHARE_ENVELOPE },
      { type: 'GetMDataValue', name, tag: TYPE_TAG_SHARE_ENVELOPE, key: reader.owner },
      { type: 'ListMDataPermissions', name, tag: TYPE_TAG_SHARE_ENVELOPE },
      { type: 'ListMDataUserPermissions', name, tag: TYPE_TAG_SHARE_ENVELOPE, user: { kind: 'Anyone' } }
    ] satisfies WireMessage[]) {
      expect(await read(stranger, message), message.type).toBe('AccessDenied')
      const byReader = await read(reader, message)
      expect(typeof byReader === 'string' ? byReader : byReader.type, message.type).toBe(message.type === 'ListMDataUserPermissions' ? 'NoSuchKey' : message.type)
    }

    const expired = await putShare(owner, { readers: [reader.owner], expires: Date.now() - 1 }, [[reader.owner, 'too late']])
    expect(await read(reader, { type: 'GetShareEnvelope', name: expired, tag: TYPE_TAG_SHARE_ENVELOPE })).toBe('Expired')
    expect(await read(reader, { type: 'GetMDataValue', name: expired, tag: TYPE_TAG_SHARE_ENVELOPE, key: reader.owner })).toBe('Expired')
    expect(await read(stranger, { type: 'GetShareEnvelope', name: expired, tag: TYPE_TAG_SHARE_ENVELOPE })).toBe('AccessDenied')
    expect(await read(owner, { type: 'GetMDataValue', name: expired, tag: TYPE_TAG_SHARE_ENVELOPE, key: reader.owner })).toMatchObject({ type: 'GetMDataValue' })
  })

  it('still hands replicas to the data\'s other members, and to no client', async () => {
    const owner = await opened()
    const reader = await newClient()
    const name = await putShare(owner, { readers: [reader.owner] }, [[reader.owner, 'sealed']])
    const member = group.nodes[1]!
    const replica = await group.deliver(member.peer, group.nodes[0]!, { type: 'GetReplica', name, tag: TYPE_TAG_SHARE_ENVELOPE })
    expect(replica).toMatchObject({ type: 'Replica' })
    expect(await answerOf(group.deliver(reader.peer, group.nodes[0]!, { type: 'GetReplica', name, tag: TYPE_TAG_SHARE_ENVELOPE }))).toBe('AccessDenied')
  })

  it('refuses GetShareEnvelope on data that is not read-gated, and names NoSuchData when absent', async () => {
    const owner = await opened()
    const reader = await newClient()
    expect(await read(reader, { type: 'GetShareEnvelope', name: randomXorName(), tag: 20_000 })).toBe('InvalidRequest')
    expect(await read(reader, { type: 'GetShareEnvelope', name: randomXorName(), tag: TYPE_TAG_SHARE_ENVELOPE })).toBe('NoSuchData')
    expect(await read(owner, { type: 'GetShareEnvelope', name: randomXorName(), tag: TYPE_TAG_SHARE_ENVELOPE })).toBe('NoSuchData')
  })

  it('serves a priced gate only against a payment its payee\'s Maid-Managers confirm, once per window', async () => {
    const owner = await opened()
    const reader = await opened()
    const stranger = await opened()
    const price = 3
    const name = await putShare(owner, { readers: [reader.owner], price, payee: owner.account }, [[reader.owner, 'paid for']])
    const envelope = (payment?: Uint8Array): WireMessage => ({ type: 'GetShareEnvelope', name, tag: TYPE_TAG_SHARE_ENVELOPE, ...(payment != null ? { payment } : {}) })
    const transfer = async (payer: Client, amount: number, memo: XorName): Promise<Uint8Array> => {
      const id = messageId()
      expect(await toAccount(payer, { type: 'TransferCredit', account: payer.account, requester: payer.owner, messageId: id, to: owner.account, amount, memo })).toEqual({ type: 'TransferCredit' })
      return id
    }

    expect(await read(reader, envelope())).toBe('AccessDenied')
    expect(await read(reader, envelope(messageId()))).toBe('AccessDenied')
    expect(await read(reader, { type: 'GetMData', name, tag: TYPE_TAG_SHARE_ENVELOPE })).toBe('AccessDenied')
    const tooLittle = await transfer(reader, price - 1, name)
    expect(await read(reader, envelope(tooLittle))).toBe('AccessDenied')
    const otherMemo = await transfer(reader, price, randomXorName())
    expect(await read(reader, envelope(otherMemo))).toBe('AccessDenied')
    const paid = await transfer(reader, price, name)
    expect(await read(reader, envelope(paid))).toEqual({ type: 'GetShareEnvelope', gate: encodeReadGate({ readers: [reader.owner], price, payee: owner.account }), envelope: text('paid for') })
    // A retry of the read within the window is served again: it never pays twice.
    expect(await read(reader, envelope(paid))).toMatchObject({ type: 'GetShareEnvelope', envelope: text('paid for') })
    // Someone else presenting the reader's payment has paid nothing.
    expect(await read(stranger, envelope(paid))).toBe('AccessDenied')
    expect(await read(owner, envelope())).toMatchObject({ type: 'GetShareEnvelope' })
  })
})

describe('append-only MutableData (tag 1005) at both groups (in process)', () => {
  it('inserts; refuses an update, a delete, a permission change and an owner change InvalidOperation at the Maid-Managers', async () => {
    const owner = await opened()
    const name = shareLogName(owner.owner)
    const data = newMutableData({ name, tag: TYPE_TAG_SHARE_LOG, owners: [owner.owner], entries: [{ key: shareLogKey(0), content: text('first') }] })
    const base = { account: owner.account, requester: owner.owner } as const
    expect(await toAccount(owner, { type: 'PutMData', ...base, messageId: messageId(), data })).toEqual({ type: 'PutMData' })
    const md = { name, tag: TYPE_TAG_SHARE_LOG }
    expect(await toAccount(owner, { type: 'MutateMDataEntries', ...base, messageId: messageId(), ...md, actions: [{ key: shareLogKey(1), action: { kind: 'Insert', content: text('second') } }] })).toEqual({ type: 'MutateMDataEntries' })
    for (const request of [
      { type: 'MutateMDataEntries', ...base, messageId: messageId(), ...md, actions: [{ key: shareLogKey(0), action: { kind: 'Update', content: text('rewritten'), version: 1 } }] },
      { type: 'MutateMDataEntries', ...base, messageId: messageId(), ...md, actions: [{ key: shareLogKey(2), action: { kind: 'Insert', content: text('x') } }, { key: shareLogKey(0), action: { kind: 'Delete', version: 1 } }] },
      { type: 'SetMDataUserPermissions', ...base, messageId: messageId(), ...md, user: { kind: 'Anyone' }, permissions: { Update: true }, version: 1 },
      { type: 'DelMDataUserPermissions', ...base, messageId: messageId(), ...md, user: { kind: 'Anyone' }, version: 1 },
      { type: 'ChangeMDataOwner', ...base, messageId: messageId(), ...md, newOwners: [(await newClient()).owner], version: 1 }
    ] satisfies Request[]) {
      expect(await toAccount(owner, request), request.type).toBe('InvalidOperation')
    }
    const entries = await read(owner, { type: 'ListMDataEntries', ...md })
    expect(entries).toMatchObject({ type: 'ListMDataEntries', entries: [{ key: shareLogKey(0), content: text('first'), version: 0 }, { key: shareLogKey(1), content: text('second'), version: 0 }] })
  })

  it('the Data-Managers refuse an update forwarded with a Maid-Manager group\'s full authority', async () => {
    const owner = await opened()
    const name = shareLogName(owner.owner)
    const base = { account: owner.account, requester: owner.owner } as const
    const data = newMutableData({ name, tag: TYPE_TAG_SHARE_LOG, owners: [owner.owner], entries: [{ key: shareLogKey(0), content: text('first') }] })
    expect(await toAccount(owner, { type: 'PutMData', ...base, messageId: messageId(), data })).toEqual({ type: 'PutMData' })
    // As if Q Maid-Managers had skipped their check: the Data-Managers apply the rule themselves.
    const update = { type: 'MutateMDataEntries' as const, ...base, messageId: messageId(), name, tag: TYPE_TAG_SHARE_LOG, actions: [{ key: shareLogKey(0), action: { kind: 'Update' as const, content: text('rewritten'), version: 1 } }] }
    const forward: WireMessage = { type: 'Forward', ...forwardOf(update, owner.owner) }
    const voters = group.nodes.slice(0, quorumOf(group.params.groupSize))
    const outcomes = await Promise.all(group.nodes.flatMap(dm => voters.map(async voter => await answerOf(group.deliver(voter.peer, dm, forward)))))
    expect(new Set(outcomes)).toEqual(new Set(['InvalidOperation']))
    expect(await read(owner, { type: 'GetMDataValue', name, tag: TYPE_TAG_SHARE_LOG, key: shareLogKey(0) })).toEqual({ type: 'GetMDataValue', value: { content: text('first'), version: 0 } })
  })
})
