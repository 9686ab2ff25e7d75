/** The value at quantile `q` (nearest rank, as packages/client/bench/network.ts). */
export function quantile (values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}

/** The median; the mean of the two middle values for an even count. */
export function median (values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  if (sorted.length % 2 === 1) return sorted[middle] as number
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Bytes per second in MB/s (1 MB = 10^6 bytes). */
export function mbPerSecond (bytes: number, seconds: number): number {
  return bytes / 1e6 / seconds
}

/** Per-key medians of a list of runs with the same figures; a figure missing from a run (NaN) is left out. */
export function medians<K extends string> (runs: ReadonlyArray<Record<K, number>>): Record<K, number> {
  const out: Partial<Record<K, number>> = {}
  const first = runs[0]
  if (first == null) return out as Record<K, number>
  for (const key of Object.keys(first) as K[]) out[key] = median(runs.map(run => run[key]).filter(v => Number.isFinite(v)))
  return out as Record<K, number>
}

/** Per key, how many runs measured the figure (a finite value). */
export function counts<K extends string> (runs: ReadonlyArray<Record<K, number>>): Record<K, number> {
  const out: Partial<Record<K, number>> = {}
  const first = runs[0]
  if (first == null) return out as Record<K, number>
  for (const key of Object.keys(first) as K[]) out[key] = runs.filter(run => Number.isFinite(run[key])).length
  return out as Record<K, number>
}
