import { cryptoReady, verify } from '@safemesh/crypto'
import {
  agreedState, bytesEqual, bytesToHex, certifies, isCertified, quorumOf, validateNewMutableData, xorNameEquals,
  type DecisionCertificate, type MutableData, type NetworkParams, type XorName
} from '@safemesh/protocol'
import { encodeReplica, replicaKey, type Replica, type ReplicaStore } from './replica-store.js'
import { askUntil } from '@safemesh/net'
import type { PersonaContext } from '../context.js'

/** How long one member may take to say what it holds. */
const ASK_TIMEOUT = 10_000
/**
 * Whose signed votes a certificate may count: the G + 2 nodes nearest the name as this node sees
 * them, so a voter that a newcomer or two pushed out of the group since still counts.
 */
const CERTIFIER_SLACK = 2

/** A replica offered by a pusher, with the certificate of its step when the pusher kept one. */
export interface Candidate {
  data: MutableData
  seq: number
  certificate?: DecisionCertificate
}

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
 * replica only when Q members of the data's close group said it is the one,
 * and only when it is ahead of its own (or differs at the same step): Q other
 * members vouching for the very same state (step and digest) now, or a
 * decision certificate — Q members' signed votes for the step that left that
 * replica — which outlives voters that left the group or restarted behind.
 * The bytes may come from any one member and must match the digest and the
 * data rules. No single member's word moves a step or an owner.
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
  async verify (name: XorName, tag: number, candidate?: Candidate): Promise<HandOverResult> {
    const key = replicaKey(name, tag)
    const current = this.running.get(key)
    if (current != null) return await current
    const run = this.run(key, name, tag, candidate).finally(() => { this.running.delete(key) })
    this.running.set(key, run)
    return await run
  }

  private async run (key: string, name: XorName, tag: number, candidate?: Candidate): Promise<HandOverResult> {
    const { context } = this.options
    await cryptoReady()
    // A certified candidate ahead of ours needs no one else's word.
    if (candidate?.certificate != null && await this.adoptCertified(key, name, tag, candidate.data, candidate.seq, candidate.certificate) != null) return 'adopted'
    const others = context.routing.closeGroup(name).filter(p => !p.equals(context.self))
    const quorum = quorumOf(this.params.groupSize)
    const answers = await askUntil(others, async (peer): Promise<Held | undefined> => {
      const reply = await context.send(peer, { type: 'GetReplicaDigest', name, tag }, { timeout: ASK_TIMEOUT })
      if (reply.type !== 'ReplicaDigest') return undefined
      return reply.digest != null ? { seq: reply.seq, digest: reply.digest } : { seq: reply.seq }
    }, so => agreedState(so.map(a => ({ voter: a.peer.toString(), state: a.answer })), heldKey, quorum) !== undefined)
    const vouches = answers.map(a => ({ voter: a.peer.toString(), peer: a.peer, state: a.answer }))
    const agreed = agreedState(vouches, heldKey, quorum)
    const ours = await this.options.replicas.get(key)
    if (agreed?.digest != null && isBehind(ours, agreed)) {
      const replica = await this.bytesOf(name, tag, agreed, candidate, vouches.filter(v => heldKey(v.state) === heldKey(agreed)).map(v => v.peer))
      if (replica == null) return 'no-quorum'
      await this.options.adopt(key, replica)
      context.log.info({ key, from: ours.seq, to: replica.seq }, 'replica adopted on a quorum\'s word')
      return 'adopted'
    }
    // Fewer than Q hold a later step (its other voters left the group or restarted behind): one of them may show its certificate.
    const ahead = vouches.filter(v => v.state.digest != null && v.state.seq > ours.seq).sort((a, b) => b.state.seq - a.state.seq)
    for (const { peer } of ahead) {
      try {
        const reply = await context.send(peer, { type: 'GetReplica', name, tag }, { timeout: ASK_TIMEOUT })
        if (reply.type !== 'Replica' || reply.data == null || reply.certificate == null) continue
        if (await this.adoptCertified(key, name, tag, reply.data, reply.seq, reply.certificate) != null) return 'adopted'
      } catch (err) {
        context.log.debug({ peer: peer.toString(), err: (err as Error).message }, 'a member ahead did not give its replica')
      }
    }
    return agreed == null ? 'no-quorum' : 'current'
  }

  /** Adopts `data` at `seq` if `certificate` is Q group members' valid votes for exactly that replica and it is ahead of ours. */
  private async adoptCertified (key: string, name: XorName, tag: number, data: MutableData, seq: number, certificate: DecisionCertificate): Promise<Replica | undefined> {
    const { context } = this.options
    const ours = await this.options.replicas.get(key)
    if (ours.data != null && ours.seq >= seq) return undefined
    const replica = this.accept(name, tag, data, seq, certificate.digest)
    if (replica == null || !certifies(certificate, seq, certificate.digest)) return undefined
    if (!this.isValid(name, tag, certificate)) {
      context.log.warn({ key, seq }, 'a replica came with a certificate that is not Q group members\' votes')
      return undefined
    }
    const certified = { ...replica, certificate }
    await this.options.adopt(key, certified)
    context.log.info({ key, from: ours.seq, to: seq }, 'replica adopted on a decision certificate')
    return certified
  }

  /** Whether `certificate` holds Q valid votes from distinct keys among the G + 2 nodes nearest (name, tag)'s name. */
  private isValid (name: XorName, tag: number, certificate: DecisionCertificate): boolean {
    const certifiers = this.options.context.routing.closeGroup(name, this.params.groupSize + CERTIFIER_SLACK).map(p => p.publicKey?.raw).filter(k => k != null)
    const isMember = (voter: Uint8Array): boolean => certifiers.some(k => bytesEqual(k, voter))
    return isCertified(certificate, name, tag, quorumOf(this.params.groupSize), verify, isMember)
  }

  /** `data` at `seq` if it is (name, tag)'s, hashes to `digest` and keeps the data rules. */
  private accept (name: XorName, tag: number, data: MutableData | undefined, seq: number, digest: Uint8Array): Replica | undefined {
    if (data == null || !xorNameEquals(data.name, name) || data.tag !== tag) return undefined
    const encoded = encodeReplica(data, seq)
    if (!bytesEqual(encoded.digest, digest)) return undefined
    try {
      validateNewMutableData(data, this.params)
    } catch {
      return undefined
    }
    return { data, seq, digest: encoded.digest }
  }

  /** The vouched replica's bytes: the candidate's, or a voucher's, checked against the digest and the data rules. */
  private async bytesOf (name: XorName, tag: number, agreed: Held, candidate: Candidate | undefined, vouchers: Parameters<PersonaContext['send']>[0][]): Promise<Replica | undefined> {
    const digest = agreed.digest as Uint8Array
    // The vouched bytes keep the certificate they came with when it is this replica's and valid (it helps the next member that lags).
    const withCertificate = (replica: Replica | undefined, certificate: DecisionCertificate | undefined): Replica | undefined =>
      replica != null && certificate != null && certifies(certificate, replica.seq, digest) && this.isValid(name, tag, certificate) ? { ...replica, certificate } : replica
    if (candidate != null && candidate.seq === agreed.seq) {
      const replica = this.accept(name, tag, candidate.data, candidate.seq, digest)
      if (replica != null) return withCertificate(replica, candidate.certificate)
    }
    for (const peer of vouchers) {
      try {
        const reply = await this.options.context.send(peer, { type: 'GetReplica', name, tag }, { timeout: ASK_TIMEOUT })
        if (reply.type !== 'Replica' || reply.seq !== agreed.seq) continue
        const replica = this.accept(name, tag, reply.data, reply.seq, digest)
        if (replica != null) return withCertificate(replica, reply.certificate)
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
