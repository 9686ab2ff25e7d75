import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SafeMeshError, bytesToHex, encodeMessage, encodeReply, immutableDataName, type WireMessage, type XorName } from '@safemesh/protocol'
import type { SafeMeshClient } from '../src/index.js'
import { FakeNetwork, type Behaviour } from './support/fake-network.js'
import { accountClient, connectedClient, expectCode, pseudoRandomBytes, utf8 } from './support/helpers.js'

const TAG = 20_000
const G = 8

/** A node that answers every message of `type` with `reply` and everything else honestly. */
function lying (type: WireMessage['type'], reply: Parameters<typeof encodeReply>[0]): Behaviour {
  return async (message, honest) => message.type === type ? encodeReply(reply) : await honest()
}

/** A node that refuses every message of `type` with `code` without handling it. */
function refusing (type: WireMessage['type'], code: SafeMeshError['code']): Behaviour {
  return async (message, honest) => {
    if (message.type === type) throw new SafeMeshError(code, 'refused by the test')
    return await honest()
  }
}

describe('quorum (G = 8, Q = 5) against an in-memory network', () => {
  const network = new FakeNetwork({ nodes: G, groupSize: G })
  let client: SafeMeshClient
  let name: XorName

  beforeAll(async () => {
    ;({ client } = await accountClient(network))
    const md = await client.createMData({ tag: TAG, entries: [{ key: utf8('a'), content: utf8('one') }] })
    name = md.name
  })

  afterEach(() => { network.reset() })

  const group = (target: XorName): typeof network.nodes => network.closeGroup(target)

  describe('MutableData reads', () => {
    it('accept the answer Q identical replies give, whatever the other G − Q say', async () => {
      for (const node of group(name).slice(0, 3)) node.behaviour = lying('GetMDataValue', { type: 'GetMDataValue', value: { content: utf8('forged'), version: 7 } })
      expect(await client.getMDataValue({ name, tag: TAG }, utf8('a'))).toEqual({ content: utf8('one'), version: 0 })
      expect(network.sent('GetMDataValue').map(m => m.to).sort()).toEqual(group(name).map(n => n.id).sort())
    })

    it('never accept what fewer than Q agree on, even when the liars agree among themselves', async () => {
      for (const node of group(name).slice(0, 4)) node.behaviour = lying('GetMDataVersion', { type: 'GetMDataVersion', version: 42 })
      await expectCode(client.getMDataVersion({ name, tag: TAG }), 'NoQuorum')
      // Every try asked the whole group.
      expect(network.sent('GetMDataVersion')).toHaveLength(3 * G)
    })

    it('fail with the error Q members refuse with', async () => {
      for (const node of group(name).slice(0, 3)) node.behaviour = lying('GetMDataValue', { type: 'GetMDataValue', value: { content: utf8('x'), version: 0 } })
      await expectCode(client.getMDataValue({ name, tag: TAG }, utf8('missing')), 'NoSuchEntry')
      await expectCode(client.getMData({ name: new Uint8Array(32), tag: TAG }), 'NoSuchData')
      // An agreed refusal is an answer: it is not retried.
      expect(network.sent('GetMData')).toHaveLength(G)
    })

    it('Timeout when fewer than Q answer at all', async () => {
      for (const node of group(name).slice(0, 4)) node.behaviour = 'silent'
      await expectCode(client.getMDataVersion({ name, tag: TAG }), 'Timeout')
    })

    it('ignore replies of the wrong kind and undecodable ones', async () => {
      for (const node of group(name).slice(0, 2)) node.behaviour = lying('GetMDataVersion', { type: 'GetMDataShell' as 'GetMDataVersion', version: 0 })
      for (const node of group(name).slice(2, 3)) node.behaviour = async () => new Uint8Array([0xff, 0x00])
      expect(await client.getMDataVersion({ name, tag: TAG })).toBe(0)
    })
  })

  describe('mutations and account reads', () => {
    it('succeed on Q identical successes without waiting for silent members', async () => {
      const account = client.account as XorName
      for (const node of group(account).slice(0, 3)) node.behaviour = 'silent'
      const started = performance.now()
      await client.mutateMDataEntries({ name, tag: TAG }, [{ key: utf8('b'), action: { kind: 'Insert', content: utf8('two') } }])
      expect(performance.now() - started).toBeLessThan(90) // the silent ones time out after 100 ms
      network.reset()
      expect(await client.getMDataValue({ name, tag: TAG }, utf8('b'))).toEqual({ content: utf8('two'), version: 0 })
    })

    it('fail with the error Q members agree on, and do not retry it', async () => {
      const err = await expectCode(client.mutateMDataEntries({ name, tag: TAG }, [{ key: utf8('a'), action: { kind: 'Insert', content: utf8('again') } }]), 'InvalidEntryActions')
      expect(err.details).toEqual({ errors: [{ key: utf8('a'), error: { code: 'EntryExists', version: 0 } }] })
      expect(network.sent('MutateMDataEntries')).toHaveLength(G)
    })

    it('NoQuorum when members answer but disagree, after bounded retries of the very same request (one message id)', async () => {
      const account = client.account as XorName
      group(account).forEach((node, i) => { node.behaviour = refusing('SetMDataUserPermissions', i < 4 ? 'LowBalance' : 'NoSuchAccount') })
      await expectCode(client.setMDataUserPermissions({ name, tag: TAG }, { user: { kind: 'Anyone' }, permissions: { Insert: true }, version: 1 }), 'NoQuorum')
      const sent = network.sent('SetMDataUserPermissions')
      expect(sent).toHaveLength(3 * G)
      const ids = new Set(sent.map(m => bytesToHex(m.message.messageId)))
      expect(ids.size).toBe(1)
      expect(new Set(sent.map(m => bytesToHex(encodeMessage(m.message)))).size).toBe(1)
      const members = group(account).map(n => n.id).sort()
      expect(sent.map(m => m.to).sort()).toEqual([...members, ...members, ...members].sort())
    })

    it('retry a mutation that timed out under the same message id (so it can never apply twice), and succeed', async () => {
      const account = client.account as XorName
      const members = group(account)
      let tries = 0
      const firstTryOnly = (behaviour: 'silent' | 'refuse'): Behaviour => async (message, honest) => {
        if (message.type === 'SetMDataUserPermissions' && tries++ < 8) {
          if (behaviour === 'refuse') throw new SafeMeshError('LowBalance', 'refused by the test')
          await new Promise(resolve => setTimeout(resolve, 150))
          throw new SafeMeshError('Timeout', 'silent')
        }
        return await honest()
      }
      members.forEach((node, i) => { node.behaviour = firstTryOnly(i < 4 ? 'silent' : 'refuse') })
      await client.setMDataUserPermissions({ name, tag: TAG }, { user: { kind: 'Anyone' }, permissions: { Insert: true }, version: 1 })
      const sent = network.sent('SetMDataUserPermissions')
      expect(sent).toHaveLength(2 * G)
      expect(new Set(sent.map(m => bytesToHex(m.message.messageId))).size).toBe(1)
      network.reset()
      expect(await client.getMDataVersion({ name, tag: TAG })).toBe(1)
    })

    it('account reads count by quorum too', async () => {
      const account = client.account as XorName
      for (const node of group(account).slice(0, 3)) node.behaviour = lying('GetAccountInfo', { type: 'GetAccountInfo', mutationsDone: 0, mutationsAvailable: 1_000_000, creditsReceived: 0, creditsSent: 0 })
      const info = await client.getAccountInfo()
      expect(info.mutationsDone).toBeGreaterThan(0)
      expect(info.mutationsDone + info.mutationsAvailable).toBe(1000)
    })

    it('a connected client cannot mutate, and sends nothing trying', async () => {
      const reader = await connectedClient(network)
      await expectCode(reader.putIData(utf8('x')), 'AccessDenied')
      await expectCode(reader.mutateMDataEntries({ name, tag: TAG }, []), 'AccessDenied')
      expect(network.log).toHaveLength(0)
      expect(await reader.getMDataVersion({ name, tag: TAG })).toBeGreaterThanOrEqual(0)
    })
  })

  describe('ImmutableData', () => {
    it('is offered to its Data-Managers, then put through the Maid-Managers, and charged once', async () => {
      const before = await client.getAccountInfo()
      const value = pseudoRandomBytes(10_000, 'put once')
      const result = await client.putIData(value)
      expect(result).toEqual({ name: immutableDataName(value), alreadyStored: false })
      expect(network.sent('OfferChunk').map(m => m.to).sort()).toEqual(group(result.name).map(n => n.id).sort())
      const puts = network.sent('PutIData')
      expect(puts.map(m => m.to).sort()).toEqual(group(client.account as XorName).map(n => n.id).sort())
      expect(puts[0]?.message).toMatchObject({ name: result.name, size: value.length })
      expect((await client.getAccountInfo()).mutationsDone).toBe(before.mutationsDone + 1)
    })

    it('skips the PutIData, and the charge, when Q Data-Managers already hold the chunk', async () => {
      const value = pseudoRandomBytes(5_000, 'stored twice')
      await client.putIData(value)
      const before = await client.getAccountInfo()
      network.reset()
      expect(await client.putIData(value)).toMatchObject({ alreadyStored: true })
      expect(network.sent('PutIData')).toHaveLength(0)
      expect(await client.getAccountInfo()).toEqual(before)
    })

    it('does not trust fewer than Q Data-Managers claiming to hold a chunk', async () => {
      const value = pseudoRandomBytes(5_000, 'claimed')
      const name = immutableDataName(value)
      for (const node of group(name).slice(0, 4)) node.behaviour = lying('OfferChunk', { type: 'OfferChunk', stored: true })
      expect(await client.putIData(value)).toMatchObject({ alreadyStored: false })
      expect(network.sent('PutIData')).toHaveLength(G)
      network.reset()
      expect(await client.getIData(name)).toEqual(value)
    })

    it('refuses values over the limit before sending anything', async () => {
      await expectCode(client.putIData(new Uint8Array(network.params.maxImmutableDataSize + 1)), 'DataTooLarge')
      expect(network.log).toHaveLength(0)
    })

    it('reads from the nearest Data-Manager first and never accepts bytes that do not hash to the name', async () => {
      const value = pseudoRandomBytes(3_000, 'read me')
      const { name } = await client.putIData(value)
      network.reset()
      expect(await client.getIData(name)).toEqual(value)
      expect(network.sent('GetIData').map(m => m.to)).toEqual([group(name)[0]?.id])

      network.reset()
      const [nearest, second] = group(name)
      if (nearest === undefined || second === undefined) throw new Error('no group')
      nearest.behaviour = lying('GetIData', { type: 'GetIData', value: utf8('forged') })
      second.behaviour = 'silent'
      expect(await client.getIData(name)).toEqual(value)
      expect(network.sent('GetIData')[0]?.to).toBe(nearest.id)

      network.reset()
      for (const node of group(name)) node.behaviour = lying('GetIData', { type: 'GetIData', value: utf8('forged') })
      await expectCode(client.getIData(name), 'NoQuorum')
    })

    it('is NoSuchData only when Q Data-Managers say so', async () => {
      const missing = immutableDataName(utf8('never stored'))
      await expectCode(client.getIData(missing), 'NoSuchData')
      network.reset()
      for (const node of group(missing).slice(0, 4)) node.behaviour = 'silent'
      await expectCode(client.getIData(missing), 'Timeout')
    })
  })
})
