/**
 * What a soak run did and found, and its verdict: it passes only when no acknowledged write was
 * lost, no account was charged wrongly and every name written is at G replicas (and the chaos
 * and the soak's own bookkeeping worked as meant).
 */
import { median, quantile } from '../lib/stats.js'
import type { FloodReport } from './flood.js'
import type { Chaos, ChaosCounts } from './chaos.js'
import type { AccountCharges } from './checks/charges.js'
import type { ReadBackReport } from './checks/read-back.js'
import type { ReplicaReport, ReplicaShortfall } from './checks/replicas.js'
import type { MutationLedger } from './mutation-ledger.js'
import type { SoakOptions } from './options.js'
import type { KillRecovery } from './recovery.js'
import type { OperationCounts, Writer } from './writer.js'

export interface Tally {
  seed: number
  nodes: number
  groupSize: number
  clients: number
  /** Nodes the chaos could disturb. */
  pool: number[]
  seconds: { total: number, writing: number, settling: number, checking: number }
  operations: { files: OperationCounts, mdCreates: OperationCounts, mdMutations: OperationCounts, errors: Record<string, number> }
  chaos: ChaosCounts & { incidents: string[] }
  writes: { acknowledged: number, lost: number, lostDetails: string[], readBack: { files: number, mdata: number, accounts: number } }
  /** Mutations by message id (retries are one), over every account. */
  mutations: { acknowledged: number, refused: number, ambiguous: number }
  charges: { wrong: number, accounts: AccountCharges[] }
  replicas: { names: number, chunks: number, mdata: number, belowG: number, details: ReplicaShortfall[], seconds: number }
  recovery: { kills: number, measured: number, medianSeconds?: number, maxSeconds?: number, notBack: number, victimBackFirst: number, details: KillRecovery[] }
  /** Writes refused although the client's own record says they were valid. */
  unexpectedRefusals: string[]
  /** Successes the client saw that the mutation ledger does not count: a bug in the soak. */
  observerMismatches: string[]
  /** With `--flood`: the honest clients' operations under it, and what the strangers got. */
  flood?: FloodReport & { honest: { operations: number, succeeded: number, p50Ms: number, p99Ms: number } }
  /** Why the run failed; empty when it passed. */
  failures: string[]
}

export interface TallyInputs {
  options: SoakOptions
  pool: number[]
  seconds: Tally['seconds']
  writers: readonly Writer[]
  ledger: MutationLedger
  chaos: Chaos
  replicas: ReplicaReport
  read: ReadBackReport
  charges: AccountCharges[]
  recoveries: KillRecovery[]
  flood?: FloodReport
}

/** The tally of a run from what each part of it reports, with its verdict. */
export function assembleTally (inputs: TallyInputs): Tally {
  const { options, writers, ledger, chaos, replicas, read, charges } = inputs
  const sum = (pick: (w: Writer) => OperationCounts): OperationCounts => ({
    ok: writers.reduce((n, w) => n + pick(w).ok, 0),
    unknown: writers.reduce((n, w) => n + pick(w).unknown, 0),
    refused: writers.reduce((n, w) => n + pick(w).refused, 0)
  })
  const errors: Record<string, number> = {}
  for (const w of writers) for (const [code, n] of w.stats.errors) errors[code] = (errors[code] ?? 0) + n
  const operations = { files: sum(w => w.stats.files), mdCreates: sum(w => w.stats.mdCreates), mdMutations: sum(w => w.stats.mdMutations), errors }
  const verdicts = { acknowledged: 0, refused: 0, ambiguous: 0 }
  for (const record of ledger.all()) verdicts[ledger.verdict(record)]++
  const tally: Omit<Tally, 'failures'> = {
    seed: options.seed,
    nodes: options.nodes,
    groupSize: options.groupSize,
    clients: options.clients,
    pool: inputs.pool,
    seconds: inputs.seconds,
    operations,
    chaos: { ...chaos.counts, incidents: chaos.incidents },
    writes: {
      // Each account's creation is a write too.
      acknowledged: operations.files.ok + operations.mdCreates.ok + operations.mdMutations.ok + writers.length,
      lost: read.lost.length,
      lostDetails: read.lost,
      readBack: { files: read.files, mdata: read.mdata, accounts: read.accounts }
    },
    mutations: verdicts,
    charges: { wrong: charges.filter(c => !c.ok).length, accounts: charges },
    replicas: { names: replicas.chunks + replicas.mdata, chunks: replicas.chunks, mdata: replicas.mdata, belowG: replicas.belowG.length, details: replicas.belowG, seconds: replicas.seconds },
    recovery: recoverySummary(inputs.recoveries, chaos.counts.kills),
    unexpectedRefusals: writers.flatMap(w => w.stats.unexpectedRefusals),
    observerMismatches: writers.flatMap(w => w.stats.observerMismatches),
    ...(inputs.flood != null ? { flood: { ...inputs.flood, honest: honestUnder(writers) } } : {})
  }
  return { ...tally, failures: failuresOf(tally) }
}

/** Every honest operation and how long the successful ones took. */
function honestUnder (writers: readonly Writer[]): NonNullable<Tally['flood']>['honest'] {
  const latencies = writers.flatMap(w => w.stats.latencies)
  const all = (c: OperationCounts): number => c.ok + c.unknown + c.refused
  const operations = writers.reduce((n, w) => n + all(w.stats.files) + all(w.stats.mdCreates) + all(w.stats.mdMutations), 0)
  return { operations, succeeded: latencies.length, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) }
}

function recoverySummary (details: KillRecovery[], kills: number): Tally['recovery'] {
  const measured = details.filter(d => d.names > 0)
  const back = measured.flatMap(d => d.seconds === undefined ? [] : [d.seconds])
  return {
    kills,
    measured: measured.length,
    ...(back.length > 0 ? { medianSeconds: median(back), maxSeconds: Math.max(...back) } : {}),
    notBack: measured.filter(d => d.seconds === undefined).length,
    victimBackFirst: measured.filter(d => d.victimBack === true).length,
    details
  }
}

/** The verdict's reasons, from the rest of the tally. */
function failuresOf (tally: Omit<Tally, 'failures'>): string[] {
  const failures: string[] = []
  if (tally.writes.lost > 0) failures.push(`${tally.writes.lost} acknowledged writes lost`)
  if (tally.charges.wrong > 0) failures.push(`${tally.charges.wrong} accounts charged wrongly`)
  if (tally.replicas.belowG > 0) failures.push(`${tally.replicas.belowG} names below ${tally.groupSize} replicas`)
  if (tally.chaos.incidents.length > 0) failures.push(`${tally.chaos.incidents.length} chaos actions failed`)
  if (tally.observerMismatches.length > 0) failures.push(`${tally.observerMismatches.length} successes the mutation ledger missed (a soak bug)`)
  return failures
}

const MAX_LINES = 20

export function formatTally (t: Tally): string {
  const lines: string[] = []
  const push = (line = ''): void => { lines.push(line) }
  const list = (items: readonly string[], indent = '    '): void => {
    for (const item of items.slice(0, MAX_LINES)) push(`${indent}${item}`)
    if (items.length > MAX_LINES) push(`${indent}… and ${items.length - MAX_LINES} more`)
  }
  const ops = (c: OperationCounts): string => `${c.ok} ok, ${c.unknown} unknown outcome, ${c.refused} refused`
  const s = (n: number | undefined): string => n === undefined ? '-' : `${n.toFixed(1)} s`

  push(`SafeMesh churn soak: ${t.failures.length === 0 ? 'PASSED' : 'FAILED'}`)
  push(`  seed ${t.seed}; ${t.nodes} nodes at the start, G = ${t.groupSize}, ${t.clients} clients; chaos pool: nodes ${t.pool.join(', ')}`)
  push(`  duration: ${s(t.seconds.total)} in all, ${s(t.seconds.writing)} writing under chaos, ${s(t.seconds.settling)} settling, ${s(t.seconds.checking)} checking`)
  push()
  push('operations')
  push(`  files stored:          ${ops(t.operations.files)}`)
  push(`  MutableData created:   ${ops(t.operations.mdCreates)}`)
  push(`  MutableData mutations: ${ops(t.operations.mdMutations)}`)
  const errors = Object.entries(t.operations.errors).map(([code, n]) => `${code} × ${n}`)
  if (errors.length > 0) push(`  operations ended with: ${errors.join(', ')}`)
  push()
  push('chaos')
  push(`  kills ${t.chaos.kills}, restarts ${t.chaos.restarts}, pauses ${t.chaos.pauses}, resumes ${t.chaos.resumes}, nodes added ${t.chaos.added}`)
  if (t.chaos.incidents.length > 0) { push('  failed actions:'); list(t.chaos.incidents) }
  push()
  push('writes')
  push(`  acknowledged writes: ${t.writes.acknowledged} (read back: ${t.writes.readBack.files} files, ${t.writes.readBack.mdata} MutableData, ${t.writes.readBack.accounts} accounts)`)
  push(`  lost writes: ${t.writes.lost}`)
  list(t.writes.lostDetails)
  push(`  mutations by message id: ${t.mutations.acknowledged} acknowledged, ${t.mutations.refused} refused, ${t.mutations.ambiguous} ambiguous (outcome never learned)`)
  if (t.unexpectedRefusals.length > 0) { push(`  refusals of writes the client's record says are valid: ${t.unexpectedRefusals.length}`); list(t.unexpectedRefusals) }
  push()
  push('charges')
  push(`  wrong charges: ${t.charges.wrong} of ${t.charges.accounts.length} accounts`)
  for (const a of t.charges.accounts) {
    push(`  client ${a.client} account ${a.account.slice(0, 16)}…: expected ${a.acknowledged}..${a.acknowledged + a.ambiguous} (${a.acknowledged} acknowledged + ${a.ambiguous} ambiguous; ${a.refused} refused), ${a.ok ? 'ok' : `WRONG: ${a.why ?? ''}`}`)
    push(`      Maid-Managers: ${a.counts.join(', ')}`)
  }
  push()
  push('replicas')
  push(`  names written: ${t.replicas.names} (${t.replicas.chunks} chunks, ${t.replicas.mdata} MutableData); below ${t.groupSize} replicas: ${t.replicas.belowG} (checked for ${s(t.replicas.seconds)})`)
  for (const d of t.replicas.details.slice(0, MAX_LINES)) {
    push(`    ${d.name}: ${d.holders} of ${t.groupSize}`)
    list(d.lacking, '        ')
  }
  if (t.replicas.details.length > MAX_LINES) push(`    … and ${t.replicas.details.length - MAX_LINES} more`)
  push()
  push('time back to G replicas after a kill')
  const r = t.recovery
  push(`  kills ${r.kills}, measured ${r.measured} (the others had no name written near the killed node yet): median ${s(r.medianSeconds)}, max ${s(r.maxSeconds)}; not back within the bound: ${r.notBack}; the killed node was back first: ${r.victimBackFirst}`)
  for (const d of r.details.filter(x => x.names > 0 && x.seconds === undefined).slice(0, MAX_LINES)) push(`    kill of node ${d.victim}: ${d.lacking ?? ''}`)
  if (t.flood != null) {
    const f = t.flood
    push()
    push('flood (strangers at nodes ' + f.targets.map(x => x.index).join(', ') + ')')
    push(`  honest operations: ${f.honest.succeeded} of ${f.honest.operations} succeeded (${(100 * f.honest.succeeded / Math.max(1, f.honest.operations)).toFixed(1)} %), p50 ${f.honest.p50Ms.toFixed(0)} ms, p99 ${f.honest.p99Ms.toFixed(0)} ms`)
    push(`  flooded nodes' peak RSS: ${f.targets.map(x => `node ${x.index} ${(x.peakRss / 2 ** 20).toFixed(0)} MiB`).join(', ')}`)
    for (const [attack, outcomes] of Object.entries(f.attacks)) push(`  ${attack}: ${Object.entries(outcomes).map(([o, n]) => `${o} ${n}`).join(', ')}`)
  }
  if (t.observerMismatches.length > 0) { push(); push('soak bookkeeping errors'); list(t.observerMismatches) }
  push()
  if (t.failures.length === 0) push('PASSED: no write lost, no wrong charge, every name at G replicas')
  else push(`FAILED: ${t.failures.join('; ')}`)
  return lines.join('\n') + '\n'
}
