import type { Transport } from '../network/transport.js'
import type { RetryPolicy } from '../quorum/retry.js'

/** What every request needs: where to send it, how long to wait, how often to try. */
export interface ClientContext {
  readonly transport: Transport
  readonly retry: RetryPolicy
  /** How long to wait for one node's answer (ms). */
  readonly timeout: number
}

/** Options every client operation takes. */
export interface RequestOptions {
  /** Aborts the operation; it rejects with the signal's reason. */
  signal?: AbortSignal
}

/**
 * Default wait for one node's answer: a mutation's round trip includes the Data-Managers' own,
 * which a Maid-Manager waits up to 20 s for; the client waits longer, so that it hears the
 * group's verdict rather than giving up at the same moment.
 */
export const DEFAULT_REQUEST_TIMEOUT = 30_000
