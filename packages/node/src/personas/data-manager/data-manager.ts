import {
  SafeMeshError, misroutedError, accountNameOf, bytesToHex, chargeOf, decodeWireMessage, forwardRequestId, getValue, openForwarded, scanWireMessage, wireLimits, listEntries, listKeys, listPermissions, listValues,
  mutableDataShell, quorumOf, sha3_256, userPermissions, xorNameEquals,
  TYPE_TAG_SHARE_ENVELOPE, checkRead, isOwner, isPricedGate, isReadGated, isSafeMeshError, readGateOf, shareEnvelopeOf, type PricedReadGate,
  type Charge, type Mutation, type MutableData, type RequestOf, type WireLimit, type WireMessage, type XorName
} from '@safemesh/protocol'
import type { PeerId } from '@libp2p/interface'
import { Authority } from './authority.js'
import { ChunkStaging } from './chunk-staging.js'
import { ReplicaStore, replicaKey } from './replica-store.js'
import { Sequencer, type PrepareAnswer, type Proposal } from './sequencer.js'
import { askForQuorum, askUntil } from '@safemesh/net'
import { ReplicaHandOver } from './replica-hand-over.js'
import { senderKey, type PersonaContext } from '../context.js'
import { PaymentsSeen } from './payments-seen.js'
import type { Dispatcher, HandlerContext } from '../../dispatcher.js'
import type { Response } from '@safemesh/protocol'

/** Bytes of offered chunks a node keeps on disk at most while their authority is on its way. */
const STAGING_BYTES = 64 * 2 ** 20
/** One sender's share of it: an upload offers a few chunks ahead of their authority, far below this. */
const STAGING_BYTES_PER_SENDER = 16 * 2 ** 20
const STAGING_TTL = 60_000
/** How long an authorised PutIData waits for the client's offered bytes. */
const OFFER_WAIT = 5_000
/** How long a Maid-Manager may take to give a forwarded mutation's bytes. */
const FETCH_TIMEOUT = 5_000
/** How long a member may take to answer a sequencer taking the order over. */
const PREPARE_TIMEOUT = 3_000
/** How long a payee's Maid-Manager may take to confirm a payment for a paid read. */
const PAYMENT_TIMEOUT = 10_000

type Forward = Extract<WireMessage, { type: 'Forward' }>
type AuthKeyChange = RequestOf<'InsAuthKey'> | RequestOf<'DelAuthKey'>

/** What the Data-Manager persona needs of the node's other personas. */
export interface DataManagerLinks {
  /** Executes an auth-key change at the key's own group: binds the key to the account that authorised it. */
  bindAppKey: (change: AuthKeyChange) => Promise<Response>
  /** Executes a TransferCredit at the recipient account's group: credits it once per (payer, message id). */
  receiveCredit: (transfer: RequestOf<'TransferCredit'>) => Promise<Response>
}

/**
 * The Data-Manager persona (SPEC §5): every member of a data name's close
 * group keeps a replica, applies mutations only on the authority of a quorum
 * of the requester's Maid-Managers, in the order its group's sequencer gives,
 * and answers reads directly.
 */
export class DataManager {
  private readonly context: PersonaContext
  readonly replicas: ReplicaStore
  private readonly staging: ChunkStaging
  private readonly authority: Authority<Response>
  private readonly sequencer: Sequencer
  readonly handOver: ReplicaHandOver
  private readonly links: DataManagerLinks
  private readonly limits: Readonly<Record<WireMessage['type'], WireLimit>>
  /** First uses of confirmed payments for paid reads of read-gated data. */
  private readonly payments = new PaymentsSeen()

  constructor (context: PersonaContext, links: DataManagerLinks) {
    this.context = context
    this.links = links
    this.limits = wireLimits(context.params)
    this.replicas = new ReplicaStore(context.store)
    this.staging = new ChunkStaging(context.store, STAGING_BYTES, STAGING_TTL, STAGING_BYTES_PER_SENDER)
    this.authority = new Authority(quorumOf(context.params.groupSize))
    this.handOver = new ReplicaHandOver({
      context,
      replicas: this.replicas,
      adopt: async (key, replica) => { await this.sequencer.adopt(key, replica) }
    })
    const toGroup = (name: XorName, message: WireMessage): void => {
      for (const peer of context.routing.closeGroup(name)) {
        if (peer.equals(context.self)) continue
        context.send(peer, message).catch(err => {
          context.log.debug({ peer: peer.toString(), type: message.type, err: (err as Error).message }, 'a message to the data\'s group was not delivered')
        })
      }
    }
    this.sequencer = new Sequencer({
      routing: context.routing,
      replicas: this.replicas,
      params: context.params,
      log: context.log,
      sign: context.sign,
      broadcastCommit: (name, tag, proposal, vote) => {
        toGroup(name, { type: 'Commit', name, tag, ...proposalFields(proposal), digest: vote.digest, vote: vote.signature })
      },
      broadcastProposal: (name, tag, proposal) => {
        toGroup(name, { type: 'Propose', name, tag, ...proposalFields(proposal) })
      },
      prepare: async (name, tag, seq, round, enough) => {
        const others = context.routing.closeGroup(name).filter(p => !p.equals(context.self))
        const answers = await askUntil(others, async (peer): Promise<PrepareAnswer | undefined> => {
          const reply = await context.send(peer, { type: 'Prepare', name, tag, seq, round }, { timeout: PREPARE_TIMEOUT })
          if (reply.type !== 'Promised') return undefined
          const { vote, ...rest } = reply
          return { ...rest, ...(vote != null ? { vote: { seq, round: vote.round, id: bytesToHex(vote.requestId), sequencer: vote.sequencer, signature: vote.signature } } : {}) }
        }, so => enough(so.map(a => a.answer)))
        return answers.map(a => a.answer)
      },
      broadcastProof: (name, tag, first, second) => {
        toGroup(name, {
          type: 'Equivocation',
          name,
          tag,
          seq: first.seq,
          round: first.round,
          sequencer: first.sequencer,
          first: { requestId: Buffer.from(first.id, 'hex'), signature: first.signature },
          second: { requestId: Buffer.from(second.id, 'hex'), signature: second.signature }
        })
      },
      broadcastSuspicion: (name, tag, sequencer) => {
        if (sequencer.publicKey != null) toGroup(name, { type: 'Suspect', name, tag, sequencer: sequencer.publicKey.raw })
      },
      catchUp: async (name, tag) => await this.handOver.verify(name, tag)
    })
  }

  stop (): void {
    this.sequencer.stop()
    this.authority.clear()
    this.staging.clear()
    this.payments.clear()
  }

  register (dispatcher: Dispatcher): void {
    dispatcher.on('OfferChunk', async (message, ctx) => {
      // Hashed once: the name is derived from the bytes, so only the size is left to check.
      if (message.value.byteLength > this.context.params.maxImmutableDataSize) {
        throw new SafeMeshError('DataTooLarge', `ImmutableData is at most ${this.context.params.maxImmutableDataSize} bytes`)
      }
      const name = sha3_256(message.value)
      this.assertDataManager(name)
      if (await this.context.store.hasChunk(name)) return { type: 'OfferChunk', stored: true }
      await this.staging.offer(name, message.value, ctx.from.toString())
      return { type: 'OfferChunk', stored: false }
    })
    dispatcher.on('Forward', async (message, ctx) => await this.forwarded(message, ctx))
    dispatcher.on('Commit', async (m, ctx) => {
      const proposal: Proposal = { seq: m.seq, round: m.round, id: bytesToHex(m.requestId), sequencer: m.sequencer, signature: m.signature }
      await this.sequencer.commit(ctx.from, m.name, m.tag, proposal, { digest: m.digest, signature: m.vote })
      return { type: 'Ack' }
    })
    dispatcher.on('Propose', async (m, ctx) => {
      await this.sequencer.proposal(ctx.from, m.name, m.tag, m.requestId, m.seq, m.round, m.sequencer, m.signature)
      return { type: 'Ack' }
    })
    dispatcher.on('Prepare', async (m, ctx) => {
      const { vote, ...rest } = await this.sequencer.promise(ctx.from, m.name, m.tag, m.seq, m.round)
      return { type: 'Promised', ...rest, ...(vote != null ? { vote: { requestId: Buffer.from(vote.id, 'hex'), round: vote.round, sequencer: vote.sequencer, signature: vote.signature } } : {}) }
    })
    dispatcher.on('Equivocation', async (message, ctx) => {
      const proposal = (p: { requestId: Uint8Array, signature: Uint8Array }): Proposal => ({ seq: message.seq, round: message.round, id: bytesToHex(p.requestId), sequencer: message.sequencer, signature: p.signature })
      await this.sequencer.proof(ctx.from, message.name, message.tag, proposal(message.first), proposal(message.second))
      return { type: 'Ack' }
    })
    dispatcher.on('Suspect', async (message, ctx) => {
      this.sequencer.suspect(ctx.from, message.name, message.tag, message.sequencer)
      return { type: 'Ack' }
    })
    dispatcher.on('GetReplica', async (message) => {
      const replica = await this.replicas.get(replicaKey(message.name, message.tag))
      return { type: 'Replica', data: replica.data, seq: replica.seq, ...(replica.certificate != null ? { certificate: replica.certificate } : {}) }
    })
    dispatcher.on('GetReplicaDigest', async (message) => {
      const replica = await this.replicas.get(replicaKey(message.name, message.tag))
      return { type: 'ReplicaDigest', seq: replica.seq, ...(replica.data != null && replica.digest != null ? { digest: replica.digest } : {}) }
    })
    dispatcher.on('GetIData', async (request) => {
      const value = await this.context.store.getChunk(request.name)
      if (value == null) {
        // Not holding it and not of its group: the asker's view is stale (a partial one says NoSuchData otherwise).
        this.assertDataManager(request.name)
        throw new SafeMeshError('NoSuchData', 'no ImmutableData of that name here')
      }
      return { type: 'GetIData', value }
    })
    // Client reads: a read-gated MutableData is served only as its gate allows the sender (nodes read replicas above).
    dispatcher.on('GetMData', async (r, ctx) => ({ type: 'GetMData', data: await this.read(r.name, r.tag, ctx) }))
    dispatcher.on('GetMDataShell', async (r, ctx) => ({ type: 'GetMDataShell', data: mutableDataShell(await this.read(r.name, r.tag, ctx)) }))
    dispatcher.on('GetMDataVersion', async (r, ctx) => ({ type: 'GetMDataVersion', version: (await this.read(r.name, r.tag, ctx)).version }))
    dispatcher.on('ListMDataEntries', async (r, ctx) => ({ type: 'ListMDataEntries', entries: listEntries(await this.read(r.name, r.tag, ctx)) }))
    dispatcher.on('ListMDataKeys', async (r, ctx) => ({ type: 'ListMDataKeys', keys: listKeys(await this.read(r.name, r.tag, ctx)) }))
    dispatcher.on('ListMDataValues', async (r, ctx) => ({ type: 'ListMDataValues', values: listValues(await this.read(r.name, r.tag, ctx)) }))
    dispatcher.on('GetMDataValue', async (r, ctx) => ({ type: 'GetMDataValue', value: getValue(await this.read(r.name, r.tag, ctx), r.key) }))
    dispatcher.on('ListMDataPermissions', async (r, ctx) => ({ type: 'ListMDataPermissions', permissions: listPermissions(await this.read(r.name, r.tag, ctx)) }))
    dispatcher.on('ListMDataUserPermissions', async (r, ctx) => ({ type: 'ListMDataUserPermissions', permissions: userPermissions(await this.read(r.name, r.tag, ctx), r.user) }))
    dispatcher.on('GetShareEnvelope', async (r, ctx) => {
      if (!isReadGated(r.tag)) throw new SafeMeshError('InvalidRequest', `GetShareEnvelope reads share envelopes (tag ${TYPE_TAG_SHARE_ENVELOPE}) only`)
      const data = await this.read(r.name, r.tag, ctx, r.payment)
      return { type: 'GetShareEnvelope', ...shareEnvelopeOf(data, senderKey(ctx.from)) }
    })
  }

  /** A MutableData for a client's read: a read-gated one only once its gate lets the sender read it (`payment`: for a priced gate). */
  private async read (name: XorName, tag: number, ctx: HandlerContext, payment?: Uint8Array): Promise<MutableData> {
    const { data } = await this.replicas.get(replicaKey(name, tag))
    if (data == null) {
      this.assertDataManager(name)
      throw new SafeMeshError('NoSuchData', 'no MutableData with that name and tag here')
    }
    if (isReadGated(tag)) await this.checkGate(data, senderKey(ctx.from), payment, ctx.signal)
    return data
  }

  /**
   * SPEC §9's network-enforced read limit, by this node's clock: `checkRead` as if paid first (a
   * stranger, or an expired share, costs no question to anyone), then, for a priced gate, with
   * whether `payment` pays for this read.
   */
  private async checkGate (data: MutableData, requester: Uint8Array, payment: Uint8Array | undefined, signal: AbortSignal | undefined): Promise<void> {
    checkRead(data, requester, Date.now(), true)
    const gate = readGateOf(data)
    if (isOwner(data, requester) || gate === undefined || !isPricedGate(gate)) return
    const paid = payment != null && await this.paid(data, gate, requester, payment, signal)
    checkRead(data, requester, Date.now(), paid)
  }

  /**
   * Whether `payment` pays `requester`'s read of `data`: confirmed by Q of the payee's
   * Maid-Managers at its first use here, it then serves that reader that envelope for a window
   * (a retried read never pays twice); after the window, `AccessDenied`.
   */
  private async paid (data: MutableData, gate: PricedReadGate, requester: Uint8Array, payment: Uint8Array, signal: AbortSignal | undefined): Promise<boolean> {
    const read = { reader: requester, name: data.name, tag: data.tag, payment }
    return await this.payments.pays(read, async () => await this.confirmPayment(gate, requester, data.name, payment, signal))
  }

  /** Asks the payee's Maid-Managers (Q identical answers) whether the requester paid at least the price, for this envelope. */
  private async confirmPayment (gate: PricedReadGate, requester: Uint8Array, envelope: XorName, payment: Uint8Array, signal: AbortSignal | undefined): Promise<boolean> {
    const message: WireMessage = { type: 'GetPayment', payee: gate.payee, payer: accountNameOf(requester), messageId: payment }
    const options = { timeout: PAYMENT_TIMEOUT, ...(signal != null ? { signal } : {}) }
    try {
      const reply = await askForQuorum(this.context.routing.closeGroup(gate.payee), async (peer) => await this.context.send(peer, message, options), quorumOf(this.context.params.groupSize))
      return reply.type === 'Payment' && reply.amount >= gate.price && reply.memo != null && xorNameEquals(reply.memo, envelope)
    } catch (err) {
      // Q Maid-Managers know no such credit: unpaid. Anything else (Timeout, NoQuorum) the client retries.
      if (isSafeMeshError(err) && err.code === 'NoSuchData') return false
      throw err
    }
  }

  private assertDataManager (name: XorName): void {
    if (!this.context.routing.isInCloseGroup(name)) {
      throw misroutedError('data')
    }
  }

  /**
   * A Maid-Manager's forward: one vote towards the mutation's group authority. Once Q voted, the
   * mutation is the one inside the Forward or, when long, fetched once from a voter.
   */
  private async forwarded (message: Forward, ctx: HandlerContext): Promise<Response> {
    if (!this.context.routing.isCloseGroupMember(message.account, ctx.from)) {
      throw new SafeMeshError('AccessDenied', 'the sender is not one of the account\'s Maid-Managers')
    }
    if (!xorNameEquals(accountNameOf(message.owner), message.account)) {
      throw new SafeMeshError('InvalidRequest', 'the owner does not match the account')
    }
    this.assertDataManager(message.executor)
    const inside = message.mutation != null ? openForwarded(message.mutation, message, this.decodeMutation) : undefined
    const requestId = forwardRequestId(message)
    return await this.authority.vote(requestId, ctx.from, async (voters) => {
      const mutation = inside ?? await this.fetchForwarded(message, voters)
      const outcome = await this.execute(requestId, message.account, mutation)
      this.announce(chargeOf(mutation, message.digest))
      return outcome
    }, ctx.signal)
  }

  /** A long mutation's bytes, from the first of the Maid-Managers that forwarded it to give ones matching its digest. */
  private async fetchForwarded (forward: Forward, voters: readonly PeerId[]): Promise<Mutation> {
    for (const voter of voters) {
      try {
        const reply = await this.context.send(voter, { type: 'GetForwarded', digest: forward.digest }, { timeout: FETCH_TIMEOUT })
        if (reply.type === 'Forwarded') return openForwarded(reply.mutation, forward, this.decodeMutation)
      } catch (err) {
        this.context.log.debug({ peer: voter.toString(), err: (err as Error).message }, 'a Maid-Manager did not give a forwarded mutation')
      }
    }
    // Unsettled at the Maid-Managers: a retry forwards it again.
    throw new SafeMeshError('Timeout', 'no Maid-Manager that forwarded the mutation gave its bytes')
  }

  /** Decodes a forwarded mutation's bytes within the wire limits of its type. */
  private readonly decodeMutation = (bytes: Uint8Array): WireMessage => decodeWireMessage(bytes, scanWireMessage(bytes, this.limits))

  private async execute (requestId: Uint8Array, account: XorName, mutation: Mutation): Promise<Response> {
    switch (mutation.type) {
      case 'PutIData': return await this.storeChunk(mutation)
      case 'InsAuthKey':
      case 'DelAuthKey': return await this.links.bindAppKey(mutation)
      case 'TransferCredit': return await this.links.receiveCredit(mutation)
      default: return await this.sequencer.submit(requestId, account, mutation)
    }
  }

  /**
   * Tells every Maid-Manager of the account that a mutation succeeded, so each
   * charges it (they count Q such words), whichever of them the client reached
   * and whether or not its own forward got an answer (it may have been paused).
   */
  private announce (charge: Charge): void {
    for (const peer of this.context.routing.closeGroup(charge.account)) {
      this.context.send(peer, { type: 'Applied', charge }).catch(err => {
        this.context.log.debug({ peer: peer.toString(), err: (err as Error).message }, 'a Maid-Manager was not told of an applied mutation')
      })
    }
  }

  /** A chunk's bytes from the first other member of its group that holds them, verified by name. */
  private async fetchFromGroup (name: XorName): Promise<Uint8Array | undefined> {
    for (const peer of this.context.routing.closeGroup(name)) {
      if (peer.equals(this.context.self)) continue
      try {
        const reply = await this.context.send(peer, { type: 'GetIData', name })
        if (reply.type === 'GetIData' && xorNameEquals(sha3_256(reply.value), name)) return reply.value
      } catch (err) {
        this.context.log.debug({ peer: peer.toString(), err: (err as Error).message }, 'a group member did not give the chunk')
      }
    }
    return undefined
  }

  private async storeChunk (request: RequestOf<'PutIData'>): Promise<Response> {
    if (await this.context.store.hasChunk(request.name)) return { type: 'PutIData' }
    const staged = await this.staging.take(request.name, OFFER_WAIT)
    if (staged != null) {
      try {
        if (staged.size !== request.size) throw new SafeMeshError('InvalidRequest', 'the chunk\'s size is not the one authorised')
        await this.context.store.putStagedChunk(staged)
      } catch (err) {
        this.staging.untake(request.name)
        throw err
      }
      this.staging.release(request.name)
      return { type: 'PutIData' }
    }
    // The client may have given up on offering to this node (it was slow): the bytes then
    // come from another Data-Manager of the chunk, checked by their hash.
    const value = await this.fetchFromGroup(request.name)
    if (value == null) throw new SafeMeshError('NoSuchData', 'the chunk\'s bytes were never offered here')
    if (value.byteLength !== request.size) throw new SafeMeshError('InvalidRequest', 'the chunk\'s size is not the one authorised')
    await this.context.store.putChunk(request.name, value)
    return { type: 'PutIData' }
  }
}

/** A proposal's fields as `Commit` and `Propose` carry them. */
function proposalFields (proposal: Proposal): { requestId: Uint8Array, seq: number, round: number, sequencer: Uint8Array, signature: Uint8Array } {
  return { requestId: Buffer.from(proposal.id, 'hex'), seq: proposal.seq, round: proposal.round, sequencer: proposal.sequencer, signature: proposal.signature }
}
