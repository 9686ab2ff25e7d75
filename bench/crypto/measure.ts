// Timing helpers shared by the benchmarks.

export const MiB = 1024 * 1024

/** Runs `run` `times` times and returns the median duration in milliseconds. */
export async function medianMs (times: number, run: () => unknown): Promise<number> {
  const durations: number[] = []
  for (let i = 0; i < times; i++) {
    const started = performance.now()
    await run()
    durations.push(performance.now() - started)
  }
  durations.sort((a, b) => a - b)
  return durations[Math.floor(durations.length / 2)] ?? Number.NaN
}

/** Throughput in MB/s (10^6 bytes per second). */
export function mbPerSecond (bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000)
}

/** Peak resident set size so far, in MB (10^6 bytes). */
export function peakRssMb (): number {
  return (process.resourceUsage().maxRSS * 1024) / 1e6
}
