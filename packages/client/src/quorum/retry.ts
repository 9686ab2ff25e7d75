/**
 * Bounded retries for requests whose group could not agree (`NoQuorum`) or did not answer in
 * time (`Timeout`): the group's membership may have changed, a node may have restarted, or a
 * message was lost. Anything else a group agrees on is its answer and is never retried.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { isSafeMeshError } from '@safemesh/protocol'

export interface RetryPolicy {
  /** Tries in all, the first included (at least 1). */
  attempts: number
  /** Wait before the first retry (ms); doubles each time up to `maxDelay`. */
  delay: number
  maxDelay: number
}

/**
 * 4 tries, waiting 0.5, 1 and 2 s: a few seconds of churn are absorbed (a client whose
 * connections a loaded network dropped needs ~2 s to walk back to a full view; with 3 tries
 * 250 + 500 ms apart, a 32-client bench run failed on "only 4 nodes known"), and a dead network
 * still fails within seconds.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({ attempts: 4, delay: 500, maxDelay: 4_000 })

export function isRetryable (err: unknown): boolean {
  return isSafeMeshError(err) && (err.code === 'Timeout' || err.code === 'NoQuorum')
}

/** Runs `attempt(n)` (n from 0) until it succeeds, fails with a final error, or the tries run out. */
export async function withRetries<T> (policy: RetryPolicy, signal: AbortSignal | undefined, attempt: (n: number) => Promise<T>): Promise<T> {
  const attempts = Math.max(1, Math.floor(policy.attempts))
  let delay = policy.delay
  for (let n = 0; ; n++) {
    signal?.throwIfAborted()
    try {
      return await attempt(n)
    } catch (err) {
      if (n + 1 >= attempts || !isRetryable(err) || signal?.aborted === true) throw err
    }
    await sleep(delay, undefined, signal != null ? { signal } : {})
    delay = Math.min(delay * 2, policy.maxDelay)
  }
}
