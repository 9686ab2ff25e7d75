import type { Testnet } from '@safemesh/testnet'

/** One value of a node's /metrics (the first series of `name`, or the one whose labels contain `labels`). */
export async function metric (testnet: Testnet, index: number, name: string, labels = ''): Promise<number> {
  const port = testnet.record(index).metricsPort
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const line = text.split('\n').find(l => (l.startsWith(name + ' ') || l.startsWith(name + '{')) && l.includes(labels))
  return line == null ? 0 : Number(line.split(' ').at(-1))
}

/** The sum over every series of `name` whose labels contain `labels`, on node `index`. */
export async function metricSum (testnet: Testnet, index: number, name: string, labels = ''): Promise<number> {
  const port = testnet.record(index).metricsPort
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  return text.split('\n')
    .filter(l => l.startsWith(name + '{') && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)
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
