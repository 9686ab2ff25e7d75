/**
 * What the quorum hand-over of MutableData costs when one node joins: a testnet of real node
 * processes, `--count` small MutableData stored, one node added, and the requests and bytes
 * the nodes served until the newcomer held every MutableData it is now responsible for.
 * `node bench/dist/handover/run-handover.js --help` for the options.
 */
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { bytesToHex, encodeMessage, quorumOf, type MutableData } from '@safemesh/protocol'
import { isAlive, Testnet, type NodeRecord } from '@safemesh/testnet'
import { progress } from '../lib/progress.js'
import { withNodeLogs } from '../safemesh/node-logs.js'
import { waitUntilQuiet } from '../safemesh/probe.js'
import { startTestnet } from '../safemesh/start-testnet.js'
import { difference, readCounters, type Counters } from './counters.js'
import { closeGroupOf, membersOf, type Member } from './membership.js'
import { pollNewcomer, type HoldReport } from './newcomer.js'
import { HELP, parseOptions, type HandOverOptions } from './options.js'
import { abortOnInterrupt, parseOrExit } from '../lib/cli.js'
import { openAccount, putAll, smallMutableData, waitForReplicas } from './populate.js'
import { RawClient } from './raw-client.js'
import { formatReport, type Window } from './report.js'
import { forEachLimited } from './wait.js'

/** Counters are read once the nodes together use less than this of the CPU over 2 s (or after 60 s). */
const QUIET = { maxCores: 0.3, windowMs: 2_000, timeoutMs: 60_000 } as const
const REPLICAS_TIMEOUT = 300_000
const ADD_TIMEOUT = 120_000

const options = parseOrExit(parseOptions, HELP)
const interrupted = abortOnInterrupt({ report: (signal) => { progress(`${signal}: stopping (again to force)`) }, graceMs: 30_000 })

const dir = await mkdtemp(join(tmpdir(), 'safemesh-handover-'))
const testnet = new Testnet({
  dir,
  logLevel: options.logLevel,
  groupSize: options.groupSize,
  // The account's allowance covers the opening, every PutMData and their retries.
  accountOps: Math.max(1000, 2 * options.count + 10),
  detached: false
})
// Also on a forced exit, which skips the `finally` below. The nodes exit with this process
// anyway (each watches its stdin pipe); this only makes it immediate.
process.on('exit', () => {
  for (const record of testnet.records()) {
    if (record.pid != null && isAlive(record.pid)) {
      try { process.kill(record.pid, 'SIGKILL') } catch {}
    }
  }
  if (!(options?.keep ?? false)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
})

let exitCode = 0
let client: RawClient | undefined
try {
  exitCode = await run(options, interrupted.signal)
} catch (err) {
  const error = interrupted.signal.aborted ? interrupted.signal.reason as Error : await withNodeLogs(err, testnet.records())
  process.stderr.write(`handover bench failed: ${error.stack ?? error.message}\n`)
  exitCode = interrupted.signal.aborted ? 130 : 1
} finally {
  await client?.close().catch(() => {})
  await testnet.down().catch(err => { process.stderr.write(`stopping the testnet: ${(err as Error).message}\n`) })
  if (options.keep) progress(`kept ${dir}`)
  else await rm(dir, { recursive: true, force: true, maxRetries: 3 })
}
process.exit(exitCode)

async function run (options: HandOverOptions, signal: AbortSignal): Promise<number> {
  const G = options.groupSize
  progress(`starting ${options.nodes} nodes (G = ${G}) in ${dir}`)
  await startTestnet(testnet, options.nodes, signal)
  client = await RawClient.connect(testnet)
  await openAccount(client)
  const data = Array.from({ length: options.count }, () => smallMutableData(client as RawClient, options.entries))
  const mdBytes = Math.round(data.reduce((n, md) => n + encodeMessage({ type: 'PushMData', data: md, seq: 0 }).byteLength, 0) / data.length)
  progress(`storing ${options.count} MutableData, ${options.concurrency} at once`)
  const put = await putAll(client, data, options.concurrency, signal)
  const membersBefore = membersOf(testnet.records())
  progress('waiting for every replica')
  const replicaSeconds = await waitForReplicas(client, data, membersBefore, G, options.concurrency, REPLICAS_TIMEOUT, signal)
  progress('every replica in place; waiting for the nodes to be quiet')
  await waitUntilQuiet(testnet.records(), { ...QUIET, signal })

  let warmUp: string | undefined
  if (options.warmUp) {
    progress('warm-up: one node joins, not measured')
    const join = await joinOne(options, data, signal)
    if (!join.hold.complete) throw new Error(`warm-up: node ${join.added.index} holds only ${join.hold.heldAt.length} of ${join.moved.length} after ${options.timeoutSeconds} s`)
    await waitUntilQuiet(testnet.records(), { ...QUIET, signal })
    warmUp = `warm-up: node ${join.added.index} joined first (not measured) and held its ${join.moved.length} MutableData ${((join.hold.heldAt.at(-1) ?? 0) / 1000).toFixed(1)} s after add() returned`
  }

  const nodesBefore = testnet.size
  const before = await readAll(testnet.records())
  const clientBefore = await client.counters()
  const { added, newcomer, moved, addSeconds, hold } = await joinOne(options, data, signal)
  const atHeld = await readAll(testnet.records())
  const clientAtHeld = await client.counters()
  progress(hold.complete ? `the newcomer holds all ${moved.length}; waiting for the nodes to be quiet` : `the newcomer holds only ${hold.heldAt.length} of ${moved.length} after ${options.timeoutSeconds} s`)
  const quietFrom = performance.now()
  const quiet = await waitUntilQuiet(testnet.records(), { ...QUIET, signal })
  const after = await readAll(testnet.records())
  const clientAfter = await client.counters()
  const viewDisagreements = await compareViews(newcomer, data, membersOf(testnet.records()), G)

  process.stdout.write(`${formatReport({
    nodes: nodesBefore,
    warmUp,
    groupSize: G,
    quorum: quorumOf(G),
    count: options.count,
    entries: options.entries,
    mdBytes,
    putSeconds: put.seconds,
    putRetries: put.retries,
    replicaSeconds,
    addSeconds,
    newcomerIndex: added.index,
    hold,
    window: windowOf(before, after, clientBefore, clientAfter, added.index),
    untilHeld: windowOf(before, atHeld, clientBefore, clientAtHeld, added.index),
    settle: { seconds: (performance.now() - quietFrom) / 1000, cores: quiet.cores },
    viewDisagreements
  })}\n`)
  if (!hold.complete) {
    process.stderr.write(`the newcomer holds ${hold.heldAt.length} of the ${moved.length} MutableData it should, ${options.timeoutSeconds} s after it was added\n`)
    return 1
  }
  return 0
}

interface Join {
  added: NodeRecord
  newcomer: Member
  /** The MutableData whose close group includes the newcomer. */
  moved: MutableData[]
  /** From calling add(1) until it returned. */
  addSeconds: number
  hold: HoldReport
}

/** Adds one node and polls it until it holds every one of `data` whose close group now includes it, or the timeout. */
async function joinOne (options: HandOverOptions, data: readonly MutableData[], signal: AbortSignal): Promise<Join> {
  if (client == null) throw new Error('no client')
  const addStarted = performance.now()
  const added = (await testnet.add(1, { signal, timeoutMs: ADD_TIMEOUT }))[0] as NodeRecord
  const addReturned = performance.now()
  const members = membersOf(testnet.records())
  const newcomer = members.find(m => m.index === added.index) as Member
  const moved = data.filter(md => closeGroupOf(md.name, members, options.groupSize).some(m => m.index === newcomer.index))
  progress(`node ${added.index} added in ${((addReturned - addStarted) / 1000).toFixed(1)} s; ${moved.length} of ${data.length} MutableData now have it in their close group`)
  if (added.address == null) throw new Error(`node ${added.index} has no address`)
  // The client's view learns of the newcomer only at its next walk: it is dialled by its address.
  await client.host.peerStore.merge(newcomer.peer, { multiaddrs: [multiaddr(added.address.split('/p2p/')[0])] })
  const hold = await pollNewcomer(client, newcomer, moved, addReturned, {
    concurrency: options.concurrency,
    pollMs: options.pollMs,
    timeoutMs: options.timeoutSeconds * 1000,
    signal
  })
  return { added, newcomer, moved, addSeconds: (addReturned - addStarted) / 1000, hold }
}

async function readAll (records: readonly NodeRecord[]): Promise<Map<number, Counters>> {
  const all = await Promise.all(records.map(async r => [r.index, await readCounters(r)] as const))
  return new Map(all)
}

function windowOf (before: Map<number, Counters>, after: Map<number, Counters>, clientBefore: Counters, clientAfter: Counters, newcomerIndex: number): Window {
  const others = new Map<number, Counters>()
  for (const [index, counters] of after) {
    if (index === newcomerIndex) continue
    const earlier = before.get(index)
    if (earlier == null) throw new Error(`no counters of node ${index} from before the node was added`)
    others.set(index, difference(counters, earlier))
  }
  const newcomer = after.get(newcomerIndex)
  if (newcomer == null) throw new Error(`no counters of the newcomer, node ${newcomerIndex}`)
  return { newcomer, others, client: difference(clientAfter, clientBefore) }
}

/** How many names' close groups, as the newcomer computes them, differ from what the bench computed. */
async function compareViews (newcomer: Member, data: readonly MutableData[], members: readonly Member[], groupSize: number): Promise<number> {
  let differ = 0
  await forEachLimited(data, 8, async (md) => {
    const seen = new Set(await testnet.closeGroupSeenBy(newcomer.index, bytesToHex(md.name)))
    const ours = closeGroupOf(md.name, members, groupSize).map(m => m.peer.toString())
    if (seen.size !== ours.length || ours.some(p => !seen.has(p))) differ++
  })
  return differ
}
