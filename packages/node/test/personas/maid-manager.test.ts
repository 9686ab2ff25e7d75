import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { newMutableData, randomXorName, type Request, type RequestOf, type WireReply } from '@safemesh/protocol'
import { inProcessGroup, messageId, newClient, openingOf, sendToAccountGroup, type Client, type InProcessGroup } from './in-process-group.js'

const ALLOWANCE = 3

let group: InProcessGroup
beforeEach(async () => { group = await inProcessGroup({ params: { accountAllowance: ALLOWANCE } }) })
afterEach(async () => { await group.close() })

/** Every Maid-Manager's answer must be the same: the one outcome the test expects. */
async function agreed (client: Client, request: Request): Promise<WireReply | string> {
  const answers = await sendToAccountGroup(group, client, request)
  expect(new Set(answers.map(a => JSON.stringify(a, (_k, v: unknown) => v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))).size).toBe(1)
  return answers[0] as WireReply | string
}

async function mutationsDone (client: Client): Promise<number[]> {
  const answers = await sendToAccountGroup(group, client, { type: 'GetAccountInfo', account: client.account, requester: client.owner })
  return answers.map(a => typeof a === 'string' ? -1 : a.type === 'GetAccountInfo' ? a.mutationsDone : -2)
}

function putMData (client: Client, id = messageId(), owner = client.owner): RequestOf<'PutMData'> {
  return { type: 'PutMData', messageId: id, account: client.account, requester: client.owner, data: newMutableData({ name: randomXorName(), tag: 20_000, owners: [owner] }) }
}

describe('a Maid-Manager group in process (SPEC §4)', () => {
  it('opens an account with the session packet, charged one op on every member', async () => {
    const client = await newClient()
    expect(await agreed(client, openingOf(client))).toEqual({ type: 'PutMData' })
    expect(await mutationsDone(client)).toEqual(Array(8).fill(1))
  })

  describe('checks a mutation in SPEC §4\'s order', () => {
    it('account exists before anything about the sender', async () => {
      const stranger = await newClient()
      const victim = await newClient()
      // Names an account nobody opened, from a sender that is not its owner and a requester that is not the sender.
      expect(await agreed(stranger, { ...putMData(victim), requester: stranger.owner })).toBe('NoSuchAccount')
    })

    it('the sender is the owner or an app before the allowance', async () => {
      const owner = await newClient()
      await agreed(owner, openingOf(owner))
      await agreed(owner, putMData(owner))
      await agreed(owner, putMData(owner))
      expect(await mutationsDone(owner)).toEqual(Array(8).fill(ALLOWANCE))
      const stranger = await newClient()
      expect(await agreed(stranger, { ...putMData(owner), requester: stranger.owner })).toBe('AccessDenied')
      // The owner itself, with a requester that is not the sender: still AccessDenied, not LowBalance.
      expect(await agreed(owner, { ...putMData(owner), requester: stranger.owner })).toBe('AccessDenied')
      expect(await agreed(owner, putMData(owner))).toBe('LowBalance')
    })

    it('the allowance before the message id', async () => {
      const owner = await newClient()
      const opening = openingOf(owner)
      await agreed(owner, opening)
      await agreed(owner, putMData(owner))
      await agreed(owner, putMData(owner))
      // A used message id on another request, on an exhausted account.
      expect(await agreed(owner, putMData(owner, opening.messageId))).toBe('LowBalance')
    })

    it('the message id before the request\'s own checks', async () => {
      const owner = await newClient()
      const opening = openingOf(owner)
      await agreed(owner, opening)
      const foreign = await newClient()
      // A used message id on a request that also names a foreign owner.
      expect(await agreed(owner, putMData(owner, opening.messageId, foreign.owner))).toBe('InvalidOperation')
      expect(await agreed(owner, putMData(owner, messageId(), foreign.owner))).toBe('InvalidOwners')
      expect(await mutationsDone(owner)).toEqual(Array(8).fill(1))
    })
  })

  it('charges one op only when the Data-Managers report success', async () => {
    const owner = await newClient()
    await agreed(owner, openingOf(owner))
    const refused: Request = {
      type: 'MutateMDataEntries',
      messageId: messageId(),
      account: owner.account,
      requester: owner.owner,
      name: randomXorName(),
      tag: 20_000,
      actions: [{ key: new Uint8Array([1]), action: { kind: 'Insert', content: new Uint8Array([2]) } }]
    }
    expect(await agreed(owner, refused)).toBe('NoSuchData')
    expect(await mutationsDone(owner)).toEqual(Array(8).fill(1))
    expect(await agreed(owner, putMData(owner))).toEqual({ type: 'PutMData' })
    expect(await mutationsDone(owner)).toEqual(Array(8).fill(2))
  })

  it('runs a message id once: its retry gets the first outcome and is not charged again', async () => {
    const owner = await newClient()
    await agreed(owner, openingOf(owner))
    const request = putMData(owner)
    expect(await agreed(owner, request)).toEqual({ type: 'PutMData' })
    expect(await agreed(owner, request)).toEqual({ type: 'PutMData' })
    expect(await mutationsDone(owner)).toEqual(Array(8).fill(2))
    const refused = putMData(owner, messageId(), (await newClient()).owner)
    expect(await agreed(owner, refused)).toBe('InvalidOwners')
    expect(await agreed(owner, refused)).toBe('InvalidOwners')
    expect(await mutationsDone(owner)).toEqual(Array(8).fill(2))
  })
})
