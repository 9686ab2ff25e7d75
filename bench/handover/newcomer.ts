/** Step 3: asks the added node, straight, which of the MutableData it should hold it holds, until it holds them all. */
import type { MutableData } from '@safemesh/protocol'
import { progress } from '../lib/progress.js'
import { holds } from './populate.js'
import { forEachLimited } from './wait.js'
import type { Member } from './membership.js'
import type { RawClient } from './raw-client.js'

export interface HoldReport {
  /** For each MutableData it holds, when the bench first saw it held, in ms after `since`. */
  heldAt: number[]
  /** How many it should hold. */
  expected: number
  /** Rounds of asking, and how long each took (the resolution of `heldAt`). */
  rounds: number
  roundMs: number[]
  /** Held already when the first round asked. */
  heldAtFirstRound: number
  complete: boolean
}

export interface PollOptions {
  concurrency: number
  pollMs: number
  timeoutMs: number
  signal: AbortSignal
}

/** Polls `newcomer` for each of `moved` not seen held yet, until it holds all or `timeoutMs` after `since` (a `performance.now()`). */
export async function pollNewcomer (client: RawClient, newcomer: Member, moved: readonly MutableData[], since: number, options: PollOptions): Promise<HoldReport> {
  const report: HoldReport = { heldAt: [], expected: moved.length, rounds: 0, roundMs: [], heldAtFirstRound: 0, complete: false }
  let pending = [...moved]
  let lastProgress = performance.now()
  while (pending.length > 0) {
    options.signal.throwIfAborted()
    const started = performance.now()
    const still: MutableData[] = []
    await forEachLimited(pending, options.concurrency, async (md) => {
      if (await holds(client, newcomer, md)) report.heldAt.push(performance.now() - since)
      else still.push(md)
    })
    pending = still
    report.rounds++
    if (report.rounds === 1) report.heldAtFirstRound = report.heldAt.length
    report.roundMs.push(performance.now() - started)
    if (pending.length === 0) break
    if (performance.now() - since > options.timeoutMs) break
    if (performance.now() - lastProgress > 5_000) {
      progress(`the newcomer holds ${report.heldAt.length} of ${moved.length}`)
      lastProgress = performance.now()
    }
    await new Promise(resolve => setTimeout(resolve, options.pollMs))
  }
  report.complete = pending.length === 0
  report.heldAt.sort((a, b) => a - b)
  return report
}
