import {
  QuorumTally, SafeMeshError, bytesEqual, bytesToHex, compareBallots, proposalBytes, quorumOf, recoverStep, voteBytes,
  type Ballot, type DecisionCertificate, type NetworkParams, type Response, type XorName
} from '@safemesh/protocol'
import { applyMutation, type MutableDataMutation } from './apply-mutation.js'
import { KeyedQueue } from '../keyed-queue.js'
import { replicaKey, stateDigest, type Replica, type ReplicaStore } from './replica-store.js'
import type { RoutingView } from '@safemesh/net'
import type { PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'

/** The sequencer's waits (ms). */
export interface SequencerTiming {
  /**
   * How long a member waits for the order of a mutation that reached quorum here. It must not
   * run out before the wait around it (a Maid-Manager's forward, 20 s): a member answering
   * Timeout while the others apply turns load into disagreement.
   */
  orderTimeout: number
  /** How long a mutation that reached quorum here may stay unordered before this node suspects the sequencer. */
  suspectAfter: number
  /** How long a member may be stuck behind waiting votes before it catches up on a quorum's word. */
  gapTimeout: number
}

// The order may take longer than a Maid-Manager's forward (20 s): its retry joins the same ballot
// and gets the outcome once the step is applied, instead of a Timeout kept for the ballot's life.
const DEFAULT_SEQUENCER_TIMING: SequencerTiming = Object.freeze({ orderTimeout: 60_000, suspectAfter: 4_000, gapTimeout: 2_000 })
/** Steps ahead of this replica whose votes are kept; farther ones only make this node catch up. */
const VOTE_WINDOW = 64
/** How long a deposed sequencer stays deposed for that data. */
const DEPOSED_TTL = 10 * 60_000
/** Suspicions being counted at once. */
const SUSPICION_CAPACITY = 10_000
/** Outcomes of applied mutations kept, so one submitted again is answered, never applied twice. */
const OUTCOME_CAPACITY = 10_000
/** Data this node neither holds nor waits on whose votes and promises it keeps (in case its own quorum comes); the oldest go past this. */
const MAX_UNHELD = 1024
/** Ballots kept per step: honest members vote in a few; a sequencer minting rounds gets no more. */
const MAX_BALLOTS_PER_STEP = 32

/** A sequencer's signed word that mutation `id` is step `seq`, in its ballot (`round`, its key). */
export interface Proposal extends Ballot {
  seq: number
  id: string
  /** The sequencer's Ed25519 public key. */
  sequencer: Uint8Array
  signature: Uint8Array
}

/** A member's signed vote for a proposal: the digest of the replica the step leaves, and its signature of both ({@link voteBytes}). */
export interface SignedVote {
  digest: Uint8Array
  signature: Uint8Array
}

/** A vote this node cast, kept so it can be sent again. */
interface CastVote extends SignedVote {
  proposal: Proposal
}

/** A member's answer to a sequencer taking over from a step (`Prepare`). */
export interface PrepareAnswer {
  /** Whether it promised to vote in no lower ballot (it had promised no higher one). */
  granted: boolean
  /** The step its replica holds. */
  seq: number
  /** The round of the highest ballot it promised. */
  round: number
  /** Its latest vote at the step asked about. */
  vote?: Proposal
}

interface Ready {
  key: string
  name: XorName
  tag: number
  account: XorName
  mutation: MutableDataMutation
  since: number
  resolve: (outcome: Response) => void
  reject: (err: Error) => void
  timer: ReturnType<typeof setTimeout>
}

/** One ballot's votes for one mutation and the replica it leaves: each voter's key and signature, by peer id. */
interface BallotVotes {
  proposal: Proposal
  digest: Uint8Array
  voters: Map<string, { voter: Uint8Array, signature: Uint8Array }>
}

/** Votes on the steps ahead of one replica: step → ballot, mutation and digest → the votes. */
type Steps = Map<number, Map<string, BallotVotes>>

export interface SequencerOptions {
  routing: RoutingView
  replicas: ReplicaStore
  params: NetworkParams
  log: Logger
  /** Sends this node's vote (`Commit`, with the proposal it follows and its signed vote) to the other members of the data's group. */
  broadcastCommit: (name: XorName, tag: number, proposal: Proposal, vote: SignedVote) => void
  /** Sends a proposal this node signed as sequencer, and cannot vote for yet, to the other members (`Propose`). */
  broadcastProposal: (name: XorName, tag: number, proposal: Proposal) => void
  /**
   * Asks the other members of the data's group to promise a ballot of this node from step `seq`
   * on; their answers, once every member answered or failed, or `enough` says the answers so far settle it.
   */
  prepare: (name: XorName, tag: number, seq: number, round: number, enough: (answers: PrepareAnswer[]) => boolean) => Promise<PrepareAnswer[]>
  /** Signs with this node's peer key (its proposals as sequencer, its votes). */
  sign: (bytes: Uint8Array) => Promise<Uint8Array>
  /** Sends the group two proposals the sequencer signed for one step and ballot. */
  broadcastProof: (name: XorName, tag: number, first: Proposal, second: Proposal) => void
  /** Tells the other members of the data's group that this node suspects their sequencer. */
  broadcastSuspicion: (name: XorName, tag: number, sequencer: PeerId) => void
  /** Brings this replica to the state a quorum of the group vouches for, if that is ahead (a hand-over). */
  catchUp: (name: XorName, tag: number) => Promise<unknown>
  timing?: SequencerTiming
}

/**
 * Orders the mutations of each MutableData across its Data-Managers, so that
 * concurrent conflicting mutations are settled the same way on every replica
 * (SPEC §5), and no single member can reorder, rewrite or stall them
 * (docs/protocol.md, "Order").
 *
 * - The sequencer is the nearest member of the data's group that this node
 *   has not seen deposed. When a mutation reached quorum at it, it signs a
 *   proposal "this mutation is step s in my ballot" and sends it to the group.
 * - A member votes for its sequencer's proposal of a step, signature
 *   included, to the whole group, and signs its vote with the digest of the
 *   replica the step leaves at it; the Q signed votes a member applies on are
 *   kept with the replica (a decision certificate that any member can check
 *   later, docs/protocol.md). A vote is a promise to apply: a member
 *   votes only on the step right after the one its replica holds, and only
 *   for a mutation that reached quorum at itself, so a step Q members voted
 *   for is soon held by Q members, which is what a hand-over to the others
 *   needs. It applies step s once Q members voted the same mutation in the
 *   same ballot: a sequencer can reorder but never invent, and a member's
 *   vote is one vote, never an order. The sequencer votes like every member.
 * - Ballots are (round, sequencer). In round 0, every sequencer's first, a
 *   member votes once a step. A sequencer whose step is stuck (a new one
 *   after a deposition, or one whose proposal cannot reach Q votes) takes
 *   over in a higher round: Q members promise to vote in no lower ballot and
 *   tell it their vote there, and it proposes what `recoverStep` says — what
 *   may have been decided, or anything when nothing can have been.
 * - Two signed proposals for one step and ballot prove that the sequencer
 *   lied: whoever holds both deposes it. A member whose quorum-authorised
 *   mutation stays unordered sends its votes again and suspects the
 *   sequencer; Q suspicions depose it for that data.
 * - A follower that falls behind catches up on a quorum's word (a hand-over),
 *   never on one member's.
 */
export class Sequencer {
  private readonly options: SequencerOptions
  private readonly quorum: number
  private readonly timing: SequencerTiming
  private readonly ready = new Map<string, Ready>()
  private readonly outcomes = new Map<string, Response | SafeMeshError>()
  /** Mutations submitted and not yet applied: a second submission waits for the same outcome. */
  private readonly pending = new Map<string, Promise<Response>>()
  private readonly steps = new Map<string, Steps>()
  /** This node's latest vote at each step it voted on, per data. */
  private readonly voted = new Map<string, Map<number, CastVote>>()
  /** The highest ballot this node promised or voted in, per data: it votes in no lower one. */
  private readonly promised = new Map<string, Ballot>()
  /** The highest round seen per data, so a take-over picks one above it. */
  private readonly rounds = new Map<string, number>()
  /** Its sequencer's proposal of each step ahead in the highest ballot seen, per data. */
  private readonly proposals = new Map<string, Map<number, Proposal>>()
  /** The round this node proposes in, per data, while it sequences (0 until it takes over). */
  private readonly myRound = new Map<string, number>()
  /** The last step this node proposed, per data, while it sequences. */
  private readonly proposed = new Map<string, number>()
  /** The mutations this node proposed and the steps it proposed them for, per data, while it sequences. */
  private readonly mine = new Map<string, Map<string, number>>()
  private readonly takingOver = new Set<string>()
  /** The proposal each recent step was applied on and the digest it left, per data: a new round re-proposing it gets this node's vote again. */
  private readonly appliedOn = new Map<string, Map<number, { proposal: Proposal, digest: Uint8Array }>>()
  /** Re-proposals of applied steps this node voted for again (step, ballot), so it votes once each. */
  private readonly reconfirmed = new Set<string>()
  private readonly deposed = new Map<string, Map<string, number>>()
  private readonly suspicions: QuorumTally
  private readonly queue = new KeyedQueue()
  private readonly gapTimers = new Map<string, { seq: number, timer: ReturnType<typeof setTimeout> }>()
  /** Keys of data with votes or promises here that this node neither holds nor waits on, oldest first. */
  private readonly unheld = new Map<string, true>()
  private stopped = false

  constructor (options: SequencerOptions) {
    this.options = options
    this.quorum = quorumOf(options.params.groupSize)
    this.timing = options.timing ?? DEFAULT_SEQUENCER_TIMING
    this.suspicions = new QuorumTally(this.quorum, SUSPICION_CAPACITY)
  }

  /** A mutation reached quorum here: resolves with its outcome once it is applied in order. */
  async submit (requestId: Uint8Array, account: XorName, mutation: MutableDataMutation): Promise<Response> {
    const name = mutation.type === 'PutMData' ? mutation.data.name : mutation.name
    const tag = mutation.type === 'PutMData' ? mutation.data.tag : mutation.tag
    const key = replicaKey(name, tag)
    const id = bytesToHex(requestId)
    // Answered from memory, else from the outcomes kept on disk with the replica (after a restart).
    const known = this.outcomes.get(id) ?? await this.options.replicas.outcomeOf(key, requestId)
    if (known instanceof SafeMeshError) throw known
    if (known != null) return known
    const pending = this.pending.get(id)
    if (pending != null) return await pending
    const outcome = new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => { this.unordered(id) }, this.timing.suspectAfter)
      this.ready.set(id, { key, name, tag, account, mutation, since: Date.now(), resolve, reject, timer })
      void this.serial(key, async () => {
        if (this.isSequencer(key, name)) await this.propose(key, name, tag, id)
        await this.advance(key, name, tag)
      })
    })
    this.pending.set(id, outcome)
    try {
      return await outcome
    } finally {
      this.pending.delete(id)
    }
  }

  /**
   * A member's vote that mutation `requestId` is step `seq` of this replica,
   * with the signed proposal it follows and its own signed vote. Only
   * proposals of this node's sequencer are voted for; those of a sequencer it
   * deposed still count as votes (a step Q members voted for is decided,
   * whoever proposed it).
   */
  async commit (from: PeerId, name: XorName, tag: number, proposal: Proposal, vote: SignedVote): Promise<void> {
    await this.received(from, name, tag, proposal, vote)
  }

  /** The sequencer's proposal that mutation `requestId` is step `seq`, which it could not vote for yet. */
  async proposal (from: PeerId, name: XorName, tag: number, requestId: Uint8Array, seq: number, round: number, sequencer: Uint8Array, signature: Uint8Array): Promise<void> {
    if (from.publicKey == null || !bytesEqual(from.publicKey.raw, sequencer)) {
      throw new SafeMeshError('AccessDenied', 'a proposal comes from the sequencer that signed it')
    }
    await this.received(from, name, tag, { seq, round, id: bytesToHex(requestId), sequencer, signature }, undefined)
  }

  /**
   * This node's sequencer takes over from step `seq` in ballot (`round`, its
   * key): promised unless a higher ballot was, with this node's vote there.
   */
  async promise (from: PeerId, name: XorName, tag: number, seq: number, round: number): Promise<PrepareAnswer> {
    const key = replicaKey(name, tag)
    if (from.publicKey == null || this.sequencerOf(key, name)?.equals(from) !== true) {
      throw new SafeMeshError('AccessDenied', 'only the data\'s sequencer takes its order over')
    }
    const ballot: Ballot = { round, sequencer: from.publicKey.raw }
    return await this.serial(key, async () => await this.promiseHere(key, seq, ballot))
  }

  /** A member suspects the sequencer (by its public key) of (name, tag); Q suspicions depose it here. */
  suspect (from: PeerId, name: XorName, tag: number, sequencerKey: Uint8Array): void {
    const group = this.options.routing.closeGroup(name)
    if (!group.some(p => p.equals(from))) {
      throw new SafeMeshError('AccessDenied', 'only a Data-Manager of the data may suspect its sequencer')
    }
    const sequencer = group.find(p => p.publicKey != null && bytesEqual(p.publicKey.raw, sequencerKey))
    if (sequencer == null) return
    this.countSuspicion(replicaKey(name, tag), name, tag, sequencer.toString(), from.toString())
  }

  /** Another member's proof that the sequencer (by its key) signed two proposals for one step and ballot. */
  async proof (from: PeerId, name: XorName, tag: number, first: Proposal, second: Proposal): Promise<void> {
    const group = this.options.routing.closeGroup(name)
    if (!group.some(p => p.equals(from))) throw new SafeMeshError('AccessDenied', 'only a Data-Manager of the data may accuse its sequencer')
    const sequencer = group.find(p => p.publicKey != null && bytesEqual(p.publicKey.raw, first.sequencer))
    if (sequencer == null || first.seq !== second.seq || first.round !== second.round || first.id === second.id ||
      !bytesEqual(first.sequencer, second.sequencer) || !await this.signedBy(sequencer, name, tag, first) || !await this.signedBy(sequencer, name, tag, second)) {
      throw new SafeMeshError('InvalidRequest', 'that is no proof: two different proposals for one step and ballot, both signed by a member, are')
    }
    this.equivocated(replicaKey(name, tag), name, tag, sequencer, first, second)
  }

  stop (): void {
    this.stopped = true
    for (const ready of this.ready.values()) clearTimeout(ready.timer)
    for (const gap of this.gapTimers.values()) clearTimeout(gap.timer)
    this.gapTimers.clear()
  }

  /** Writes a replica that a quorum vouched for, in order with this node's other writes of that data. */
  async adopt (key: string, replica: Replica): Promise<void> {
    await this.serial(key, async () => {
      const ours = await this.options.replicas.get(key)
      if (ours.data != null && ours.seq > replica.seq) return
      this.settleCertified(ours, replica)
      await this.options.replicas.put(key, replica)
      this.unheld.delete(key)
      this.forgetUpTo(key, replica.seq, true)
    })
  }

  /**
   * The adopted replica is certified one step past ours, for a mutation waiting here: applying it
   * to ours leaves the certified digest, so its outcome here is the group's, not a Timeout.
   */
  private settleCertified (ours: Replica, replica: Replica): void {
    const certificate = replica.certificate
    if (certificate == null || certificate.seq !== ours.seq + 1) return
    const id = bytesToHex(certificate.requestId)
    const ready = this.ready.get(id)
    if (ready == null) return
    const applied = applyMutation(ours.data, ready.account, ready.mutation, this.options.params)
    if (!bytesEqual(stateDigest(applied.data, certificate.seq), certificate.digest)) return
    this.ready.delete(id)
    clearTimeout(ready.timer)
    this.keepOutcome(id, applied.outcome)
    if (applied.outcome instanceof SafeMeshError) ready.reject(applied.outcome)
    else ready.resolve(applied.outcome)
  }

  private keepOutcome (id: string, outcome: Response | SafeMeshError): void {
    if (this.outcomes.size >= OUTCOME_CAPACITY) this.outcomes.delete(this.outcomes.keys().next().value as string)
    this.outcomes.set(id, outcome)
  }

  private async received (from: PeerId, name: XorName, tag: number, proposal: Proposal, vote: SignedVote | undefined): Promise<void> {
    const isVote = vote != null
    const { seq } = proposal
    const group = this.options.routing.closeGroup(name)
    if (!group.some(p => p.equals(from))) {
      throw new SafeMeshError('AccessDenied', 'only a Data-Manager of the data may vote on its order')
    }
    // Checked after membership, so a stranger's Commit costs no signature check.
    if (vote != null && !await this.castBy(from, name, tag, proposal, vote)) {
      throw new SafeMeshError('AccessDenied', 'a vote is signed by the member that casts it')
    }
    const key = replicaKey(name, tag)
    const leader = group.find(p => p.publicKey != null && bytesEqual(p.publicKey.raw, proposal.sequencer))
    const current = leader != null && this.sequencerOf(key, name)?.equals(leader) === true
    if (leader?.publicKey == null || (!current && (!isVote || !this.isDeposed(key, leader)))) {
      throw new SafeMeshError('AccessDenied', 'only the data\'s sequencer proposes its order')
    }
    const known = this.proposals.get(key)?.get(seq)
    if (known == null || known.id !== proposal.id || known.round !== proposal.round || !bytesEqual(known.signature, proposal.signature)) {
      if (!await this.signedBy(leader, name, tag, proposal)) {
        throw new SafeMeshError('AccessDenied', 'the proposal\'s signature is not the sequencer\'s')
      }
    }
    await this.serial(key, async () => {
      const replica = await this.options.replicas.get(key)
      if (seq <= replica.seq) {
        if (current) await this.reconfirm(key, name, tag, proposal)
        return
      }
      const held = this.note(key, replica)
      this.noteRound(key, proposal.round)
      if (seq > replica.seq + VOTE_WINDOW) {
        // The sequencer's own word that data held here is far ahead: worth a catch-up, which a quorum must back.
        if (current && held) this.watchProgress(key, name, tag, replica.seq, true)
        return
      }
      if (vote != null && from.publicKey != null) this.record(key, proposal, vote, from.toString(), from.publicKey.raw)
      if (current) {
        const proposals = this.proposals.get(key) ?? new Map<number, Proposal>()
        this.proposals.set(key, proposals)
        const first = proposals.get(seq)
        const order = first == null ? 1 : compareBallots(proposal, first)
        if (order > 0) proposals.set(seq, proposal)
        if (first != null && order === 0 && first.id !== proposal.id) this.equivocated(key, name, tag, leader, first, proposal)
      }
      await this.advance(key, name, tag)
    })
  }

  /** Whether `vote` is `peer`'s signature of its vote for `proposal`. */
  private async castBy (peer: PeerId, name: XorName, tag: number, proposal: Proposal, vote: SignedVote): Promise<boolean> {
    const signed = voteBytes(name, tag, proposal.seq, proposal.round, proposal.sequencer, Buffer.from(proposal.id, 'hex'), vote.digest)
    return await (peer.publicKey?.verify(signed, vote.signature) ?? false)
  }

  private async signedBy (peer: PeerId, name: XorName, tag: number, p: Proposal): Promise<boolean> {
    return await (peer.publicKey?.verify(proposalBytes(name, tag, p.seq, p.round, Buffer.from(p.id, 'hex')), p.signature) ?? false)
  }

  /**
   * A new round re-proposes a step this node applied, with the same
   * mutation: it votes for it again, so members that could not apply the
   * step (its first quorum counted a member that never applies) get Q votes.
   */
  private async reconfirm (key: string, name: XorName, tag: number, proposal: Proposal): Promise<void> {
    const applied = this.appliedOn.get(key)?.get(proposal.seq)
    const once = `${key}/${proposal.seq}/${proposal.round}/${bytesToHex(proposal.sequencer)}`
    if (proposal.round === 0 || applied?.proposal.id !== proposal.id || this.reconfirmed.has(once)) return
    if (this.reconfirmed.size >= OUTCOME_CAPACITY) this.reconfirmed.delete(this.reconfirmed.values().next().value as string)
    this.reconfirmed.add(once)
    this.options.broadcastCommit(name, tag, proposal, await this.signVote(name, tag, proposal, applied.digest))
  }

  /** This node's signed word that `proposal`'s step leaves the replica at `digest`. */
  private async signVote (name: XorName, tag: number, proposal: Proposal, digest: Uint8Array): Promise<SignedVote> {
    const signed = voteBytes(name, tag, proposal.seq, proposal.round, proposal.sequencer, Buffer.from(proposal.id, 'hex'), digest)
    return { digest, signature: await this.options.sign(signed) }
  }

  private async promiseHere (key: string, seq: number, ballot: Ballot): Promise<PrepareAnswer> {
    const replica = await this.options.replicas.get(key)
    this.note(key, replica)
    this.noteRound(key, ballot.round)
    // A step applied here: the proposal it was decided on, which the new round must keep.
    const vote = seq <= replica.seq ? this.appliedOn.get(key)?.get(seq)?.proposal : this.voted.get(key)?.get(seq)?.proposal
    const promised = this.promised.get(key)
    if (promised != null && compareBallots(ballot, promised) <= 0) {
      return { granted: false, seq: replica.seq, round: promised.round, ...(vote != null ? { vote } : {}) }
    }
    this.promised.set(key, ballot)
    return { granted: true, seq: replica.seq, round: ballot.round, ...(vote != null ? { vote } : {}) }
  }

  private noteRound (key: string, round: number): void {
    if (round > (this.rounds.get(key) ?? 0)) this.rounds.set(key, round)
  }

  private sequencerOf (key: string, name: XorName): PeerId | undefined {
    const deposed = this.deposed.get(key)
    const now = Date.now()
    return this.options.routing.closeGroup(name).find(peer => {
      const until = deposed?.get(peer.toString())
      return until == null || until < now
    })
  }

  private isDeposed (key: string, peer: PeerId): boolean {
    return (this.deposed.get(key)?.get(peer.toString()) ?? 0) >= Date.now()
  }

  private isSequencer (key: string, name: XorName): boolean {
    return this.sequencerOf(key, name)?.equals(this.options.routing.self) === true
  }

  /** Whether any member voted mutation `id` for a step other than `seq` that is not applied here yet. */
  private votesElsewhere (key: string, id: string, seq: number): boolean {
    for (const [step, ballots] of this.steps.get(key) ?? []) {
      if (step !== seq && [...ballots.values()].some(b => b.proposal.id === id)) return true
    }
    return false
  }

  /** The sequencer proposes a mutation as the next free step, unless it proposed it already. */
  private async propose (key: string, name: XorName, tag: number, wanted: string): Promise<void> {
    if (this.mine.get(key)?.has(wanted) === true) return
    const { seq: held } = await this.options.replicas.get(key)
    const seq = Math.max(held, this.proposed.get(key) ?? 0) + 1
    // A mutation with votes at another step not yet applied may be decided there: proposing it here could leave this step dead.
    if (this.votesElsewhere(key, wanted, seq)) return
    await this.proposeAt(key, name, tag, seq, wanted)
  }

  /** Signs "`id` is step `seq`" in this node's ballot and sends it to the group, inside its vote when it can vote for it now. */
  private async proposeAt (key: string, name: XorName, tag: number, seq: number, id: string): Promise<void> {
    const round = this.myRound.get(key) ?? 0
    const mine = this.mine.get(key) ?? new Map<string, number>()
    this.mine.set(key, mine)
    mine.set(id, seq)
    this.proposed.set(key, Math.max(seq, this.proposed.get(key) ?? 0))
    this.options.log.debug({ key, seq, round, id }, 'proposing')
    const signature = await this.options.sign(proposalBytes(name, tag, seq, round, Buffer.from(id, 'hex')))
    const proposal: Proposal = { seq, round, id, sequencer: this.options.routing.self.publicKey?.raw ?? new Uint8Array(32), signature }
    const proposals = this.proposals.get(key) ?? new Map<number, Proposal>()
    this.proposals.set(key, proposals)
    proposals.set(seq, proposal)
    await this.tryVote(key, name, tag)
    if (this.voted.get(key)?.get(seq)?.proposal !== proposal) this.options.broadcastProposal(name, tag, proposal)
  }

  /**
   * Votes for the sequencer's proposal of the step after the replica's, once
   * its mutation reached quorum here: a member votes only for what it can
   * apply at once, so Q votes leave Q holders. In round 0 a member votes once
   * a step; a higher ballot replaces a vote; none below a promise counts.
   */
  private async tryVote (key: string, name: XorName, tag: number): Promise<void> {
    const replica = await this.options.replicas.get(key)
    const next = replica.seq + 1
    const proposal = this.proposals.get(key)?.get(next)
    const ready = proposal == null ? undefined : this.ready.get(proposal.id)
    if (proposal == null || ready?.key !== key) return
    const promised = this.promised.get(key)
    if (promised != null && compareBallots(proposal, promised) < 0) return
    const mine = this.voted.get(key)?.get(next)?.proposal
    if (mine != null && (proposal.round === 0 || compareBallots(proposal, mine) <= 0)) return
    // The vote names the replica the step leaves here, so Q votes certify that replica to any member later.
    const digest = stateDigest(applyMutation(replica.data, ready.account, ready.mutation, this.options.params).data, next)
    const vote = await this.signVote(name, tag, proposal, digest)
    if ((await this.options.replicas.get(key)).seq !== replica.seq) return
    const voted = this.voted.get(key) ?? new Map<number, CastVote>()
    this.voted.set(key, voted)
    voted.set(next, { proposal, ...vote })
    // A vote in a taken-over round is a promise too; round 0 needs none (a member votes in it once a step).
    if (proposal.round > 0 && (promised == null || compareBallots(proposal, promised) > 0)) this.promised.set(key, { round: proposal.round, sequencer: proposal.sequencer })
    this.record(key, proposal, vote, this.options.routing.self.toString(), this.options.routing.self.publicKey?.raw ?? new Uint8Array(32))
    this.options.broadcastCommit(name, tag, proposal, vote)
  }

  private record (key: string, proposal: Proposal, vote: SignedVote, voter: string, voterKey: Uint8Array): void {
    const steps: Steps = this.steps.get(key) ?? new Map()
    this.steps.set(key, steps)
    const step = steps.get(proposal.seq) ?? new Map<string, BallotVotes>()
    steps.set(proposal.seq, step)
    const ballot = `${proposal.round}/${bytesToHex(proposal.sequencer)}/${proposal.id}/${bytesToHex(vote.digest)}`
    if (!step.has(ballot) && step.size >= MAX_BALLOTS_PER_STEP) return
    const entry = step.get(ballot) ?? { proposal, digest: vote.digest, voters: new Map() }
    step.set(ballot, entry)
    entry.voters.set(voter, { voter: voterKey, signature: vote.signature })
  }

  /** Two signed proposals for one step and ballot: the sequencer lied, which anyone holding both can check. Deposed at once. */
  private equivocated (key: string, name: XorName, tag: number, sequencer: PeerId, first: Proposal, second: Proposal): void {
    if (this.isDeposed(key, sequencer)) return
    this.options.log.warn({ key, sequencer: sequencer.toString(), seq: first.seq }, 'the sequencer proposed two mutations for one step')
    this.options.broadcastProof(name, tag, first, second)
    this.depose(key, name, tag, sequencer.toString())
  }

  /** Votes where it can and applies every next step that Q members voted for in one ballot and that reached quorum here. */
  private async advance (key: string, name: XorName, tag: number): Promise<void> {
    await this.tryVote(key, name, tag)
    while (await this.applyNext(key)) await this.tryVote(key, name, tag)
    const replica = await this.options.replicas.get(key)
    // Data neither held nor waited on here is left to anti-entropy: a catch-up per stranger's vote would be work on demand.
    const waiting = (this.steps.get(key)?.size ?? 0) > 0 && (replica.data != null || this.waitsOn(key))
    this.watchProgress(key, name, tag, replica.seq, waiting)
  }

  /** Whether a mutation of this data reached quorum here and waits to be applied. */
  private waitsOn (key: string): boolean {
    for (const ready of this.ready.values()) if (ready.key === key) return true
    return false
  }

  /**
   * Notes that this node keeps state for `key`; data it neither holds nor waits on counts toward
   * {@link MAX_UNHELD}, and the oldest such data's votes and promises are forgotten past it.
   * Returns whether the data is held or waited on here.
   */
  private note (key: string, replica: Replica): boolean {
    const held = replica.data != null || replica.seq > 0 || this.waitsOn(key)
    this.unheld.delete(key)
    if (held) return true
    this.unheld.set(key, true)
    if (this.unheld.size > MAX_UNHELD) {
      const oldest = this.unheld.keys().next().value as string
      this.unheld.delete(oldest)
      if (!this.waitsOn(oldest)) this.forgetAll(oldest)
    }
    return false
  }

  /** Drops everything this node keeps about the order of a data it neither holds nor waits on. */
  private forgetAll (key: string): void {
    for (const table of [this.steps, this.voted, this.promised, this.rounds, this.proposals, this.myRound, this.proposed, this.mine, this.appliedOn]) table.delete(key)
    const gap = this.gapTimers.get(key)
    if (gap != null) clearTimeout(gap.timer)
    this.gapTimers.delete(key)
  }

  /** Applies the step after the replica's if Q members voted one mutation for it in one ballot and it reached quorum here. */
  private async applyNext (key: string): Promise<boolean> {
    const { data, seq } = await this.options.replicas.get(key)
    const step = this.steps.get(key)?.get(seq + 1)
    const votes = step == null ? undefined : [...step.values()].find(b => b.voters.size >= this.quorum)
    const on = votes?.proposal
    const decided = on?.id
    const ready = decided == null ? undefined : this.ready.get(decided)
    if (votes == null || on == null || decided == null || ready == null) return false
    const applied = applyMutation(data, ready.account, ready.mutation, this.options.params)
    // Our own vote for this mutation at this step already named the digest it leaves here: no second encoding.
    const cast = this.voted.get(key)?.get(seq + 1)
    const ours = cast?.proposal.id === decided ? cast.digest : stateDigest(applied.data, seq + 1)
    if (!bytesEqual(ours, votes.digest)) {
      // Q members say the step leaves another replica than ours would: ours diverged, so a catch-up to theirs (certified) comes first.
      this.options.log.warn({ key, seq: seq + 1, id: decided }, 'a decided step leaves another replica here')
      return false
    }
    const appliedOn = this.appliedOn.get(key) ?? new Map<number, { proposal: Proposal, digest: Uint8Array }>()
    this.appliedOn.set(key, appliedOn)
    appliedOn.set(seq + 1, { proposal: on, digest: votes.digest })
    appliedOn.delete(seq + 1 - VOTE_WINDOW)
    this.options.log.debug({ key, seq: seq + 1, id: decided }, 'applying')
    this.ready.delete(decided)
    clearTimeout(ready.timer)
    await this.options.replicas.put(key, { data: applied.data, seq: seq + 1, certificate: certificateOf(votes) }, { requestId: Buffer.from(decided, 'hex'), outcome: applied.outcome })
    this.unheld.delete(key)
    this.forgetUpTo(key, seq + 1)
    this.keepOutcome(decided, applied.outcome)
    if (applied.outcome instanceof SafeMeshError) ready.reject(applied.outcome)
    else ready.resolve(applied.outcome)
    return true
  }

  /**
   * Votes are waiting but the next step cannot be applied: we missed its
   * votes, or its quorum never formed here. If the replica has not moved on
   * within the gap timeout, catch up on a quorum's word.
   */
  private watchProgress (key: string, name: XorName, tag: number, seq: number, waiting: boolean): void {
    const current = this.gapTimers.get(key)
    if (current != null && (!waiting || current.seq !== seq)) {
      clearTimeout(current.timer)
      this.gapTimers.delete(key)
    }
    if (!waiting || this.gapTimers.has(key) || this.stopped) return
    const timer = setTimeout(() => {
      this.gapTimers.delete(key)
      void this.catchUp(key, name, tag)
    }, this.timing.gapTimeout)
    this.gapTimers.set(key, { seq, timer })
  }

  private async catchUp (key: string, name: XorName, tag: number): Promise<void> {
    try {
      await this.options.catchUp(name, tag)
    } catch (err) {
      this.options.log.warn({ key, err: (err as Error).message }, 'could not catch up a replica')
    }
    await this.serial(key, async () => { await this.advance(key, name, tag) })
  }

  /**
   * Forgets votes at or below `seq`. After an adopted replica (`adopted`), a
   * mutation ready here that was voted for at one of those steps may be in
   * it: its outcome is unknown here.
   */
  private forgetUpTo (key: string, seq: number, adopted = false): void {
    const steps = this.steps.get(key)
    for (const step of [...(steps?.keys() ?? [])]) {
      if (step > seq) continue
      for (const { proposal: { id } } of adopted ? steps?.get(step)?.values() ?? [] : []) {
        const ready = this.ready.get(id)
        if (ready == null || ready.key !== key) continue
        this.ready.delete(id)
        clearTimeout(ready.timer)
        ready.reject(new SafeMeshError('Timeout', 'this replica caught up past the mutation; its outcome is the group\'s'))
      }
      steps?.delete(step)
    }
    if (steps?.size === 0) this.steps.delete(key)
    for (const table of [this.voted, this.proposals]) {
      const steps = table.get(key)
      for (const step of [...(steps?.keys() ?? [])]) if (step <= seq) steps?.delete(step)
      if (steps?.size === 0) table.delete(key)
    }
    const mine = this.mine.get(key)
    for (const [id, step] of mine ?? []) if (step <= seq) mine?.delete(id)
    if (mine?.size === 0) this.mine.delete(key)
  }

  /**
   * A mutation that reached quorum here is still unordered: take the order
   * over if this node is the sequencer now (the last one left or was
   * deposed, or its own step is stuck), else suspect the sequencer, until
   * the order timeout.
   */
  private unordered (id: string): void {
    const ready = this.ready.get(id)
    if (ready == null || this.stopped) return
    const { key, name, tag } = ready
    if (Date.now() - ready.since >= this.timing.orderTimeout) {
      this.ready.delete(id)
      ready.reject(new SafeMeshError('Timeout', 'the mutation reached quorum but was never ordered'))
      return
    }
    ready.timer = setTimeout(() => { this.unordered(id) }, this.timing.suspectAfter)
    void this.serial(key, async () => { await this.revote(key, name, tag) })
    if (this.isSequencer(key, name)) {
      void this.takeOver(key, name, tag)
      return
    }
    const sequencer = this.sequencerOf(key, name)
    if (sequencer != null) {
      this.options.log.info({ key, sequencer: sequencer.toString() }, 'a mutation stays unordered: suspecting the sequencer')
      this.options.broadcastSuspicion(name, tag, sequencer)
      this.countSuspicion(key, name, tag, sequencer.toString(), this.options.routing.self.toString())
    }
  }

  /** Sends this node's votes, and as sequencer its proposals, on the steps not yet applied again (they may have been lost). */
  private async revote (key: string, name: XorName, tag: number): Promise<void> {
    const { seq } = await this.options.replicas.get(key)
    const voted = this.voted.get(key)
    for (const { proposal, ...vote } of voted?.values() ?? []) {
      if (proposal.seq > seq) this.options.broadcastCommit(name, tag, proposal, vote)
    }
    for (const [id, step] of this.mine.get(key) ?? []) {
      const proposal = this.proposals.get(key)?.get(step)
      if (step > seq && proposal?.id === id && voted?.get(step)?.proposal !== proposal) this.options.broadcastProposal(name, tag, proposal)
    }
  }

  /**
   * This node sequences and a step is stuck: it first brings its replica to
   * the quorum's state, then opens a higher round from the next step on. Once
   * Q members (itself included) promised it, it proposes at that step what
   * `recoverStep` says of their votes, then everything it holds unordered.
   */
  private async takeOver (key: string, name: XorName, tag: number): Promise<void> {
    if (this.takingOver.has(key)) return
    this.takingOver.add(key)
    try {
      try {
        await this.options.catchUp(name, tag)
      } catch (err) {
        this.options.log.warn({ key, err: (err as Error).message }, 'could not catch up a replica')
      }
      const self = this.options.routing.self.publicKey?.raw
      if (self == null || !this.isSequencer(key, name)) return
      const seq = (await this.options.replicas.get(key)).seq + 1
      const round = Math.max(this.rounds.get(key) ?? 0, this.promised.get(key)?.round ?? 0) + 1
      const own = await this.serial(key, async () => await this.promiseHere(key, seq, { round, sequencer: self }))
      if (!own.granted) return
      // Waiting for the slowest member pays only when its answer could free the step.
      const settled = (answers: PrepareAnswer[]): boolean => {
        const granted = [own, ...answers].filter(a => a.granted)
        if (granted.length < this.quorum) return false
        if (granted.some(a => a.seq >= seq && a.vote != null)) return true
        const votes = granted.flatMap(a => a.vote != null && a.vote.seq === seq ? [a.vote] : [])
        return recoverStep(votes, granted.length, this.options.params.groupSize, this.quorum).kind === 'free'
      }
      const answers = await this.options.prepare(name, tag, seq, round, settled)
      for (const answer of answers) this.noteRound(key, answer.round)
      const granted = [own, ...answers].filter(a => a.granted)
      if (granted.length < this.quorum) return
      const group = this.options.routing.closeGroup(name)
      const signed = async (vote: Proposal | undefined): Promise<boolean> => {
        const signer = vote == null ? undefined : group.find(p => p.publicKey != null && bytesEqual(p.publicKey.raw, vote.sequencer))
        return vote != null && vote.seq === seq && signer != null && await this.signedBy(signer, name, tag, vote)
      }
      const votes: Proposal[] = []
      const applied: Proposal[] = []
      for (const { vote, seq: held } of granted) if (await signed(vote)) (held >= seq ? applied : votes).push(vote as Proposal)
      // Applied somewhere: decided, so kept (its appliers vote for it again). Applied, by what no one says: a catch-up comes first.
      if (granted.some(a => a.seq >= seq) && applied.length === 0) return
      const recovery = applied[0] != null ? { kind: 'keep' as const, id: applied[0].id } : recoverStep(votes, granted.length, this.options.params.groupSize, this.quorum)
      this.options.log.info({ key, seq, round, promised: granted.length, recovery: recovery.kind }, 'taking the order over')
      if (recovery.kind === 'unsure') return
      await this.serial(key, async () => {
        if ((await this.options.replicas.get(key)).seq + 1 !== seq || !this.isSequencer(key, name)) return
        this.myRound.set(key, round)
        this.proposed.set(key, seq - 1)
        this.mine.delete(key)
        if (recovery.kind === 'keep') await this.proposeAt(key, name, tag, seq, recovery.id)
        // A mutation that was proposed but no quorum can have voted for goes last: it may not be ready at enough members.
        const stuck = votes.map(v => v.id)
        const held = [...this.ready].filter(([, r]) => r.key === key).map(([id]) => id)
        for (const id of [...held.filter(id => !stuck.includes(id)), ...held.filter(id => stuck.includes(id))]) {
          await this.propose(key, name, tag, id)
        }
        await this.advance(key, name, tag)
      })
    } finally {
      this.takingOver.delete(key)
    }
  }

  private countSuspicion (key: string, name: XorName, tag: number, sequencer: string, voter: string): void {
    if (this.suspicions.vote(`${key}/${sequencer}`, voter)) this.depose(key, name, tag, sequencer)
  }

  /** Stops following `sequencer` for this data; the next nearest member takes the order over. */
  private depose (key: string, name: XorName, tag: number, sequencer: string): void {
    const deposed = this.deposed.get(key) ?? new Map<string, number>()
    deposed.set(sequencer, Date.now() + DEPOSED_TTL)
    this.deposed.set(key, deposed)
    setTimeout(() => { this.suspicions.forget(`${key}/${sequencer}`) }, DEPOSED_TTL).unref()
    this.options.log.warn({ key, sequencer }, 'sequencer deposed')
    // The next sequencer gets the time to take over (a catch-up, a round of promises) and the full wait before anyone suspects it in turn.
    for (const [id, ready] of this.ready) {
      if (ready.key !== key) continue
      clearTimeout(ready.timer)
      ready.timer = setTimeout(() => { this.unordered(id) }, this.timing.gapTimeout + 2 * this.timing.suspectAfter)
    }
    // Votes cast stay (a step Q members voted for is decided, whoever proposed it); the deposed one's proposals no longer get any.
    void this.serial(key, async () => {
      this.proposals.delete(key)
      this.proposed.delete(key)
      this.mine.delete(key)
      this.myRound.delete(key)
      await this.advance(key, name, tag)
    })
    if (!this.isSequencer(key, name)) return
    // Votes cast under the deposed sequencer are still on their way: they may decide steps first.
    const timer = setTimeout(() => { void this.takeOver(key, name, tag) }, this.timing.gapTimeout)
    timer.unref?.()
  }

  private async serial<T> (key: string, work: () => Promise<T>): Promise<T> {
    return await this.queue.run(key, work)
  }
}

/** The decision Q members' votes make, in the form any member can check later. */
function certificateOf ({ proposal, digest, voters }: BallotVotes): DecisionCertificate {
  return {
    seq: proposal.seq,
    round: proposal.round,
    sequencer: proposal.sequencer,
    requestId: Buffer.from(proposal.id, 'hex'),
    digest,
    votes: [...voters.values()]
  }
}
