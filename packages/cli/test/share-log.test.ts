import { describe, expect, it } from 'vitest'
import { bytesToHex, decodeShareLogRecord, encodeShareLogRecord, newMutableData, shareLogSegmentName } from '@safemesh/protocol'
import { FakeNetwork, type FakeNode } from '../../client/test/support/fake-network.js'
import { accountClient } from '../../client/test/support/helpers.js'
import { useCliFolder, type Run } from './support/run-cli.js'

const { cli } = useCliFolder()

/** `safemesh share log …` with no account, against the in-memory network. */
async function shareLogCli (args: string[], network: FakeNetwork): Promise<Run> {
  return await cli(['--timeout', '200', 'share', 'log', ...args], { network })
}

const share = new Uint8Array(32).fill(5)
const doctor = new Uint8Array(32).fill(6)

async function ownerWithLog (network: FakeNetwork): Promise<string> {
  const { client } = await accountClient(network)
  const log = client.shareLog()
  await log.append({ kind: 'share', share, path: '_documents/records/', recipients: [doctor], expires: Date.UTC(2030, 0, 1) })
  await log.append({ kind: 'link', share, link: new Uint8Array(32).fill(7) })
  await log.append({ kind: 'revoke', share, recipients: [doctor] })
  await log.append({ kind: 'payment', share, payer: new Uint8Array(32).fill(8), amount: 3, messageId: new Uint8Array(32).fill(9) })
  await client.close()
  return bytesToHex(client.owner as Uint8Array)
}

describe('safemesh share log ID [--verify]', () => {
  it('prints the verified history as one JSON object, with no account', async () => {
    const network = new FakeNetwork()
    const id = await ownerWithLog(network)
    const run = await shareLogCli([id, '--verify', '--json'], network)
    expect(run.code).toBe(0)
    expect(run.json).toMatchObject({
      id,
      log: bytesToHex(shareLogSegmentName(Buffer.from(id, 'hex'), 0)),
      ok: true,
      records: 4,
      head: expect.stringMatching(/^[0-9a-f]{64}$/),
      agreed: 8,
      problems: []
    })
    expect(run.json.events).toEqual([
      expect.objectContaining({ index: 0, kind: 'share', share: bytesToHex(share), path: '_documents/records/', recipients: [bytesToHex(doctor)], expires: '2030-01-01T00:00:00.000Z' }),
      expect.objectContaining({ index: 1, kind: 'link', link: '07'.repeat(32) }),
      expect.objectContaining({ index: 2, kind: 'revoke', recipients: [bytesToHex(doctor)] }),
      expect.objectContaining({ index: 3, kind: 'payment', amount: 3, payer: '08'.repeat(32), messageId: '09'.repeat(32) })
    ])
    const at = (run.json.events as Array<{ at: string }>)[0]?.at ?? ''
    expect(new Date(at).toISOString()).toBe(at)
  })

  it('prints one line per record for people', async () => {
    const network = new FakeNetwork()
    const id = await ownerWithLog(network)
    const run = await shareLogCli([id], network)
    expect(run.code).toBe(0)
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toBe(`share log of ${id}`)
    expect(lines[1]).toMatch(/^ {2}0 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}share +0505050505050505… "_documents\/records\/" with 0606060606060606… until 2030-01-01T00:00:00.000Z$/)
    expect(lines[3]).toMatch(/revoke +0505050505050505… from 0606060606060606…$/)
    expect(lines[4]).toMatch(/payment +0505050505050505… 3 credits from account 0808080808080808…$/)
    expect(lines[5]).toMatch(/^4 records signed by the owner and chained, head [0-9a-f]{64}$/)
    expect(lines[6]).toBe('verified')
  })

  it('--verify fails with exit 3 (InvalidRequest), naming the node and the record it altered', async () => {
    const network = new FakeNetwork()
    const id = await ownerWithLog(network)
    const name = shareLogSegmentName(Buffer.from(id, 'hex'), 0)
    const liar = network.closeGroup(name)[2] as FakeNode
    const [key, data] = [...liar.data.entries()].find(([, d]) => bytesToHex(d.name) === bytesToHex(name)) ?? []
    const entries = [...data!.entries.values()].sort((a, b) => Buffer.compare(a.key, b.key)).map(e => ({ ...e }))
    const { record, signature } = decodeShareLogRecord(entries[2]!.content)
    entries[2]!.content = encodeShareLogRecord({ ...record, event: { kind: 'revoke', share, recipients: [] } }, signature)
    liar.data.set(key!, newMutableData({ name: data!.name, tag: data!.tag, owners: data!.owners, version: data!.version, permissions: [...data!.permissions.values()], entries }))

    const run = await shareLogCli([id, '--verify', '--json'], network)
    expect(run.code).toBe(3)
    expect(run.json).toMatchObject({ ok: false, records: 4, agreed: 7, problems: [{ member: liar.id, index: 2, reason: expect.stringMatching(/^altered: /) }] })
    expect(run.stderr).toMatch(new RegExp(`^safemesh: InvalidRequest: the share log of ${id} fails verification: record 2 \\(node ${liar.id}\\): altered`))

    // Without --verify only the agreed log is read: it is intact.
    expect((await shareLogCli([id, '--json'], network)).json).toMatchObject({ ok: true, records: 4 })
    const human = await shareLogCli([id, '--verify'], network)
    expect(human.code).toBe(3)
    expect(human.stdout).toMatch(new RegExp(`problem: record 2 at node ${liar.id}: altered: `))
    expect(human.stdout).toMatch(/\nFAILED: 1 problem\n$/)
  })

  it('an ID that is not a key is bad usage; an ID without a log is NoSuchData', async () => {
    const network = new FakeNetwork()
    expect((await shareLogCli(['xyz', '--json'], network)).code).toBe(2)
    const none = await shareLogCli(['ab'.repeat(32), '--json'], network)
    expect(none.code).toBe(3)
    expect(none.json).toMatchObject({ error: { code: 'NoSuchData' } })
  })
})
