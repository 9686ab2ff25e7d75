import { SafeMeshError, bytesToHex, xorNameFromHex, type NetworkParams, type XorName, type Response } from '@safemesh/protocol'
import { applyMutation, type MutableDataMutation } from './apply-mutation.js'
import { KeyedQueue } from '../keyed-queue.js'
import { replicaKey, type ReplicaStore } from './replica-store.js'
import type { RoutingView } from '../../routing/routing-view.js'
import type { PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'

/**
 * How long a follower waits for the order of a mutation that reached quorum here. It must not
 * run out before the wait around it (a Maid-Manager's forward, 20 s): a follower answering
 * Timeout while the others apply turns load into disagreement. At 8 s, 32 clients mutating at
 * once on this 2-core machine (mutation p99 ~14 s) made groups answer NoQuorum.
 */
const ORDER_TIMEOUT = 15_000
/** How long a follower may be stuck behind waiting commits before it fetches the sequencer's replica. */
const GAP_TIMEOUT = 2_000

interface Ready {
  account: XorName
  mutation: MutableDataMutation
  resolve: (outcome: Response) => void
  reject: (err: Error) => void
  timer: ReturnType<typeof setTimeout>
}

export interface SequencerOptions {
  routing: RoutingView
  replicas: ReplicaStore
  params: NetworkParams
  log: Logger
  /** Tells the other Data-Managers of `name` the order of a mutation. */
  broadcastCommit: (name: XorName, tag: number, requestId: Uint8Array, seq: number) => void
  /** Asks the sequencer for its replica (after a gap in the commits). */
  fetchReplica: (from: PeerId, name: XorName, tag: number) => Promise<{ data: import('@safemesh/protocol').MutableData | undefined, seq: number }>
}

/**
 * Orders the mutations of each MutableData across its Data-Managers, so that
 * concurrent conflicting mutations are settled the same way on every replica
 * (SPEC §5).
 *
 * The nearest member of the data's close group sequences: when a mutation has
 * reached quorum there, it applies it as the replica's next step and tells the
 * others its sequence number (`Commit`). Every other member applies mutations
 * strictly in sequence order, and only those that reached quorum at itself
 * too, so a sequencer can reorder but never invent a mutation. Every mutation
 * that reaches quorum takes a sequence number, failures included: a failure
 * changes nothing, but it must fail on every replica at the same point.
 *
 * When the sequencer leaves, the next nearest node takes over from its own
 * replica. Known limit: a sequencer that dies after telling only some members
 * a commit leaves those ahead of the rest until they resynchronise from the
 * new sequencer's replica on the next gap.
 */
export class Sequencer {
  private readonly options: SequencerOptions
  private readonly ready = new Map<string, Ready>()
  private readonly commits = new Map<string, Map<number, string>>()
  private readonly queue = new KeyedQueue()
  private readonly gapTimers = new Map<string, { seq: number, timer: ReturnType<typeof setTimeout> }>()

  constructor (options: SequencerOptions) {
    this.options = options
  }

  /** A mutation reached quorum here: resolves with its outcome once it is applied in order. */
  async submit (requestId: Uint8Array, account: XorName, mutation: MutableDataMutation): Promise<Response> {
    const name = mutation.type === 'PutMData' ? mutation.data.name : mutation.name
    const tag = mutation.type === 'PutMData' ? mutation.data.tag : mutation.tag
    const key = replicaKey(name, tag)
    if (this.isSequencer(name)) {
      return await this.serial(key, async () => await this.sequence(key, name, tag, requestId, account, mutation))
    }
    const id = bytesToHex(requestId)
    return await new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => { this.orderTimedOut(key, name, tag, id) }, ORDER_TIMEOUT)
      this.ready.set(id, { account, mutation, resolve, reject, timer })
      void this.serial(key, async () => { await this.advance(key) })
    })
  }

  /** The sequencer says mutation `requestId` is step `seq` of this replica. */
  commit (from: PeerId, name: XorName, tag: number, requestId: Uint8Array, seq: number): void {
    if (!this.options.routing.isCloseGroupMember(name, from)) {
      throw new SafeMeshError('AccessDenied', 'only a Data-Manager of the data may order its mutations')
    }
    const key = replicaKey(name, tag)
    const commits = this.commits.get(key) ?? new Map<number, string>()
    commits.set(seq, bytesToHex(requestId))
    this.commits.set(key, commits)
    void this.serial(key, async () => { await this.advance(key) })
  }

  private isSequencer (name: XorName): boolean {
    return this.options.routing.closeGroup(name, 1)[0]?.equals(this.options.routing.self) === true
  }

  private async sequence (key: string, name: XorName, tag: number, requestId: Uint8Array, account: XorName, mutation: MutableDataMutation): Promise<Response> {
    const replica = await this.options.replicas.get(key)
    const seq = replica.seq + 1
    const applied = applyMutation(replica.data, account, mutation, this.options.params)
    await this.options.replicas.put(key, { data: applied.data, seq })
    this.options.broadcastCommit(name, tag, requestId, seq)
    if (applied.outcome instanceof SafeMeshError) throw applied.outcome
    return applied.outcome
  }

  /** Applies every committed mutation that is next in order and has reached quorum here. */
  private async advance (key: string): Promise<void> {
    const commits = this.commits.get(key)
    if (commits == null) return
    const replica = await this.options.replicas.get(key)
    let { data, seq } = replica
    this.dropCommitsUpTo(key, seq)
    while (true) {
      const id = commits.get(seq + 1)
      const ready = id == null ? undefined : this.ready.get(id)
      if (id == null || ready == null) break
      const applied = applyMutation(data, ready.account, ready.mutation, this.options.params)
      data = applied.data
      seq++
      await this.options.replicas.put(key, { data, seq })
      commits.delete(seq)
      this.ready.delete(id)
      clearTimeout(ready.timer)
      if (applied.outcome instanceof SafeMeshError) ready.reject(applied.outcome)
      else ready.resolve(applied.outcome)
    }
    if (commits.size === 0) this.commits.delete(key)
    this.watchProgress(key, seq, commits.size > 0)
  }

  /**
   * Commits are waiting but the next step cannot be applied: either we missed
   * its commit, or its quorum never formed here (some Maid-Manager's forward
   * was lost). Either way, if the replica has not moved on within
   * GAP_TIMEOUT, take the sequencer's replica.
   */
  private watchProgress (key: string, seq: number, waiting: boolean): void {
    const current = this.gapTimers.get(key)
    if (current != null && (!waiting || current.seq !== seq)) {
      clearTimeout(current.timer)
      this.gapTimers.delete(key)
    }
    if (!waiting || this.gapTimers.has(key)) return
    const timer = setTimeout(() => {
      this.gapTimers.delete(key)
      void this.serial(key, async () => { await this.resynchronise(key) })
    }, GAP_TIMEOUT)
    this.gapTimers.set(key, { seq, timer })
  }

  /** Forgets commits at or below `seq`; a mutation ready here but ordered there has an unknown outcome. */
  private dropCommitsUpTo (key: string, seq: number): void {
    const commits = this.commits.get(key)
    if (commits == null) return
    for (const [step, id] of commits) {
      if (step > seq) continue
      commits.delete(step)
      const ready = this.ready.get(id)
      if (ready != null) {
        this.ready.delete(id)
        clearTimeout(ready.timer)
        ready.reject(new SafeMeshError('Timeout', 'this replica caught up past the mutation; its outcome is the sequencer\'s'))
      }
    }
  }

  /** Takes the sequencer's replica when it is ahead of ours. */
  private async resynchronise (key: string): Promise<void> {
    const [nameHex, tagText] = key.split('/')
    const name = xorNameFromHex(nameHex as string)
    const tag = Number(tagText)
    const sequencer = this.options.routing.closeGroup(name, 1)[0]
    if (sequencer == null || sequencer.equals(this.options.routing.self)) return
    try {
      const theirs = await this.options.fetchReplica(sequencer, name, tag)
      const ours = await this.options.replicas.get(key)
      if (theirs.seq > ours.seq) {
        this.options.log.info({ key, from: ours.seq, to: theirs.seq }, 'replica resynchronised from the sequencer')
        await this.options.replicas.put(key, theirs)
        this.dropCommitsUpTo(key, theirs.seq)
      }
    } catch (err) {
      this.options.log.warn({ key, err: (err as Error).message }, 'could not resynchronise a replica')
    }
    await this.advance(key)
  }

  /** No order came for a mutation that reached quorum here. */
  private orderTimedOut (key: string, name: XorName, tag: number, id: string): void {
    const ready = this.ready.get(id)
    if (ready == null) return
    if (this.isSequencer(name)) {
      // The sequencer left and this node is the nearest now: order it ourselves.
      this.ready.delete(id)
      this.serial(key, async () => await this.sequence(key, name, tag, Buffer.from(id, 'hex'), ready.account, ready.mutation))
        .then(ready.resolve, ready.reject)
      return
    }
    this.ready.delete(id)
    ready.reject(new SafeMeshError('Timeout', 'the mutation reached quorum but was never ordered'))
  }

  private async serial<T> (key: string, work: () => Promise<T>): Promise<T> {
    return await this.queue.run(key, work)
  }
}
