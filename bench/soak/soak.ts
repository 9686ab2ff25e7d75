/**
 * One churn soak run (see `HELP` in options.ts for what it does and checks): the same code for
 * `npm run soak` (any length; not part of `npm test`). Everything it starts — node processes, clients,
 * hosts, the temporary directory — is stopped and removed before it returns or throws.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NetworkFile } from '@safemesh/client'
import { Testnet } from '@safemesh/testnet'
import type { Logger } from 'pino'
import { startTestnet } from '../safemesh/start-testnet.js'
import { Chaos } from './chaos.js'
import { Child } from '../lib/child.js'
import type { FloodPlan, FloodReport } from './flood.js'
import { checkCharges } from './checks/charges.js'
import { readBack } from './checks/read-back.js'
import { checkReplicas } from './checks/replicas.js'
import { networkNodes } from './close-groups.js'
import { writeRecord } from './dump.js'
import { Inspector } from './inspector.js'
import { expectations } from './expectations.js'
import { MutationLedger } from './mutation-ledger.js'
import type { SoakOptions } from './options.js'
import { RecoveryTracker } from './recovery.js'
import { Rng } from './rng.js'
import { assembleTally, type Tally } from './tally.js'
import { Writer } from './writer.js'
import { WrittenNames } from './written-names.js'

/** Each account's allowance: far more than a long run uses, so no write is refused for LowBalance. */
const ACCOUNT_OPS = 10_000_000
/** The nodes `--flood` attacks. */
const FLOODED = [0, 1, 2]
/** How long writers may take to finish the operation under way once the time is up. */
const DRAIN_MS = 60_000
const CONVERGENCE_MS = 120_000

export interface SoakRun {
  log: Logger
  /** Aborts the run (e.g. Ctrl-C): it stops everything and rejects. */
  signal?: AbortSignal
}

export async function runSoak (options: SoakOptions, run: SoakRun): Promise<Tally> {
  const { log } = run
  const signal = run.signal ?? new AbortController().signal
  const started = performance.now()
  const rng = new Rng(options.seed)
  const pool = Chaos.pool(options.nodes, options.churn, rng.fork())
  const dir = await mkdtemp(join(tmpdir(), 'safemesh-soak-'))
  const testnet = new Testnet({ dir, groupSize: options.groupSize, accountOps: ACCOUNT_OPS, logLevel: options.nodeLogLevel, detached: false })
  let flood: Child | undefined
  const stopWriting = new AbortController()
  const onAbort = (): void => { stopWriting.abort(signal.reason) }
  signal.addEventListener('abort', onAbort, { once: true })
  const writers: Writer[] = []
  let inspector: Inspector | undefined
  let chaos: Chaos | undefined
  let recovery: RecoveryTracker | undefined
  log.info({ seed: options.seed, nodes: options.nodes, groupSize: options.groupSize, clients: options.clients, minutes: options.minutes, pool, dir }, 'soak: starting')
  try {
    const start = await startTestnet(testnet, options.nodes, signal, (message) => { log.info(`soak: ${message}`) })
    log.info({ seconds: Math.round(start.seconds), repairs: start.repairs }, 'soak: the testnet is up')
    const network: NetworkFile = { bootstrap: testnet.bootstrapAddresses(), groupSize: options.groupSize, accountOps: ACCOUNT_OPS, nodes: options.nodes, salt: testnet.salt }
    const ledger = new MutationLedger(options.groupSize)
    const names = new WrittenNames()
    const context = { network, ledger, names, minFileBytes: options.minFileBytes, maxFileBytes: options.maxFileBytes, log }
    for (let i = 0; i < options.clients; i++) writers.push(await Writer.open(i, context, rng.fork()))
    inspector = await Inspector.start()
    log.info({ clients: writers.length }, 'soak: accounts open, writing under chaos')

    const chaosRng = rng.fork()
    const chaosLoop = new Chaos(testnet, {
      pool,
      maxDisturbed: options.maxDisturbed,
      adds: options.adds,
      rng: chaosRng,
      log,
      onKill: (victim, upBefore) => { tracker.onKill(victim, upBefore) }
    })
    chaos = chaosLoop
    const tracker = new RecoveryTracker({
      inspector,
      names,
      upNodes: () => chaosLoop.upNodes(),
      isDown: (index) => chaosLoop.down.has(index),
      groupSize: options.groupSize,
      rng: rng.fork(),
      log
    })
    recovery = tracker

    // ---- Writing under chaos ----
    const writingStarted = performance.now()
    const until = writingStarted + options.minutes * 60_000
    if (options.flood) {
      flood = new Child('flood', new URL('./flood-child.js', import.meta.url))
      const plan: FloodPlan = {
        bootstrap: testnet.bootstrapAddresses(),
        groupSize: options.groupSize,
        nodes: options.nodes,
        targets: FLOODED.map(index => ({ index, peerId: testnet.record(index).peerId as string, metricsPort: testnet.record(index).metricsPort as number }))
      }
      await flood.call('start', { ...plan })
      log.info({ targets: FLOODED }, 'soak: strangers flooding')
    }
    const writing = Promise.all(writers.map(async w => { await w.run(until, stopWriting.signal) }))
    await chaosLoop.run(until, signal)
    const drain = setTimeout(() => { stopWriting.abort(new Error('the run is over')) }, DRAIN_MS)
    await writing.finally(() => { clearTimeout(drain) })
    let flooded: FloodReport | undefined
    if (flood != null) {
      flooded = await flood.call<FloodReport>('finish')
      await flood.stop()
      flood = undefined
    }
    const writingSeconds = (performance.now() - writingStarted) / 1000
    signal.throwIfAborted()
    log.info({ seconds: Math.round(writingSeconds) }, 'soak: writing stopped; stopping the chaos')

    // ---- Settling ----
    const settlingStarted = performance.now()
    await chaosLoop.stop()
    await testnet.waitForConvergence({ timeoutMs: CONVERGENCE_MS, signal }).catch((err: unknown) => {
      chaosLoop.incidents.push(`the network did not converge after the chaos: ${(err as Error).message}`)
    })
    for (const writer of writers) await writer.close()
    const settlingSeconds = (performance.now() - settlingStarted) / 1000
    signal.throwIfAborted()

    // ---- Checks ----
    const checkingStarted = performance.now()
    const nodes = networkNodes(testnet.records())
    const accepted = expectations(writers, ledger, names)
    log.info({ names: names.size, nodes: nodes.length }, 'soak: checking every name\'s replicas')
    const replicas = await checkReplicas({
      inspector,
      nodes,
      groupSize: options.groupSize,
      names: names.list(),
      accepted,
      deadline: performance.now() + options.settleSeconds * 1000,
      log,
      viewOf: async (index, hex) => await testnet.closeGroupSeenBy(index, hex)
    })
    log.info('soak: reading every acknowledged write back')
    const read = await readBack(writers, network, log)
    log.info('soak: checking every account\'s charges at each Maid-Manager')
    const charges = await checkCharges(writers, ledger, nodes, options.groupSize, performance.now() + options.settleSeconds * 1000, log)
    const recoveries = await tracker.finish()
    if (options.keepDir) log.info({ path: await writeRecord(dir, ledger, writers) }, 'soak: what the clients sent and expect')
    const checkingSeconds = (performance.now() - checkingStarted) / 1000

    return assembleTally({
      options,
      pool,
      seconds: { total: (performance.now() - started) / 1000, writing: writingSeconds, settling: settlingSeconds, checking: checkingSeconds },
      writers,
      ledger,
      chaos: chaosLoop,
      replicas,
      read,
      charges,
      recoveries,
      ...(flooded != null ? { flood: flooded } : {})
    })
  } finally {
    signal.removeEventListener('abort', onAbort)
    stopWriting.abort(new Error('the soak is stopping'))
    await flood?.stop().catch(() => undefined)
    await chaos?.halt()
    await recovery?.finish(true)
    for (const writer of writers) await writer.close().catch(() => {})
    await inspector?.close()
    await testnet.down()
    if (options.keepDir) log.info({ dir }, 'soak: the testnet directory is kept')
    else await rm(dir, { recursive: true, force: true })
  }
}
