import { describe, expect, it } from 'vitest'
import {
  TYPE_TAG_SHARE_LOG, bytesToHex, decodeShareLogRecord, encodeShareLogRecord, newMutableData, shareLogKey,
  shareLogSegmentName, type MutableData, type ShareEvent
} from '@safemesh/protocol'
import type { ClientKeys } from '@safemesh/crypto'
import type { SafeMeshClient } from '../src/index.js'
import { ShareLog } from '../src/sharing/share-log.js'
import { FakeNetwork, type FakeNode } from './support/fake-network.js'
import { accountClient, connectedClient, expectCode, freshKeys } from './support/helpers.js'

const G = 8

function event (i: number): ShareEvent {
  const share = new Uint8Array(32).fill(i % 256)
  switch (i % 4) {
    case 0: return { kind: 'share', share, path: `_documents/records/${i}.pdf`, recipients: [new Uint8Array(32).fill(1)], expires: 1_900_000_000_000 }
    case 1: return { kind: 'link', share, link: new Uint8Array(32).fill(2) }
    case 2: return { kind: 'revoke', share, recipients: [new Uint8Array(32).fill(1)] }
    default: return { kind: 'payment', share, payer: new Uint8Array(32).fill(3), amount: i, messageId: new Uint8Array(32).fill(4) }
  }
}

/** The replica node `node` holds of a segment. */
function replicaAt (node: FakeNode, name: Uint8Array): MutableData {
  const data = [...node.data.values()].find(d => bytesToHex(d.name) === bytesToHex(name) && d.tag === TYPE_TAG_SHARE_LOG)
  if (data === undefined) throw new Error(`${node.id} holds no segment ${bytesToHex(name)}`)
  return data
}

/** Replaces node `node`'s replica of a segment by `change` of its entries (in key order). */
function rewrite (node: FakeNode, name: Uint8Array, change: (entries: Array<{ key: Uint8Array, content: Uint8Array, version: number }>) => void): void {
  const data = replicaAt(node, name)
  const entries = [...data.entries.values()].sort((a, b) => Buffer.compare(a.key, b.key)).map(e => ({ ...e }))
  change(entries)
  const [key] = [...node.data.entries()].find(([, d]) => d === data) ?? []
  node.data.set(key as string, newMutableData({ name: data.name, tag: data.tag, owners: data.owners, version: data.version, entries }))
}

async function ownerWithLog (network: FakeNetwork, records: number): Promise<{ owner: Uint8Array, log: ShareLog, client: SafeMeshClient, close: () => Promise<void> }> {
  const { client } = await accountClient(network)
  const log = client.shareLog()
  await log.ensure()
  for (let i = 0; i < records; i++) await log.append(event(i))
  return { owner: client.owner as Uint8Array, log, client, close: async () => { await client.close() } }
}

describe('the share log: written by its owner, verified by anyone', () => {
  it('appends signed, chained records that a connected client verifies, with every Data-Manager agreeing', async () => {
    const network = new FakeNetwork({ groupSize: G })
    const { owner, log, close } = await ownerWithLog(network, 6)
    const reader = await connectedClient(network)
    const report = await reader.verifyShareLog(bytesToHex(owner))
    expect(report.ok).toBe(true)
    expect(report.problems).toEqual([])
    expect(report.records.map(r => r.event)).toEqual([0, 1, 2, 3, 4, 5].map(event))
    expect(report.head).toEqual(report.records[5]?.hash)
    expect(report.agreed).toBe(G)
    expect(report.log).toEqual(shareLogSegmentName(owner, 0))
    // The segment after the last one: every member agrees it does not exist.
    expect(report.members.filter(m => m.segment === 6).every(m => m.state === 'agreed')).toBe(true)
    expect((await log.read()).length).toBe(6)
    await reader.close()
    await close()
  })

  it('names the member and the record when one Data-Manager altered, removed or reordered a record', async () => {
    const network = new FakeNetwork({ groupSize: G })
    const { owner, close } = await ownerWithLog(network, 8)
    const reader = await connectedClient(network)
    const name = shareLogSegmentName(owner, 0)
    const [altered, removed, reordered] = network.closeGroup(name)
    rewrite(altered as FakeNode, name, entries => {
      const { record, signature } = decodeShareLogRecord(entries[3]!.content)
      entries[3]!.content = encodeShareLogRecord({ ...record, event: { kind: 'expiry', share: new Uint8Array(32) } }, signature)
    })
    rewrite(removed as FakeNode, name, entries => { entries.splice(5, 1) })
    rewrite(reordered as FakeNode, name, entries => {
      const two = entries[2]!.content
      entries[2]!.content = entries[6]!.content
      entries[6]!.content = two
    })
    const report = await reader.verifyShareLog(owner)
    expect(report.ok).toBe(false)
    // The quorum's log is intact; each bad replica is named with its first bad record.
    expect(report.records.length).toBe(8)
    expect(report.problems).toEqual(expect.arrayContaining([
      { member: altered?.id, index: 3, reason: expect.stringMatching(/^altered: record 3 is not signed by the owner/) },
      { member: removed?.id, index: 5, reason: expect.stringMatching(/^removed: record 5 is missing/) },
      { member: reordered?.id, index: 2, reason: expect.stringMatching(/^reordered: the entry of record 2 holds record 6/) }
    ]))
    expect(report.problems.length).toBe(3)
    expect(report.agreed).toBe(G - 3)
    await reader.close()
    await close()
  })

  it('a member only behind (a prefix of the agreed log) or silent is no problem', async () => {
    const network = new FakeNetwork({ groupSize: G })
    const { owner, close } = await ownerWithLog(network, 5)
    const reader = await connectedClient(network)
    const name = shareLogSegmentName(owner, 0)
    const [behind, silent] = network.closeGroup(name)
    rewrite(behind as FakeNode, name, entries => { entries.splice(3) })
    ;(silent as FakeNode).behaviour = 'silent'
    const report = await reader.verifyShareLog(owner)
    expect(report.ok).toBe(true)
    expect(report.members.find(m => m.member === behind?.id && m.segment === 0)).toMatchObject({ state: 'behind', records: 3 })
    expect(report.members.find(m => m.member === silent?.id && m.segment === 0)).toMatchObject({ state: 'silent' })
    expect(report.agreed).toBe(G - 2)
    await reader.close()
    await close()
  })

  it('fails with no member named when the agreed log itself is bad (Q members altered the same record)', async () => {
    const network = new FakeNetwork({ groupSize: G })
    const { owner, close } = await ownerWithLog(network, 4)
    const reader = await connectedClient(network)
    const name = shareLogSegmentName(owner, 0)
    const [honest, ...forgers] = network.closeGroup(name)
    for (const node of forgers) {
      rewrite(node, name, entries => { entries[1]!.content = entries[1]!.content.map((b, i) => i === 20 ? b ^ 1 : b) })
    }
    const agreedOnly = await reader.verifyShareLog(owner, { members: false })
    expect(agreedOnly.ok).toBe(false)
    expect(agreedOnly.records.length).toBe(1)
    expect(agreedOnly.problems).toEqual([{ index: 1, reason: expect.stringMatching(/^(altered|malformed): /) }])
    // Asked one by one, the forgers hold the quorum's bad record (not blamed twice); the honest one is sound.
    const report = await reader.verifyShareLog(owner)
    expect(report.problems).toEqual(agreedOnly.problems)
    expect(report.members.find(m => m.member === honest?.id)).toMatchObject({ state: 'sound', records: 4 })
    expect(report.members.filter(m => m.state === 'agreed').length).toBe(G - 1)
    await reader.close()
    await close()
  })

  it('outgrows one MutableData: full segments are followed by new ones, read and verified in order', async () => {
    const network = new FakeNetwork({ groupSize: G, maxMutableDataEntries: 10 })
    const { owner, client, close } = await ownerWithLog(network, 25)
    // Another session of the owner finds the tail across the segments and goes on.
    const again = new ShareLog(client, (client.keys as ClientKeys).sign)
    expect((await again.append(event(25))).index).toBe(25)
    const reader = await connectedClient(network)
    const report = await reader.verifyShareLog(owner)
    expect(report.ok).toBe(true)
    expect(report.records.map(r => r.index)).toEqual([...Array(26).keys()])
    expect([...new Set(report.members.map(m => m.segment))]).toEqual([0, 10, 20, 26])
    for (const first of [10, 20]) {
      const segment = replicaAt(network.closeGroup(shareLogSegmentName(owner, first))[0] as FakeNode, shareLogSegmentName(owner, first))
      expect([...segment.entries.values()].map(e => bytesToHex(e.key))).toContain(bytesToHex(shareLogKey(first)))
    }
    await reader.close()
    await close()
  })

  it('two sessions of one owner appending at once both land, each at its own index', async () => {
    const network = new FakeNetwork({ groupSize: G })
    const { client, keys } = await accountClient(network)
    const first = client.shareLog()
    await first.ensure()
    await first.append(event(0))
    const second = new ShareLog(client, keys.sign)
    await Promise.all([first.append(event(1)), second.append(event(2)), first.append(event(3)), second.append(event(4))])
    const report = await client.verifyShareLog(keys.sign.publicKey)
    expect(report.ok).toBe(true)
    expect(report.records.map(r => r.event.share[0]).sort()).toEqual([0, 1, 2, 3, 4])
    await client.close()
  })

  it('only the owner writes it; an ID with no log is NoSuchData; an ID is 64 hex digits', async () => {
    const network = new FakeNetwork({ groupSize: G })
    const reader = await connectedClient(network)
    expect(() => reader.shareLog()).toThrow(/only the account's owner/)
    await expectCode(reader.verifyShareLog(new Uint8Array(32).fill(9)), 'NoSuchData')
    await expectCode(reader.verifyShareLog('abc'), 'InvalidRequest')
    await reader.close()
  })

  it('ensure refuses a log name taken by a MutableData that is not the owner\'s log', async () => {
    const network = new FakeNetwork({ groupSize: G })
    const { client: squatter, keys: squatterKeys } = await accountClient(network)
    const victim = await freshKeys()
    // Without the network's rule for tag 1005 (assertShareLogSegmentPut), anyone may take the name first.
    await squatter.putMData(newMutableData({ name: shareLogSegmentName(victim.sign.publicKey, 0), tag: TYPE_TAG_SHARE_LOG, owners: [squatterKeys.sign.publicKey] }))
    const err = await expectCode(new ShareLog(squatter, victim.sign).ensure(), 'DataExists')
    expect(err.message).toMatch(/taken: the segment of record 0 is not owned by the log's owner/)
    await squatter.close()
  })
})
