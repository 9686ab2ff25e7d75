import {
  agreedState, bytesEqual, bytesToHex, quorumOf, validateNewMutableData, xorNameEquals,
  type MutableData, type NetworkParams, type XorName
} from '@safemesh/protocol'
import { encodeReplica, replicaKey, type Replica, type ReplicaStore } from './replica-store.js'
import { askUntil } from '@safemesh/net'
import type { PersonaContext } from '../context.js'

/** How long one member may take to say what it holds. */
const ASK_TIMEOUT = 10_000

/** What a member vouches for: the step and digest of its replica (no digest: it holds none). */
interface Held {
  seq: number
  digest?: Uint8Array
}

export type HandOverResult = 'adopted' | 'current' | 'no-quorum'

export interface ReplicaHandOverOptions {
  context: PersonaContext
  replicas: ReplicaStore
  /** Writes an adopted replica, in order with the sequencer's own writes of that data. */
  adopt: (key: string, replica: Replica) => Promise<void>
}

/**
 * Quorum-verified hand-over of MutableData (SPEC §5, churn): a node takes a
 * replica only when Q other members of the data's close group vouch for the
 * very same state (step and digest), and only when that state is ahead of its
 * own (or differs at the same step). The bytes may come from a pusher or from
 * any one voucher and must match the vouched digest and the data rules. No
 * single member's word moves a step or an owner.
 */
export class ReplicaHandOver {
  private readonly options: ReplicaHandOverOptions
  private readonly params: NetworkParams
  private readonly running = new Map<string, Promise<HandOverResult>>()

  constructor (options: ReplicaHandOverOptions) {
    this.options = options
    this.params = options.context.params
  }

  /** Brings this node's replica of (name, tag) to the state a quorum holds; `candidate` may spare a fetch. */
  async verify (name: XorName, tag: number, candidate?: { data: MutableData, seq: number }): Promise<HandOverResult> {
    const key = replicaKey(name, tag)
    const current = this.running.get(key)
    if (current != null) return await current
    const run = this.run(key, name, tag, candidate).finally(() => { this.running.delete(key) })
    this.running.set(key, run)
    return await run
  }

  private async run (key: string, name: XorName, tag: number, candidate?: { data: MutableData, seq: number }): Promise<HandOverResult> {
    const { context } = this.options
    const others = context.routing.closeGroup(name).filter(p => !p.equals(context.self))
    const quorum = quorumOf(this.params.groupSize)
    const answers = await askUntil(others, async (peer): Promise<Held | undefined> => {
      const reply = await context.send(peer, { type: 'GetReplicaDigest', name, tag }, { timeout: ASK_TIMEOUT })
      if (reply.type !== 'ReplicaDigest') return undefined
      return reply.digest != null ? { seq: reply.seq, digest: reply.digest } : { seq: reply.seq }
    }, so => agreedState(so.map(a => ({ voter: a.peer.toString(), state: a.answer })), heldKey, quorum) !== undefined)
    const vouches = answers.map(a => ({ voter: a.peer.toString(), peer: a.peer, state: a.answer }))
    const agreed = agreedState(vouches, heldKey, quorum)
    if (agreed == null) return 'no-quorum'
    if (agreed.digest == null) return 'current'
    const ours = await this.options.replicas.get(key)
    if (!isBehind(ours, agreed)) return 'current'
    const replica = await this.bytesOf(name, tag, agreed, candidate, vouches.filter(v => heldKey(v.state) === heldKey(agreed)).map(v => v.peer))
    if (replica == null) return 'no-quorum'
    await this.options.adopt(key, replica)
    context.log.info({ key, from: ours.seq, to: replica.seq }, 'replica adopted on a quorum\'s word')
    return 'adopted'
  }

  /** The vouched replica's bytes: the candidate's, or a voucher's, checked against the digest and the data rules. */
  private async bytesOf (name: XorName, tag: number, agreed: Held, candidate: { data: MutableData, seq: number } | undefined, vouchers: Parameters<PersonaContext['send']>[0][]): Promise<Replica | undefined> {
    const accept = (data: MutableData | undefined, seq: number): Replica | undefined => {
      if (data == null || seq !== agreed.seq) return undefined
      if (!xorNameEquals(data.name, name) || data.tag !== tag) return undefined
      const { digest } = encodeReplica(data, seq)
      if (!bytesEqual(digest, agreed.digest as Uint8Array)) return undefined
      try {
        validateNewMutableData(data, this.params)
      } catch {
        return undefined
      }
      return { data, seq, digest }
    }
    if (candidate != null) {
      const replica = accept(candidate.data, candidate.seq)
      if (replica != null) return replica
    }
    for (const peer of vouchers) {
      try {
        const reply = await this.options.context.send(peer, { type: 'GetReplica', name, tag }, { timeout: ASK_TIMEOUT })
        if (reply.type !== 'Replica') continue
        const replica = accept(reply.data, reply.seq)
        if (replica != null) return replica
      } catch (err) {
        this.options.context.log.debug({ peer: peer.toString(), err: (err as Error).message }, 'a voucher did not give the replica')
      }
    }
    return undefined
  }
}

function heldKey (held: Held): string {
  return `${held.seq}/${held.digest == null ? '-' : bytesToHex(held.digest)}`
}

/** Ours is behind the agreed state: we hold nothing, an earlier step, or another replica at the same step. */
function isBehind (ours: Replica, agreed: Held): boolean {
  if (agreed.digest == null) return false
  if (ours.data == null || ours.digest == null) return true
  if (agreed.seq !== ours.seq) return agreed.seq > ours.seq
  return !bytesEqual(ours.digest, agreed.digest)
}
