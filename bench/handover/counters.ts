/**
 * The counters the bench reads from a node's Prometheus text: requests served, by type and
 * outcome (`safemesh_requests_total`, packages/node/src/observability/metrics.ts), and libp2p's
 * bytes by protocol (`libp2p_data_transfer_bytes_total`).
 */
import type { NodeRecord } from '@safemesh/testnet'

export interface Counters {
  /** Requests served, keyed `type` → `outcome` → count. */
  requests: Map<string, Map<string, number>>
  /** Bytes keyed by libp2p's label: "global received", "/safemesh/msg/1.0.0 sent", … */
  bytes: Map<string, number>
}

export const MESSAGING = '/safemesh/msg/1.0.0'

const REQUESTS = /^safemesh_requests_total\{([^}]*)\}\s+(\S+)/
const BYTES = /^libp2p_data_transfer_bytes_total\{protocol="([^"]*)"\}\s+(\S+)/

function emptyCounters (): Counters {
  return { requests: new Map(), bytes: new Map() }
}

export function parseCounters (text: string): Counters {
  const counters = emptyCounters()
  for (const line of text.split('\n')) {
    const request = REQUESTS.exec(line)
    if (request != null) {
      const labels = Object.fromEntries([...(request[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map(m => [m[1], m[2]]))
      addRequests(counters, labels.type ?? '?', labels.outcome ?? '?', Number(request[2]))
      continue
    }
    const bytes = BYTES.exec(line)
    if (bytes != null) counters.bytes.set(bytes[1] as string, (counters.bytes.get(bytes[1] as string) ?? 0) + Number(bytes[2]))
  }
  return counters
}

/** Node `node`'s counters now. */
export async function readCounters (node: NodeRecord): Promise<Counters> {
  if (node.metricsPort == null) throw new Error(`node ${node.index} has no metrics port`)
  const res = await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`, { signal: AbortSignal.timeout(15_000) })
  if (!res.ok) throw new Error(`node ${node.index} answered ${res.status} for /metrics`)
  return parseCounters(await res.text())
}

/** `after − before`, counter by counter. */
export function difference (after: Counters, before: Counters): Counters {
  const out = emptyCounters()
  for (const [type, outcomes] of after.requests) {
    for (const [outcome, count] of outcomes) {
      const delta = count - (before.requests.get(type)?.get(outcome) ?? 0)
      if (delta !== 0) addRequests(out, type, outcome, delta)
    }
  }
  for (const [label, value] of after.bytes) {
    const delta = value - (before.bytes.get(label) ?? 0)
    if (delta !== 0) out.bytes.set(label, delta)
  }
  return out
}

/** The counters of several nodes added up. */
export function sum (all: readonly Counters[]): Counters {
  const out = emptyCounters()
  for (const counters of all) {
    for (const [type, outcomes] of counters.requests) {
      for (const [outcome, count] of outcomes) addRequests(out, type, outcome, count)
    }
    for (const [label, value] of counters.bytes) out.bytes.set(label, (out.bytes.get(label) ?? 0) + value)
  }
  return out
}

/** Requests of `type` served, all outcomes together. */
export function served (counters: Counters, type: string): number {
  let total = 0
  for (const count of counters.requests.get(type)?.values() ?? []) total += count
  return total
}

function addRequests (counters: Counters, type: string, outcome: string, count: number): void {
  let outcomes = counters.requests.get(type)
  if (outcomes == null) {
    outcomes = new Map()
    counters.requests.set(type, outcomes)
  }
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + count)
}
