/** Step 4: what the hand-over took, as text for a person. */
import { median } from '../lib/stats.js'
import { MESSAGING, served, sum, type Counters } from './counters.js'
import type { HoldReport } from './newcomer.js'

/** The requests of the quorum hand-over of MutableData (docs/protocol.md). */
const HAND_OVER = ['PushMData', 'GetReplicaDigest', 'GetReplica'] as const
/** The bench's own requests to the nodes: not the hand-over's. */
const BENCH_OWN = ['GetMDataVersion']

export interface Window {
  /** Counters served by the newcomer over the window. */
  newcomer: Counters
  /** By each pre-existing node, keyed by node index. */
  others: Map<number, Counters>
  /** The bench client's own libp2p counters over the window (its polling of the newcomer). */
  client: Counters
}

export interface ReportInput {
  /** Nodes before the measured one joined. */
  nodes: number
  warmUp?: string
  groupSize: number
  quorum: number
  count: number
  entries: number
  mdBytes: number
  putSeconds: number
  putRetries: number
  replicaSeconds: number
  /** add(1): the call until it returned (the newcomer up and every view converged). */
  addSeconds: number
  newcomerIndex: number
  hold: HoldReport
  /** From before add() to the nodes' being quiet again afterwards. */
  window: Window
  /** From before add() to the last one held (or the timeout). */
  untilHeld: Window
  settle: { seconds: number, cores: number }
  /** Names whose close group, as the newcomer itself sees it, differs from the bench's (checked at the end). */
  viewDisagreements?: number
}

export function formatReport (r: ReportInput): string {
  const moved = r.hold.expected
  const held = r.hold.heldAt.length
  const lines: string[] = []
  const others = sum([...r.window.others.values()])
  const all = sum([r.window.newcomer, others])
  lines.push(`quorum hand-over of MutableData to one added node: ${r.nodes} → ${r.nodes + 1} nodes, G = ${r.groupSize}, Q = ${r.quorum}`)
  lines.push(`stored: ${r.count} MutableData (${r.entries} entries each, ${r.mdBytes} B encoded on average) in ${r.putSeconds.toFixed(1)} s${r.putRetries > 0 ? ` (${r.putRetries} PutMData sent again)` : ''}; all ${r.groupSize} replicas of each in place ${r.replicaSeconds.toFixed(1)} s later`)
  if (r.warmUp != null) lines.push(r.warmUp)
  lines.push(`moved: ${moved} of ${r.count} MutableData have the newcomer (node ${r.newcomerIndex}) in their close group now; it holds ${held} of them${r.hold.complete ? '' : ' — NOT ALL, gave up'}`)
  lines.push(`add(1) took ${r.addSeconds.toFixed(1)} s (start of the process to every view converged; the hand-over can start inside it)`)
  if (held > 0) {
    const last = r.hold.heldAt.at(-1) as number
    const mid = median(r.hold.heldAt)
    lines.push(`time to held${r.hold.complete ? '' : ` (of the ${held} held)`}, after add() returned: last ${seconds(last)}, median ${seconds(mid)}; after add() was called: last ${seconds(last + r.addSeconds * 1000)}, median ${seconds(mid + r.addSeconds * 1000)}`)
    lines.push(`  (a time is when a round of polling saw it held: ${r.hold.rounds} round${r.hold.rounds === 1 ? '' : 's'}, ${seconds(median(r.hold.roundMs))} each at the median, ${seconds(Math.max(...r.hold.roundMs))} at most; ${r.hold.heldAtFirstRound} were held already at the first round)`)
  }
  if (r.viewDisagreements != null) lines.push(`the newcomer's own view of the ${r.count} close groups ${r.viewDisagreements === 0 ? 'agrees with the bench\'s for every name' : `differs from the bench's for ${r.viewDisagreements} names`}`)
  lines.push(`counters: before add() and once the nodes were quiet again (${r.settle.cores.toFixed(2)} cores, ${r.settle.seconds.toFixed(0)} s after polling stopped)`)
  lines.push('')
  lines.push(table(['requests served', 'newcomer', 'per MD', `${r.window.others.size} pre-existing`, 'per MD', 'all nodes', 'per MD'], [
    ...HAND_OVER.map(type => row(type, served(r.window.newcomer, type), served(others, type), moved)),
    row('hand-over total', handOver(r.window.newcomer), handOver(others), moved),
    row('everything else', rest(r.window.newcomer), rest(others), moved)
  ]))
  lines.push(`hand-over total per MutableData stored (all ${r.count}, moved or not): newcomer ${per(handOver(r.window.newcomer), r.count)}, pre-existing ${per(handOver(others), r.count)}, all ${per(handOver(all), r.count)}`)
  const atHeld = sum([r.untilHeld.newcomer, ...r.untilHeld.others.values()])
  lines.push(`of which by the time polling stopped: ${HAND_OVER.map(t => `${t} ${served(atHeld, t)}`).join(', ')} (hand-over total ${handOver(atHeld)} of ${handOver(all)})`)
  lines.push(`refused or failed: ${outcomes(all, HAND_OVER) || 'none'}`)
  lines.push(`everything else: ${others.requests.size + r.window.newcomer.requests.size === 0 ? 'none' : otherTypes(all)}`)
  lines.push(`per pre-existing node (PushMData/GetReplicaDigest/GetReplica served): ${[...r.window.others].map(([i, c]) => `node ${i} ${HAND_OVER.map(t => served(c, t)).join('/')}`).join(', ')}`)
  lines.push('')
  const msgNewcomer = received(r.window.newcomer, MESSAGING) - sent(r.window.client, MESSAGING)
  const msgOthers = received(others, MESSAGING)
  const msgNewcomerSent = sent(r.window.newcomer, MESSAGING) - received(r.window.client, MESSAGING)
  lines.push(table(['bytes (libp2p stream bytes)', 'newcomer', 'per MD', `${r.window.others.size} pre-existing`, 'per MD', 'all nodes', 'per MD'], [
    row(`received over ${MESSAGING}`, msgNewcomer, msgOthers, moved),
    row(`sent over ${MESSAGING}`, msgNewcomerSent, sent(others, MESSAGING), moved),
    row('received, every protocol', received(r.window.newcomer, 'global') - sent(r.window.client, 'global'), received(others, 'global'), moved)
  ]))
  lines.push(`(node-to-node only: the bench's own polling of the newcomer, ${bytes(sent(r.window.client, MESSAGING))} sent and ${bytes(received(r.window.client, MESSAGING))} received over ${MESSAGING}, is taken out; every protocol also counts kad-dht, identify and ping, and the client's kad traffic where it went to the newcomer)`)
  return lines.join('\n')
}

function handOver (c: Counters): number {
  return HAND_OVER.reduce((n, t) => n + served(c, t), 0)
}

function rest (c: Counters): number {
  let n = 0
  for (const type of c.requests.keys()) {
    if (!(HAND_OVER as readonly string[]).includes(type) && !BENCH_OWN.includes(type)) n += served(c, type)
  }
  return n
}

function otherTypes (c: Counters): string {
  const parts: string[] = []
  for (const type of [...c.requests.keys()].sort()) {
    if ((HAND_OVER as readonly string[]).includes(type)) continue
    parts.push(`${type} ${served(c, type)}${BENCH_OWN.includes(type) ? ' (the bench\'s polling, not counted above)' : ''}`)
  }
  return parts.join(', ')
}

function outcomes (c: Counters, types: readonly string[]): string {
  const parts: string[] = []
  for (const type of types) {
    for (const [outcome, count] of c.requests.get(type) ?? []) if (outcome !== 'ok') parts.push(`${type} ${outcome} ${count}`)
  }
  return parts.join(', ')
}

function received (c: Counters, protocol: string): number {
  return c.bytes.get(`${protocol} received`) ?? 0
}

function sent (c: Counters, protocol: string): number {
  return c.bytes.get(`${protocol} sent`) ?? 0
}

function row (label: string, newcomer: number, others: number, moved: number): string[] {
  return [label, String(newcomer), per(newcomer, moved), String(others), per(others, moved), String(newcomer + others), per(newcomer + others, moved)]
}

function per (value: number, moved: number): string {
  return moved === 0 ? '-' : (value / moved).toFixed(value / moved >= 100 ? 0 : 2)
}

function seconds (ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function bytes (n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`
}

function table (header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)).join('  ')
  return [line(header), ...rows.map(line)].join('\n')
}
