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

export interface Row {
  figure: string
  safemesh?: number
  raw?: number
  helia?: number
  /** SafeMesh ÷ raw libp2p. */
  vsRaw?: number
  /** SafeMesh ÷ Helia. */
  vsHelia?: number
}

const ratio = (a?: number, b?: number): number | undefined => a == null || b == null || b === 0 ? undefined : a / b
const times = (a: number | undefined, k: number): number | undefined => a == null ? undefined : a * k

export function buildRows (m: Medians, groupSize: number, clients: number): Row[] {
  const s = m.safemesh ?? {}
  const r = m.raw ?? {}
  const h = m.helia ?? {}
  const uploadWire = times(s.uploadMBps, groupSize + 1)
  const rows: Row[] = [
    { figure: 'Download (MB/s) · raw: throughput · Helia: fetch', safemesh: s.downloadMBps, raw: r.throughputMBps, helia: h.fetchMBps, vsRaw: ratio(s.downloadMBps, r.throughputMBps), vsHelia: ratio(s.downloadMBps, h.fetchMBps) },
    { figure: 'Upload (MB/s) · Helia: add', safemesh: s.uploadMBps, helia: h.addMBps, vsHelia: ratio(s.uploadMBps, h.addMBps) },
    { figure: `Upload × (G+1) = × ${groupSize + 1} (MB/s) · raw: throughput`, safemesh: uploadWire, raw: r.throughputMBps, vsRaw: ratio(uploadWire, r.throughputMBps) },
    { figure: 'Time to first byte, 10 KiB file (ms) · raw: round trip p50', safemesh: s.firstByteMs, raw: r.rttP50Ms, helia: h.firstByteMs, vsRaw: ratio(s.firstByteMs, r.rttP50Ms), vsHelia: ratio(s.firstByteMs, h.firstByteMs) },
    { figure: 'Mutation p50, 1 client (ms) · raw: round trip p50', safemesh: s.mutation1P50Ms, raw: r.rttP50Ms, vsRaw: ratio(s.mutation1P50Ms, r.rttP50Ms) },
    { figure: 'Mutation p99, 1 client (ms) · raw: round trip p99', safemesh: s.mutation1P99Ms, raw: r.rttP99Ms, vsRaw: ratio(s.mutation1P99Ms, r.rttP99Ms) },
    { figure: 'Mutations per second, 1 client', safemesh: s.mutation1PerSecond },
    { figure: `Mutation p50, ${clients} clients (ms)`, safemesh: s.mutationNP50Ms },
    { figure: `Mutation p99, ${clients} clients (ms)`, safemesh: s.mutationNP99Ms },
    { figure: `Mutations per second, ${clients} clients`, safemesh: s.mutationNPerSecond },
    { figure: 'Wire bytes per stored byte (upload)', safemesh: s.wireBytesPerStoredByte },
    { figure: 'Node peak RSS, highest node (MB) · raw: server · Helia: provider', safemesh: s.nodePeakRssMaxMB, raw: r.serverPeakRssMB, helia: h.providerPeakRssMB, vsRaw: ratio(s.nodePeakRssMaxMB, r.serverPeakRssMB), vsHelia: ratio(s.nodePeakRssMaxMB, h.providerPeakRssMB) },
    { figure: 'Node peak RSS, median node (MB)', safemesh: s.nodePeakRssMedianMB },
    { figure: 'Client peak RSS after the file figures (MB) · raw: client · Helia: fetcher', safemesh: s.clientPeakRssAfterFileMB, raw: r.clientPeakRssMB, helia: h.fetcherPeakRssMB, vsRaw: ratio(s.clientPeakRssAfterFileMB, r.clientPeakRssMB), vsHelia: ratio(s.clientPeakRssAfterFileMB, h.fetcherPeakRssMB) },
    { figure: `Client peak RSS, end of run with ${clients + 1} clients (MB)`, safemesh: s.clientPeakRssMB }
  ]
  return rows
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

export function markdownTable (rows: readonly Row[]): string {
  const lines = [
    '| figure | SafeMesh | raw libp2p | Helia | SafeMesh ÷ raw | SafeMesh ÷ Helia |',
    '|---|---:|---:|---:|---:|---:|'
  ]
  for (const row of rows) {
    lines.push(`| ${row.figure} | ${formatNumber(row.safemesh)} | ${formatNumber(row.raw)} | ${formatNumber(row.helia)} | ${formatRatio(row.vsRaw)} | ${formatRatio(row.vsHelia)} |`)
  }
  return lines.join('\n')
}
