/**
 * `npm run bench`: the limit (raw libp2p), SafeMesh and Helia on this machine,
 * each in its own child processes; prints a Markdown table with the ratios and
 * writes bench/results/. `npm run bench -- --help` for the options.
 */
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { killAllChildren, stopAllChildren } from './lib/child.js'
import { machineInfo } from './lib/machine.js'
import { HELP, parseOptions, SYSTEMS, type BenchOptions, type System } from './lib/options.js'
import { abortOnInterrupt, parseOrExit } from './lib/cli.js'
import { elapsedSeconds, progress } from './lib/progress.js'
import { writeRandomFile } from './lib/random-file.js'
import { counts, medians } from './lib/stats.js'
import type { Figures } from './lib/figures.js'
import type { RunInputs, SystemBench } from './lib/system.js'
import { HeliaBench } from './helia/run-helia.js'
import { RawBench } from './raw/run-raw.js'
import { markdownReport, writeResults, type BenchRecord, type SystemRecord } from './report/results.js'
import { buildRows } from './report/table.js'
import { checkTargets } from './report/targets.js'
import { GROUP_SIZE, SafeMeshBench } from './safemesh/run-safemesh.js'

const SMALL_FILE_SIZE = 10 * 1024
const REPO = fileURLToPath(new URL('../../', import.meta.url))

const options = parseOrExit(parseOptions, HELP)
const interrupted = abortOnInterrupt({
  report: (signal) => { progress(`${signal}: stopping every process (again to force)`) },
  onSignal: killAllChildren,
  graceMs: 30_000
})
const root = await mkdtemp(join(tmpdir(), 'safemesh-npm-bench-'))
// Also on a forced exit (a second signal, or the 30 s grace running out), which skips the
// `finally` below: no process and no working directory are left behind.
process.on('exit', () => {
  killAllChildren()
  rmSync(root, { recursive: true, force: true, maxRetries: 3 })
})
const date = new Date().toISOString()
const systems: Partial<Record<System, SystemRecord>> = {}
let failed = false
try {
  progress(`systems ${options.only.join(', ')}; ${options.runs} runs each; file ${(options.size / 2 ** 20).toFixed(0)} MiB; working in ${root}`)
  const inputs = await prepareInputs(options, root)
  for (const bench of benches(options, root)) {
    if (interrupted.signal.aborted) break
    const record: SystemRecord = { notes: bench.notes, runs: [], medians: {}, counts: {}, failures: [], phaseFailures: bench.phaseFailures ?? [] }
    systems[bench.name as System] = record
    try {
      await bench.setUp?.(interrupted.signal)
      for (const input of inputs) {
        interrupted.signal.throwIfAborted()
        const figures = await runWithRetries(bench, input, record)
        if (figures != null) record.runs.push(figures)
      }
    } catch (err) {
      failed = true
      const error = interrupted.signal.aborted ? interrupted.signal.reason as Error : err as Error
      record.error = error.stack ?? error.message
      progress(`${bench.name} failed: ${(err as Error).message.split('\n')[0] ?? ''}`)
    } finally {
      await stopAllChildren()
      await bench.tearDown?.().catch((err: Error) => { progress(`${bench.name}: tearing down failed: ${err.message}`) })
    }
    record.medians = medians(record.runs)
    record.counts = counts(record.runs)
  }
} finally {
  await stopAllChildren()
  await rm(root, { recursive: true, force: true })
}

const medianOf = (system: System): BenchRecord['systems'][System] => systems[system]
const m = { safemesh: medianOf('safemesh')?.medians, raw: medianOf('raw')?.medians, helia: medianOf('helia')?.medians }
const n = { safemesh: medianOf('safemesh')?.counts, raw: medianOf('raw')?.counts, helia: medianOf('helia')?.counts }
const record: BenchRecord = {
  date,
  wallSeconds: elapsedSeconds(),
  interrupted: interrupted.signal.aborted,
  machine: machineInfo(REPO),
  options,
  groupSize: GROUP_SIZE,
  systems,
  table: buildRows(m, n, options.runs, GROUP_SIZE, options.clients),
  targets: checkTargets(m, GROUP_SIZE)
}
const markdown = markdownReport(record)
const written = await writeResults(record, markdown)
process.stdout.write(`\n${markdown}\n`)
for (const [system, r] of Object.entries(systems)) {
  for (const f of r.phaseFailures) process.stdout.write(`${system} run ${f.run}, ${f.phase}${f.lostFigures ? ' FAILED' : ''}:\n${f.error}\n\n`)
  if (r.error != null) process.stdout.write(`${system} FAILED:\n${r.error}\n\n`)
}
progress(`done in ${record.wallSeconds.toFixed(0)} s; wrote ${written}${record.interrupted ? ' (not latest.json: interrupted)' : ', latest.json and latest.md'}`)
const partly = Object.values(systems).some(r => r.phaseFailures.length > 0 || r.failures.length > 0)
process.exit(interrupted.signal.aborted ? 130 : failed || partly ? 1 : 0)

async function prepareInputs (o: BenchOptions, dir: string): Promise<RunInputs[]> {
  const needFiles = o.only.includes('safemesh') || o.only.includes('helia')
  const inputs: RunInputs[] = []
  for (let run = 1; run <= o.runs; run++) {
    const input = { run, file: join(dir, `file-${run}.bin`), size: o.size, smallFile: join(dir, `small-${run}.bin`) }
    if (needFiles) {
      progress(`writing the random files of run ${run} (${(o.size / 2 ** 20).toFixed(0)} MiB and 10 KiB)`)
      await writeRandomFile(input.file, o.size)
      await writeRandomFile(input.smallFile, SMALL_FILE_SIZE)
    }
    inputs.push(input)
  }
  return inputs
}

async function runWithRetries (bench: SystemBench, input: RunInputs, record: SystemRecord): Promise<Figures | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await bench.run(input)
    } catch (err) {
      if (interrupted.signal.aborted) throw err
      const last = attempt >= bench.retries
      if (last && bench.skipFailedRuns !== true) throw err
      const error = err as Error
      record.failures.push({ run: input.run, error: error.stack ?? error.message, retried: !last })
      progress(`${bench.name} run ${input.run} failed (${error.message.split('\n')[0] ?? ''}); ${last ? 'going on with the next run' : 'running it again'}`)
      if (last) return undefined
    }
  }
}

function benches (o: BenchOptions, dir: string): SystemBench[] {
  const all: Record<System, () => SystemBench> = {
    raw: () => new RawBench({ bytes: o.rawBytes, rttCount: o.rttCount, verbose: o.verbose }),
    safemesh: () => new SafeMeshBench({ dir: join(dir, 'testnet'), nodes: o.nodes, mutations: o.mutations, clients: o.clients, verbose: o.verbose }),
    helia: () => new HeliaBench({ dir: join(dir, 'helia'), verbose: o.verbose })
  }
  return SYSTEMS.filter(s => o.only.includes(s)).map(s => all[s]())
}
