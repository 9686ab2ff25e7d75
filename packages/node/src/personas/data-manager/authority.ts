import { raceSignal } from 'race-signal'
import { SafeMeshError, bytesToHex } from '@safemesh/protocol'
import type { PeerId } from '@libp2p/interface'

/** How long a forwarded mutation waits for the rest of its quorum. */
const QUORUM_TIMEOUT = 15_000
/** How long an executed mutation's outcome is kept for Maid-Managers whose forward comes late. */
const OUTCOME_TTL = 60_000
/** Ballots short of quorum one forwarder may have here at once: honest ones reach quorum in milliseconds. */
const OPEN_BALLOTS_PER_VOTER = 4096

interface Ballot<T> {
  /** In the order they voted. */
  voters: Map<string, PeerId>
  reached: PromiseWithResolvers<void>
  outcome?: Promise<T>
  timer: ReturnType<typeof setTimeout>
}

/**
 * Group authority (SPEC §5): a mutation is executed once at least `quorum`
 * distinct members of the requester's Maid-Manager group have forwarded the
 * very same request (same bytes, so same message id). One node, or Q − 1
 * colluding nodes, never get anything executed. Every forwarder, early or
 * late, gets the one outcome.
 */
export class Authority<T> {
  private readonly ballots = new Map<string, Ballot<T>>()
  /** Per forwarder, the ballots it voted in that have not reached quorum: Q − 1 colluders' forwards are bounded, not only by time. */
  private readonly open = new Map<string, number>()
  private readonly quorum: number
  private readonly quorumTimeout: number

  /** `quorumTimeout`: how long a forwarded mutation waits for the rest of its quorum (ms). */
  constructor (quorum: number, quorumTimeout = QUORUM_TIMEOUT) {
    this.quorum = quorum
    this.quorumTimeout = quorumTimeout
  }

  /**
   * Counts `voter`'s forward; waits (until `signal`: its sender went away) for quorum, then for the
   * outcome. `execute` gets the voters, the last one first.
   */
  async vote (requestId: Uint8Array, voter: PeerId, execute: (voters: PeerId[]) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const key = bytesToHex(requestId)
    const id = voter.toString()
    let ballot = this.ballots.get(key)
    if ((ballot == null || (ballot.outcome == null && !ballot.voters.has(id))) && (this.open.get(id) ?? 0) >= OPEN_BALLOTS_PER_VOTER) {
      throw new SafeMeshError('InvalidOperation', `${OPEN_BALLOTS_PER_VOTER} of your forwards already wait for a quorum here`)
    }
    if (ballot == null) {
      const reached = Promise.withResolvers<void>()
      // A ballot that never reaches quorum is dropped; its forwarders learn it.
      reached.promise.catch(() => {})
      const timer = setTimeout(() => {
        reached.reject(new SafeMeshError('NoQuorum', 'too few Maid-Managers forwarded this mutation'))
        this.ballots.delete(key)
        this.closed(created)
      }, this.quorumTimeout)
      const created: Ballot<T> = { voters: new Map(), reached, timer }
      ballot = created
      this.ballots.set(key, ballot)
    }
    if (ballot.outcome == null && !ballot.voters.has(id)) this.open.set(id, (this.open.get(id) ?? 0) + 1)
    ballot.voters.set(id, voter)
    if (ballot.outcome == null && ballot.voters.size >= this.quorum) {
      clearTimeout(ballot.timer)
      this.closed(ballot)
      ballot.outcome = execute([...ballot.voters.values()].reverse())
      const done = ballot
      ballot.outcome.catch((err: unknown) => {
        // An outcome not learned (the bytes could not be fetched, the order took too long) is not
        // kept: a retry votes afresh instead of getting this Timeout for a minute.
        if (err instanceof SafeMeshError && err.code === 'Timeout' && this.ballots.get(key) === done) {
          clearTimeout(done.timer)
          this.ballots.delete(key)
        }
      })
      ballot.reached.resolve()
      ballot.timer = setTimeout(() => { if (this.ballots.get(key) === done) this.ballots.delete(key) }, OUTCOME_TTL)
    }
    await raceSignal(ballot.reached.promise, signal, { translateError: requesterGone })
    return await raceSignal(ballot.outcome as Promise<T>, signal, { translateError: requesterGone })
  }

  clear (): void {
    for (const ballot of this.ballots.values()) clearTimeout(ballot.timer)
    this.ballots.clear()
    this.open.clear()
  }

  /** A ballot reached quorum or gave up: its voters' forwards no longer wait here. */
  private closed (ballot: Ballot<T>): void {
    for (const id of ballot.voters.keys()) {
      const left = (this.open.get(id) ?? 1) - 1
      if (left <= 0) this.open.delete(id)
      else this.open.set(id, left)
    }
  }
}

/** A waiter whose answer can no longer be delivered lets go. */
function requesterGone (): Error {
  return new SafeMeshError('Timeout', 'the requester went away')
}
