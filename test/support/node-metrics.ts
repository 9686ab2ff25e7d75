import type { Testnet } from '@safemesh/testnet'
import { nodeMetric } from '../../bench/lib/metrics.js'

/**
 * A figure of node `index`'s /metrics: the sum over every series of `name` whose labels contain
 * `labels`, 0 when there is none; for a series without labels, its value (bench/lib/metrics.ts).
 */
export async function metric (testnet: Testnet, index: number, name: string, labels = ''): Promise<number> {
  return await nodeMetric(testnet.record(index).metricsPort, name, labels)
}

/** CPU seconds (user + system) node `index` has spent. */
export async function cpuSeconds (testnet: Testnet, index: number): Promise<number> {
  return await metric(testnet, index, 'process_cpu_seconds_total')
}

/**
 * Node `index`'s live memory: V8 heap in use plus external buffers after a full collection, at
 * its lowest over a few seconds, so that streams still closing (their close handshakes wait on
 * timers) are not counted as kept. The node must run with `--expose-gc`.
 */
export async function liveBytes (testnet: Testnet, index = 0): Promise<number> {
  let lowest = Number.POSITIVE_INFINITY
  for (let i = 0; i < 6; i++) {
    const usage = await testnet.collectGarbage(index)
    lowest = Math.min(lowest, usage.heapUsed + usage.external)
    await new Promise(resolve => setTimeout(resolve, 500))
  }
  return lowest
}

export const mib = (n: number): string => (n / 2 ** 20).toFixed(1)
