/**
 * What `share log ID --verify` costs (issue 15): a share log of 1,000 records (a full segment) on a
 * testnet of real node processes, verified by a connected client with no account: the agreed log
 * alone, and with every Data-Manager asked for its own replica. Also the owner's append.
 *
 *     npx tsc -b && node bench/dist/safemesh/run-share-log-verify.js [--nodes 12] [--group-size 8] [--records 1000] [--runs 5]
 *
 * The 1,000 records are signed and chained exactly as `ShareLog.append` makes them but stored in
 * one mutation (appending them one by one costs 1,000 mutations and minutes, and is not what is
 * measured); `--appends` of them are then timed through `ShareLog.append`.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { sign, verify } from '@safemesh/crypto'
import { createAccount, createClient, isSafeMeshError, type ClientOptions, type ShareEvent } from '@safemesh/client'
import {
  SHARE_LOG_GENESIS, TYPE_TAG_SHARE_LOG, bytesToHex, encodeShareLogRecord, newMutableData, shareLogKey, shareLogName, shareLogRecordHash,
  signShareLogRecord, verifyShareLog, type ShareLogRecord
} from '@safemesh/protocol'
import { Testnet } from '@safemesh/testnet'
import { median } from '../lib/stats.js'
import { startTestnet } from './start-testnet.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '12' },
    'group-size': { type: 'string', default: '8' },
    records: { type: 'string', default: '1000' },
    appends: { type: 'string', default: '20' },
    runs: { type: 'string', default: '5' },
    help: { type: 'boolean', default: false }
  }
})
if (values.help) {
  console.log('node bench/dist/safemesh/run-share-log-verify.js [--nodes 12] [--group-size 8] [--records 1000] [--appends 20] [--runs 5]')
  process.exit(0)
}
const nodes = Number(values.nodes)
const groupSize = Number(values['group-size'])
const records = Number(values.records)
const appends = Number(values.appends)
const runs = Number(values.runs)

/** A realistic mix: shares to two people with an expiry, links, payments, revocations. */
function eventNumber (i: number): ShareEvent {
  const share = new Uint8Array(randomBytes(32))
  switch (i % 4) {
    case 0: return { kind: 'share', share, path: `_documents/records/visit-${i}.pdf`, recipients: [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))], expires: Date.now() + 86_400_000 }
    case 1: return { kind: 'link', share, link: new Uint8Array(randomBytes(32)) }
    case 2: return { kind: 'payment', share, payer: new Uint8Array(randomBytes(32)), amount: 5, messageId: new Uint8Array(randomBytes(32)) }
    default: return { kind: 'revoke', share, recipients: [new Uint8Array(randomBytes(32))] }
  }
}

const CLI = fileURLToPath(new URL('../../../packages/cli/dist/src/bin/safemesh.js', import.meta.url))

/** Runs the `safemesh` command line to completion; its stdout (throws on a non-zero exit). */
async function cli (args: string[]): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  if (code !== 0) throw new Error(`safemesh ${args.join(' ')} exited ${String(code)}: ${stdout}${stderr}`)
  return stdout
}

const line = (label: string, value: string): void => { console.log(`${label.padEnd(58)} ${value}`) }
const ms = (values: number[]): string => `${median(values).toFixed(0)} ms (median of ${values.length}; ${values.map(v => v.toFixed(0)).join(', ')})`

const dir = await mkdtemp(join(tmpdir(), 'safemesh-bench-share-log-'))
const testnet = new Testnet({ dir, groupSize, accountOps: records + appends + 100, logLevel: 'warn', detached: false })
try {
  // A few nodes at a time: a dozen node processes starting at once on a busy machine miss their start limit.
  await startTestnet(testnet, nodes, new AbortController().signal, (message) => { process.stderr.write(`${message}\n`) })
  const options: ClientOptions = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize, salt: testnet.salt }, kdf: { opsLimit: 1, memLimit: 8 * 2 ** 20 } }
  console.log(`# share log --verify on ${nodes} node processes, G = ${groupSize}, ${records} records (${new Date().toISOString()})`)
  const owner = await createAccount({ secret: `bench ${randomBytes(8).toString('hex')}`, password: 'bench password: cobalt heron 88' }, options)
  const keys = owner.keys
  if (keys === undefined) throw new Error('the owner has no keys')
  const ownerKey = keys.sign.publicKey

  let prev = SHARE_LOG_GENESIS
  const entries: Array<{ key: Uint8Array, content: Uint8Array }> = []
  for (let index = 0; index < records; index++) {
    const record: ShareLogRecord = { index, prev, at: Date.now(), event: eventNumber(index) }
    const content = encodeShareLogRecord(record, signShareLogRecord(record, (m) => sign(m, keys.sign.secretKey)))
    entries.push({ key: shareLogKey(index), content })
    prev = shareLogRecordHash(content)
  }
  const bytes = entries.reduce((n, e) => n + e.content.length, 0)
  // Account creation may already have made the (empty) log: then one batch of inserts fills it.
  const address = { name: shareLogName(ownerKey), tag: TYPE_TAG_SHARE_LOG }
  try {
    await owner.putMData(newMutableData({ ...address, owners: [ownerKey], entries }))
  } catch (err) {
    if (!(isSafeMeshError(err) && err.code === 'DataExists')) throw err
    await owner.mutateMDataEntries(address, entries.map(({ key, content }) => ({ key, action: { kind: 'Insert' as const, content } })))
  }
  line('records stored', `${records} (${(bytes / 1024).toFixed(0)} KiB of record content, ${(bytes / records).toFixed(0)} bytes a record)`)

  const pure: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    if (!verifyShareLog(entries, ownerKey, verify).ok) throw new Error('the log does not verify locally')
    pure.push(performance.now() - started)
  }
  line(`verify ${records} records in memory (signatures, chain)`, ms(pure))

  const timed = async (members: boolean, expected = records): Promise<number[]> => {
    const times: number[] = []
    for (let i = 0; i < runs; i++) {
      const auditor = await createClient(options)
      try {
        const started = performance.now()
        const report = await auditor.verifyShareLog(ownerKey, { members })
        times.push(performance.now() - started)
        if (!report.ok || report.records.length !== expected) throw new Error(`verification failed: ${JSON.stringify(report.problems)}`)
        if (members && i === 0) line('Data-Managers holding exactly the agreed log', `${report.agreed} of ${groupSize}`)
      } finally {
        await auditor.close()
      }
    }
    return times
  }
  line(`verify from the network, agreed log only (${records} records)`, ms(await timed(false)))
  line(`verify from the network, --verify: + each member (${records})`, ms(await timed(true)))

  // What a person waits for: the whole `safemesh share log ID --verify` process (start, join, verify).
  const cliTimes: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const run = await cli(['--network', testnet.networkFile, '--json', 'share', 'log', bytesToHex(ownerKey), '--verify'])
    cliTimes.push(performance.now() - started)
    const report = JSON.parse(run) as { ok: boolean, records: number }
    if (!report.ok || report.records !== records) throw new Error(`safemesh share log failed: ${run}`)
  }
  line(`safemesh share log ID --verify (whole process, ${records})`, ms(cliTimes))

  // The owner appends: the first append reads (and verifies) the whole log to find its tail; when
  // the first segment is full, it starts the next one (a PutMData), the rest insert into that.
  const log = owner.shareLog()
  const times: number[] = []
  for (let i = 0; i < appends; i++) {
    const started = performance.now()
    await log.append(eventNumber(records + i))
    times.push(performance.now() - started)
  }
  if (appends > 0) line(`first append (reads the log${records >= 1000 ? ', starts segment 2' : ''})`, `${(times[0] ?? 0).toFixed(0)} ms`)
  if (appends > 1) line('each later append (one insert)', ms(times.slice(1)))
  if (appends > 0) line(`verify from the network, --verify: + each member (${records + appends})`, ms(await timed(true, records + appends)))
  await owner.close()
} finally {
  await testnet.down()
  await rm(dir, { recursive: true, force: true })
}
