/** What the bench reads from a testnet's nodes: bytes received (libp2p metrics) and peak RSS (/proc). */
import { readFile } from 'node:fs/promises'
import { cpuSecondsOfNodes, type NodeRecord } from '@safemesh/testnet'

const RECEIVED = 'libp2p_data_transfer_bytes_total{protocol="global received"}'

/** Bytes all nodes have received over libp2p so far. */
export async function bytesReceived (nodes: readonly NodeRecord[]): Promise<number> {
  let total = 0
  for (const node of nodes) {
    if (node.metricsPort == null) throw new Error(`node ${node.index} has no metrics port`)
    const text = await (await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()
    const line = text.split('\n').find(l => l.startsWith(RECEIVED))
    if (line == null) throw new Error(`node ${node.index} reports no ${RECEIVED}`)
    total += Number(line.split(' ').at(-1))
  }
  return total
}

/** Each node's peak resident set size so far (VmHWM), in bytes. */
export async function peakRssOfNodes (nodes: readonly NodeRecord[]): Promise<number[]> {
  return await Promise.all(nodes.map(async (node) => {
    if (node.pid == null) throw new Error(`node ${node.index} has no pid`)
    const status = await readFile(`/proc/${node.pid}/status`, 'utf8')
    const kib = /VmHWM:\s+(\d+)/.exec(status)?.[1]
    if (kib == null) throw new Error(`no VmHWM for node ${node.index}`)
    return Number(kib) * 1024
  }))
}

export interface QuietResult {
  /** Seconds waited. */
  seconds: number
  /** The nodes' CPU, in cores, over the last window measured. */
  cores: number
}

/**
 * Waits until the nodes together use less than `maxCores` of the CPU over a `windowMs` window
 * (a testnet that has just started walks the DHT at more than one core for its first ~10 s),
 * for at most `timeoutMs`; resolves either way with what it saw.
 */
export async function waitUntilQuiet (nodes: readonly NodeRecord[], options: { maxCores: number, windowMs: number, timeoutMs: number, signal?: AbortSignal }): Promise<QuietResult> {
  const started = performance.now()
  for (;;) {
    const before = await cpuSecondsOfNodes(nodes)
    const from = performance.now()
    await new Promise(resolve => setTimeout(resolve, options.windowMs))
    options.signal?.throwIfAborted()
    const cores = (await cpuSecondsOfNodes(nodes) - before) / ((performance.now() - from) / 1000)
    const seconds = (performance.now() - started) / 1000
    if (cores < options.maxCores || seconds * 1000 >= options.timeoutMs) return { seconds, cores }
  }
}
