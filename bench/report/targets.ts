/** The targets of the issue, each checked against the medians. */
import type { Medians } from './table.js'
import { formatNumber } from './table.js'

type TargetStatus = 'met' | 'not met' | 'n/a'

export interface Target {
  target: string
  measured: string
  status: TargetStatus
}

const NODE_RSS_LIMIT_MB = 150

function check (target: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string): Target {
  if (value == null || !Number.isFinite(value)) return { target, measured: 'not measured', status: 'n/a' }
  return { target, measured: show(value), status: ok(value) ? 'met' : 'not met' }
}

export function checkTargets (m: Medians, groupSize: number): Target[] {
  const s = m.safemesh
  const r = m.raw
  const h = m.helia
  const over = (a?: number, b?: number): number | undefined => a == null || b == null ? undefined : a / b
  const x = (v: number): string => `${formatNumber(v)}×`
  return [
    check('download ≥ 0.5 × raw libp2p throughput', over(s?.downloadMBps, r?.throughputMBps), v => v >= 0.5, x),
    check('download > Helia fetch', over(s?.downloadMBps, h?.fetchMBps), v => v > 1, x),
    check(`upload × (G+1 = ${groupSize + 1}) ≥ 0.5 × raw libp2p throughput`, over(s?.uploadMBps == null ? undefined : s.uploadMBps * (groupSize + 1), r?.throughputMBps), v => v >= 0.5, x),
    check('mutation p50 (1 client) ≤ 8 × raw libp2p round trip p50', over(s?.mutation1P50Ms, r?.rttP50Ms), v => v <= 8, x),
    check(`node peak RSS ≤ ${NODE_RSS_LIMIT_MB} MB (highest node)`, s?.nodePeakRssMaxMB, v => v <= NODE_RSS_LIMIT_MB, v => `${formatNumber(v)} MB`)
  ]
}

export function markdownTargets (targets: readonly Target[]): string {
  const lines = ['| target | measured | |', '|---|---:|---|']
  for (const t of targets) lines.push(`| ${t.target} | ${t.measured} | ${t.status} |`)
  return lines.join('\n')
}
