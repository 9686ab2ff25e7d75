/**
 * Request rates for the page, from a node's `safemesh_requests_total` counter: the counter only
 * grows, so the rate is its rise between two samples over the time between them.
 */

/** The sum of every series of a counter in Prometheus text (undefined when the text has none). */
export function sumCounter (text: string, name: string): number | undefined {
  let sum: number | undefined
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const next = line.charAt(name.length)
    if (next !== '{' && next !== ' ') continue
    // The value follows the labels (which may hold spaces inside quotes): after the closing brace.
    const rest = next === '{' ? line.slice(line.lastIndexOf('}') + 1) : line.slice(name.length)
    const value = Number(rest.trim().split(/\s+/)[0])
    if (Number.isFinite(value)) sum = (sum ?? 0) + value
  }
  return sum
}

interface Sample {
  total: number
  at: number
}

/** Rates are averaged over the samples of the last WINDOW_MS: steady with a 1 s poll, quick to follow a change. */
const WINDOW_MS = 5_000

/** Successive counter samples per node, and the rate they give. */
export class RateTracker {
  private readonly samples = new Map<string, Sample[]>()

  /**
   * Records `total` at `at` (ms) for `key` (a node's run: a restarted node counts from 0 again)
   * and returns the requests per second since the oldest sample in the window, once there are two.
   */
  record (key: string, total: number, at: number): number | undefined {
    let list = this.samples.get(key) ?? []
    const last = list.at(-1)
    // A counter that went down is a new run: start again.
    if (last !== undefined && (total < last.total || at < last.at)) list = []
    list.push({ total, at })
    // Keep one sample older than the window, so that the window is covered whole.
    while (list.length > 2 && at - (list[1] as Sample).at >= WINDOW_MS) list.shift()
    this.samples.set(key, list)
    const first = list[0] as Sample
    const seconds = (at - first.at) / 1000
    return list.length < 2 || seconds <= 0 ? undefined : (total - first.total) / seconds
  }

  /** Forgets every key but these (nodes gone or restarted). */
  retain (keys: Iterable<string>): void {
    const keep = new Set(keys)
    for (const key of [...this.samples.keys()]) if (!keep.has(key)) this.samples.delete(key)
  }
}
