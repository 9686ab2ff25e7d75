/**
 * One figure from a node's Prometheus /metrics (its admin port): the sum over every series of
 * `name` whose labels contain `labels` (every series when `labels` is ''), 0 when there is none.
 * For a series without labels, such as `process_resident_memory_bytes` (RSS), that is its value.
 * Throws when the node does not answer. Also used by test/support/node-metrics.ts.
 */
export async function nodeMetric (port: number | undefined, name: string, labels = ''): Promise<number> {
  if (port == null) throw new Error('the node has no metrics port')
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })
  if (!res.ok) throw new Error(`port ${port} answered ${res.status} for /metrics`)
  let sum = 0
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    if ((rest.startsWith(' ') || rest.startsWith('{')) && rest.includes(labels)) sum += Number(rest.slice(rest.lastIndexOf(' ') + 1))
  }
  return sum
}
