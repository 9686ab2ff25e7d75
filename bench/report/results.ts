/** The bench's record: JSON with every run's figures, and the Markdown report, under bench/results/. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Figures } from '../lib/figures.js'
import type { MachineInfo } from '../lib/machine.js'
import type { BenchOptions, System } from '../lib/options.js'
import type { PhaseFailure } from '../lib/system.js'
import type { Row } from './table.js'
import { markdownTable } from './table.js'
import type { Target } from './targets.js'
import { markdownTargets } from './targets.js'

/** bench/results, next to the compiled bench/dist. */
const RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url))

export interface SystemRecord {
  notes: string[]
  /** Each run's figures; null (NaN) where that run could not measure one. */
  runs: Figures[]
  medians: Figures
  /** Per figure, how many runs the median stands on. */
  counts: Figures
  /** Runs that failed and were tried again, with their errors. */
  failures: Array<{ run: number, error: string, retried: boolean }>
  /** Parts of runs that failed while the rest of the run went on: their figures are missing. */
  phaseFailures: PhaseFailure[]
  error?: string
}

export interface BenchRecord {
  date: string
  wallSeconds: number
  /** Stopped by SIGINT or SIGTERM: some figures are missing. */
  interrupted: boolean
  machine: MachineInfo
  options: BenchOptions
  groupSize: number
  systems: Partial<Record<System, SystemRecord>>
  table: Row[]
  targets: Target[]
}

export function markdownReport (record: BenchRecord): string {
  const o = record.options
  const m = record.machine
  const parts = [
    `# SafeMesh bench, ${record.date}`,
    '',
    `Machine: ${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.platform}, Node ${m.node}; commit ${m.commit.slice(0, 12)}${m.dirty ? ' (with uncommitted changes)' : ''}.`,
    `Options: file ${(o.size / 2 ** 20).toFixed(0)} MiB, ${o.nodes} nodes (G = ${record.groupSize}), ${o.runs} runs (each figure is the median), ${o.mutations} mutations, ${o.clients} clients; systems ${o.only.join(', ')}. Wall time ${record.wallSeconds.toFixed(0)} s.`,
    'MB = 10^6 bytes.',
    '',
    markdownTable(record.table),
    '',
    markdownTargets(record.targets)
  ]
  for (const [system, r] of Object.entries(record.systems)) {
    parts.push('', `**${system}** (${r.runs.length} of ${o.runs} runs done): ${r.notes.join('; ')}.`)
    for (const f of r.failures) parts.push('', `**${system} run ${f.run} failed**${f.retried ? ' and was run again' : ' (left out of the medians)'}: \`${f.error.split('\n')[0] ?? ''}\``)
    for (const f of r.phaseFailures) {
      const what = f.lostFigures ? ' FAILED** (its figures are missing from this run)' : '**'
      parts.push('', `**${system} run ${f.run}: ${f.phase}${what}: \`${f.error.split('\n')[0] ?? ''}\``)
    }
    if (r.error != null) parts.push('', `**${system} failed**: \`${r.error.split('\n')[0] ?? ''}\` (the full error is in the JSON)`)
  }
  return `${parts.join('\n')}\n`
}

/**
 * Writes `<timestamp>.json`, and unless the run was interrupted `latest.json`
 * and `latest.md`; returns the timestamped path.
 */
export async function writeResults (record: BenchRecord, markdown: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true })
  const json = `${JSON.stringify(record, null, 2)}\n`
  const stamped = join(RESULTS_DIR, `${record.date.replace(/:/g, '-')}.json`)
  await writeFile(stamped, json)
  if (record.interrupted) return stamped
  await writeFile(join(RESULTS_DIR, 'latest.json'), json)
  await writeFile(join(RESULTS_DIR, 'latest.md'), markdown)
  return stamped
}
