import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClientOptions, type SafeMeshClient, type ShareLogReport, createAccount, createClient } from '@safemesh/client'
import {
  TYPE_TAG_SHARE_LOG, bytesToHex, decodeShareLogRecord, encodeShareLogRecord, listEntries, newMutableData,
  shareLogKey, shareLogSegmentName, type MutableDataEntry, type ShareEvent, type XorName
} from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import { Store } from '../packages/node/src/store/store.js'
import { ReplicaStore, replicaKey } from '../packages/node/src/personas/data-manager/replica-store.js'
import { trueGroup } from './support/grind.js'
import { runNode } from './support/process.js'
import { eventually, startTestnet, stopTestnet } from './support/testnet.js'
import { codeOf } from './support/error-code.js'

const G = 5
const NODES = 7
const RECORDS = 20
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'packages', 'cli', 'dist', 'src', 'bin', 'safemesh.js')
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }

function eventNumber (i: number): ShareEvent {
  const share = new Uint8Array(32).fill(i % 3)
  const doctor = new Uint8Array(32).fill(10 + (i % 2))
  switch (i % 5) {
    case 0: return { kind: 'share', share, path: `_documents/records/visit-${i}.pdf`, recipients: [doctor], expires: Date.now() + 86_400_000 }
    case 1: return { kind: 'expiry', share, expires: Date.now() + 3_600_000 }
    case 2: return { kind: 'link', share, link: new Uint8Array(32).fill(i) }
    case 3: return { kind: 'payment', share, payer: new Uint8Array(32).fill(20), amount: i, messageId: new Uint8Array(32).fill(i) }
    default: return { kind: 'revoke', share, recipients: [doctor] }
  }
}

type Entries = Array<{ key: Uint8Array, content: Uint8Array, version: number }>

describe(`the share log on a ${NODES}-node testnet (G = ${G})`, () => {
  let testnet: Testnet
  let options: ClientOptions
  let owner: SafeMeshClient
  let ownerKey: Uint8Array
  let logName: XorName
  let members: string[]
  let dir: string

  beforeAll(async () => {
    // Info logs: the test of a repaired replica reads the node's own account of the repair.
    testnet = await startTestnet(NODES, { groupSize: G, logLevel: 'info' })
    options = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt }, kdf: KDF }
    dir = await mkdtemp(join(tmpdir(), 'safemesh-share-log-'))
    owner = await createAccount({ secret: `share log ${randomBytes(8).toString('hex')}`, password: 'share log password: amber quay 51' }, options)
    ownerKey = owner.owner as Uint8Array
    logName = shareLogSegmentName(ownerKey, 0)
    members = trueGroup(logName, testnet.records().map(r => r.peerId as string), G)
  })
  afterAll(async () => {
    await owner?.close()
    await stopTestnet(testnet)
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  /** Verifies from a fresh connected client (it sees restarted nodes) once every member of the true group answers. */
  const verifyFromScratch = async (): Promise<ShareLogReport> => {
    let report: ShareLogReport | undefined
    await eventually(async () => {
      const auditor = await createClient(options)
      try {
        report = await auditor.verifyShareLog(bytesToHex(ownerKey))
      } finally {
        await auditor.close()
      }
      // A node just restarted may not be in a new client's view yet: its group then has another member.
      const answered = report.members.filter(m => m.segment === 0 && m.state !== 'silent').map(m => m.member)
      return answered.length === G && answered.every(m => members.includes(m))
    }, 60_000, 1_000)
    return report as ShareLogReport
  }

  /**
   * Stops node `peer`, rewrites its replica of the log's first segment, and starts it again. By
   * default the forged replica claims a later step, as a lying node would: one that differs at the
   * same step is repaired by the group as soon as the node is back (the last test).
   */
  const rewriteReplica = async (peer: string, change: (entries: Entries) => void, step = 1): Promise<Entries> => {
    const index = testnet.records().findIndex(r => r.peerId === peer)
    await testnet.stopNode(index)
    const store = await Store.open(join(testnet.record(index).dataDir, 'store'))
    let before: Entries
    try {
      const replicas = new ReplicaStore(store)
      const key = replicaKey(logName, TYPE_TAG_SHARE_LOG)
      const { data, seq } = await replicas.get(key)
      if (data == null) throw new Error(`node ${index} holds no replica of the log`)
      before = listEntries(data).map((e: MutableDataEntry) => ({ ...e }))
      const entries = before.map(e => ({ ...e }))
      change(entries)
      await replicas.put(key, { data: newMutableData({ name: data.name, tag: data.tag, owners: data.owners, permissions: [...data.permissions.values()], version: data.version, entries }), seq: seq + step })
    } finally {
      await store.close()
    }
    await testnet.restart(index)
    return before
  }

  it(`the owner appends ${RECORDS} events; anyone verifies them with every Data-Manager agreeing`, async () => {
    const log = owner.shareLog()
    await log.ensure()
    const started = performance.now()
    for (let i = 0; i < RECORDS; i++) expect((await log.append(eventNumber(i))).index).toBe(i)
    console.info(`${RECORDS} appends took ${(performance.now() - started).toFixed(0)} ms`)

    const report = await verifyFromScratch()
    expect(report.ok).toBe(true)
    expect(report.problems).toEqual([])
    expect(report.records.map(r => r.event.kind)).toEqual(Array.from({ length: RECORDS }, (_, i) => eventNumber(i).kind))
    expect(report.head).toEqual(report.records.at(-1)?.hash)
    expect(report.agreed).toBe(G)
    expect(report.members.filter(m => m.segment === 0).map(m => m.member).sort()).toEqual([...members].sort())

    const cli = await runNode([CLI, '--network', testnet.networkFile, 'share', 'log', bytesToHex(ownerKey), '--verify', '--json'], { cwd: dir })
    expect(cli.code, cli.stderr).toBe(0)
    expect(JSON.parse(cli.stdout)).toMatchObject({ id: bytesToHex(ownerKey), log: bytesToHex(logName), ok: true, records: RECORDS, agreed: G, problems: [] })
  })

  it('an update, a delete, a permission or an owner change sent to the log is refused (append-only)', async () => {
    const address = { name: logName, tag: TYPE_TAG_SHARE_LOG }
    const first = await owner.getMDataValue(address, shareLogKey(0))
    expect(await codeOf(owner.mutateMDataEntries(address, [{ key: shareLogKey(0), action: { kind: 'Update', content: first.content, version: 1 } }]))).toBe('InvalidOperation')
    expect(await codeOf(owner.mutateMDataEntries(address, [{ key: shareLogKey(RECORDS - 1), action: { kind: 'Delete', version: 1 } }]))).toBe('InvalidOperation')
    expect(await codeOf(owner.setMDataUserPermissions(address, { user: { kind: 'Anyone' }, permissions: { Insert: true }, version: 1 }))).toBe('InvalidOperation')
    expect(await codeOf(owner.changeMDataOwner(address, { newOwner: new Uint8Array(32).fill(1), version: 1 }))).toBe('InvalidOperation')
    // Nothing changed: the log still verifies, whole.
    const after = await owner.verifyShareLog(ownerKey, { members: false })
    expect(after.ok).toBe(true)
    expect(after.records.length).toBe(RECORDS)
  })

  it('a node whose store was rewritten at the same step is repaired by its group when it comes back', async () => {
    const [node] = members as [string]
    await rewriteReplica(node, entries => { entries.splice(5, 1) }, 0)
    // Q honest members vouch for the same step with another digest: it adopts theirs (an answer
    // it gives before that would name it, so the check is repeated until it is repaired).
    let report = await verifyFromScratch()
    console.info(`first verification after the restart: the node was ${report.members.find(m => m.member === node && m.segment === 0)?.state ?? 'not asked'}`)
    await eventually(async () => {
      report = await verifyFromScratch()
      return report.members.find(m => m.member === node && m.segment === 0)?.state === 'agreed'
    }, 60_000, 1_000)
    expect(report.members.find(m => m.member === node && m.segment === 0)).toMatchObject({ state: 'agreed', records: RECORDS })
    expect(report.ok).toBe(true)
    expect(report.agreed).toBe(G)
    // It held the rewritten replica, and took the group's in its place.
    const nodeLog = await readFile(testnet.record(testnet.records().findIndex(r => r.peerId === node)).logFile, 'utf8')
    const repair = nodeLog.split('\n').find(l => l.includes('replica adopted on a quorum') && l.includes(replicaKey(logName, TYPE_TAG_SHARE_LOG)))
    expect(repair, 'the node logged the repair of the log\'s replica').toBeDefined()
  })

  it('a record altered, reordered or removed in one node\'s store fails the verification, naming the node and the record', async () => {
    const [altering, reordering] = members.slice(-2) as [string, string]
    // One node alters record 7 (re-encoded with another event, under its old signature)…
    const original = await rewriteReplica(altering, entries => {
      const { record, signature } = decodeShareLogRecord(entries[7]!.content)
      entries[7]!.content = encodeShareLogRecord({ ...record, event: { kind: 'revoke', share: record.event.share, recipients: [] } }, signature)
    })
    // …another swaps records 3 and 15.
    await rewriteReplica(reordering, entries => {
      const three = entries[3]!.content
      entries[3]!.content = entries[15]!.content
      entries[15]!.content = three
    })
    const report = await verifyFromScratch()
    console.info('problems found:', JSON.stringify(report.problems))
    expect(report.ok).toBe(false)
    // The quorum's log is intact (3 of 5 members hold it); the two forgers are named.
    expect(report.records.length).toBe(RECORDS)
    expect(report.agreed).toBe(G - 2)
    expect(report.problems).toEqual(expect.arrayContaining([
      { member: altering, index: 7, reason: expect.stringMatching(/^altered: record 7 is not signed by the owner/) },
      { member: reordering, index: 3, reason: expect.stringMatching(/^reordered: the entry of record 3 holds record 15/) }
    ]))
    expect(report.problems.length).toBe(2)

    // The first node now removes record 12 instead (its other records as they were).
    await rewriteReplica(altering, entries => {
      entries.splice(0, entries.length, ...original)
      entries.splice(12, 1)
    })
    const removed = await verifyFromScratch()
    expect(removed.ok).toBe(false)
    expect(removed.problems).toEqual(expect.arrayContaining([
      { member: altering, index: 12, reason: expect.stringMatching(/^removed: record 12 is missing/) },
      { member: reordering, index: 3, reason: expect.stringMatching(/^reordered: /) }
    ]))

    // A new CLI process joins like any client: asked once its view holds the restarted node.
    let cli = await runNode([CLI, '--network', testnet.networkFile, 'share', 'log', bytesToHex(ownerKey), '--verify', '--json'], { cwd: dir })
    await eventually(async () => {
      cli = await runNode([CLI, '--network', testnet.networkFile, 'share', 'log', bytesToHex(ownerKey), '--verify', '--json'], { cwd: dir })
      return cli.stdout.includes(altering)
    }, 60_000, 1_000)
    expect(cli.code, cli.stderr).toBe(3)
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: false, records: RECORDS, problems: expect.arrayContaining([expect.objectContaining({ member: altering, index: 12 })]) })
    expect(cli.stderr).toMatch(/^safemesh: InvalidRequest: the share log of [0-9a-f]{64} fails verification: record /)
    // For people: one line per record, then the problems.
    const human = await runNode([CLI, '--network', testnet.networkFile, 'share', 'log', bytesToHex(ownerKey), '--verify'], { cwd: dir })
    expect(human.code).toBe(3)
    expect(human.stdout.split('\n').filter(l => /^ +\d+ {2}\d{4}-\d\d-\d\dT/.test(l)).length).toBe(RECORDS)
    expect(human.stdout).toContain(`problem: record 12 at node ${altering}: removed: record 12 is missing`)
  })
})
