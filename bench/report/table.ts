/**
 * The comparison table: one row per figure, the three systems' medians side
 * by side, and the ratios where they make sense.
 */
import type { Figures } from '../lib/figures.js'

export interface Medians {
  safemesh?: Figures
  raw?: Figures
  helia?: Figures
}

/** How many runs each median stands on (a figure a run could not measure is left out). */
export type Counts = Medians

export interface Row {
  figure: string
  safemesh?: number
  raw?: number
  helia?: number
  /** SafeMesh ÷ raw libp2p. */
  vsRaw?: number
  /** SafeMesh ÷ Helia. */
  vsHelia?: number
  /** Runs behind each value, when fewer than all of them. */
  fewerRuns?: { safemesh?: number, raw?: number, helia?: number }
}

interface Spec {
  figure: string
  safemesh?: string
  /** Multiplies the SafeMesh value (upload × (G+1)). */
  factor?: number
  raw?: string
  helia?: string
  vsRaw?: boolean
  vsHelia?: boolean
}

const ratio = (a?: number, b?: number): number | undefined => a == null || b == null || b === 0 ? undefined : a / b

function specs (groupSize: number, clients: number): Spec[] {
  return [
    { figure: 'Download (MB/s) · raw: throughput · Helia: fetch', safemesh: 'downloadMBps', raw: 'throughputMBps', helia: 'fetchMBps', vsRaw: true, vsHelia: true },
    { figure: 'Upload (MB/s) · Helia: add', safemesh: 'uploadMBps', helia: 'addMBps', vsHelia: true },
    { figure: `Upload × (G+1) = × ${groupSize + 1} (MB/s) · raw: throughput`, safemesh: 'uploadMBps', factor: groupSize + 1, raw: 'throughputMBps', vsRaw: true },
    { figure: 'Time to first byte, 10 KiB file (ms) · raw: round trip p50', safemesh: 'firstByteMs', raw: 'rttP50Ms', helia: 'firstByteMs', vsRaw: true, vsHelia: true },
    { figure: 'Mutation p50, 1 client (ms) · raw: round trip p50', safemesh: 'mutation1P50Ms', raw: 'rttP50Ms', vsRaw: true },
    { figure: 'Mutation p99, 1 client (ms) · raw: round trip p99', safemesh: 'mutation1P99Ms', raw: 'rttP99Ms', vsRaw: true },
    { figure: 'Mutations per second, 1 client', safemesh: 'mutation1PerSecond' },
    { figure: `Mutation p50, ${clients} clients (ms)`, safemesh: 'mutationNP50Ms' },
    { figure: `Mutation p99, ${clients} clients (ms)`, safemesh: 'mutationNP99Ms' },
    { figure: `Mutations per second, ${clients} clients`, safemesh: 'mutationNPerSecond' },
    { figure: 'Wire bytes per stored byte (upload)', safemesh: 'wireBytesPerStoredByte' },
    { figure: 'Node peak RSS, highest node (MB) · raw: server · Helia: provider', safemesh: 'nodePeakRssMaxMB', raw: 'serverPeakRssMB', helia: 'providerPeakRssMB', vsRaw: true, vsHelia: true },
    { figure: 'Node peak RSS, median node (MB)', safemesh: 'nodePeakRssMedianMB' },
    { figure: 'Client peak RSS after the file figures (MB) · raw: client · Helia: fetcher', safemesh: 'clientPeakRssAfterFileMB', raw: 'clientPeakRssMB', helia: 'fetcherPeakRssMB', vsRaw: true, vsHelia: true },
    { figure: `Client peak RSS, process of the ${clients} clients (MB)`, safemesh: 'clientPeakRssMB' }
  ]
}

export function buildRows (m: Medians, counts: Counts, runs: number, groupSize: number, clients: number): Row[] {
  const value = (figures: Figures | undefined, key: string | undefined): number | undefined => {
    const v = key == null ? undefined : figures?.[key]
    return v == null || !Number.isFinite(v) ? undefined : v
  }
  const fewer = (system: keyof Counts, key: string | undefined): number | undefined => {
    const n = key == null ? undefined : counts[system]?.[key]
    return n != null && n < runs ? n : undefined
  }
  return specs(groupSize, clients).map((spec) => {
    const s = value(m.safemesh, spec.safemesh)
    const row: Row = {
      figure: spec.figure,
      safemesh: s == null ? undefined : s * (spec.factor ?? 1),
      raw: value(m.raw, spec.raw),
      helia: value(m.helia, spec.helia)
    }
    if (spec.vsRaw === true) row.vsRaw = ratio(row.safemesh, row.raw)
    if (spec.vsHelia === true) row.vsHelia = ratio(row.safemesh, row.helia)
    const fewerRuns = { safemesh: fewer('safemesh', spec.safemesh), raw: fewer('raw', spec.raw), helia: fewer('helia', spec.helia) }
    if (Object.values(fewerRuns).some(n => n != null)) row.fewerRuns = fewerRuns
    return row
  })
}

export function formatNumber (value: number | undefined): string {
  if (value == null || !Number.isFinite(value)) return '—'
  const magnitude = Math.abs(value)
  if (magnitude >= 100) return value.toFixed(0)
  if (magnitude >= 10) return value.toFixed(1)
  if (magnitude >= 1) return value.toFixed(2)
  return value.toFixed(3)
}

const formatRatio = (value: number | undefined): string => value == null || !Number.isFinite(value) ? '—' : `${formatNumber(value)}×`

function cell (value: number | undefined, runs: number | undefined): string {
  if (value == null) return runs === 0 ? 'failed' : '—'
  return runs == null ? formatNumber(value) : `${formatNumber(value)} (${runs} run${runs === 1 ? '' : 's'})`
}

export function markdownTable (rows: readonly Row[]): string {
  const lines = [
    '| figure | SafeMesh | raw libp2p | Helia | SafeMesh ÷ raw | SafeMesh ÷ Helia |',
    '|---|---:|---:|---:|---:|---:|'
  ]
  for (const row of rows) {
    const f = row.fewerRuns ?? {}
    lines.push(`| ${row.figure} | ${cell(row.safemesh, f.safemesh)} | ${cell(row.raw, f.raw)} | ${cell(row.helia, f.helia)} | ${formatRatio(row.vsRaw)} | ${formatRatio(row.vsHelia)} |`)
  }
  return lines.join('\n')
}
