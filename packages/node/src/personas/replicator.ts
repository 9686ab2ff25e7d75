import { SafeMeshError, accountRecordSchema, bytesEqual, bytesToHex, encodeWith, sha3_256, xorNameFromHex, type XorName } from '@safemesh/protocol'
import { encodeReplica, parseReplicaKey, replicaKey, type ReplicaStore } from './data-manager/replica-store.js'
import type { ReplicaHandOver, HandOverResult } from './data-manager/replica-hand-over.js'
import type { AccountHandOver } from './maid-manager/account-hand-over.js'
import type { Accounts } from './maid-manager/accounts.js'
import type { PersonaContext } from './context.js'
import type { Dispatcher } from '../dispatcher.js'
import type { PeerId } from '@libp2p/interface'

/** Membership changes are gathered this long before data moves, so a burst of joins moves it once. */
const SETTLE_MS = 500
/** A hand-over that found no quorum (a group mid-mutation, members still joining) is tried again after these waits. */
const RECHECK_DELAYS = [1_000, 2_000, 4_000, 8_000, 16_000]
/**
 * Members that push a chunk to a newcomer: the nearest that held it. Bytes move twice, not G − 1
 * times; anti-entropy fills what both missed. Accounts are pushed by every holder (the receiver
 * needs Q vouchers anyway, and the pushes are small).
 */
const CHUNK_PUSHERS = 2
/**
 * Members that push a MutableData to a newcomer: one certified push is enough to adopt it, so the
 * nearest three holders (one more than for chunks: a holder may lag a step) instead of all G − 1;
 * a push without a certificate makes the newcomer ask the group, and anti-entropy fills the rest.
 */
const MDATA_PUSHERS = 3
/** Hand-overs waiting for another try, at most. */
const MAX_RECHECKS = 10_000

export interface ReplicatorOptions {
  replicas: ReplicaStore
  accounts: Accounts
  replicaHandOver: ReplicaHandOver
  accountHandOver: AccountHandOver
}

/**
 * Churn (SPEC §5): when a close group changes, every member that holds a name
 * hands it to the members that are new to the group, until every name is back
 * at G replicas. Receivers check what they get: a chunk by its hash, anything
 * only from a current member of its close group about a name they are
 * themselves responsible for, and a MutableData replica or an account record
 * only once Q other members vouch for the very same state (the hand-overs):
 * a push is a candidate and a reminder, never an order.
 *
 * What moves is judged against the groups as they stood at the previous
 * round, so a stable network moves nothing.
 */
export class Replicator {
  private readonly context: PersonaContext
  private readonly options: ReplicatorOptions
  private readonly lastGroups = new Map<string, Set<string>>()
  /** Nodes that joined this node's view since its last round: the only newcomers to groups of names it had not seen then. */
  private joined = new Set<string>()
  private readonly rechecks = new Map<string, { attempt: number, timer: ReturnType<typeof setTimeout> }>()
  private timer?: ReturnType<typeof setTimeout>
  private running = false
  private again = false
  private stopped = false

  constructor (context: PersonaContext, options: ReplicatorOptions) {
    this.context = context
    this.options = options
  }

  register (dispatcher: Dispatcher): void {
    dispatcher.on('PushChunk', async (message, ctx) => {
      // What needs no hashing first (the dispatcher refused strangers before decoding): a value an ImmutableData may be.
      if (message.value.byteLength > this.context.params.maxImmutableDataSize) {
        throw new SafeMeshError('DataTooLarge', `ImmutableData is at most ${this.context.params.maxImmutableDataSize} bytes`)
      }
      const name = sha3_256(message.value)
      this.assertResponsible(name, ctx.from)
      await this.context.store.putChunk(name, message.value)
      return { type: 'Ack' }
    })
    dispatcher.on('PushMData', async (message, ctx) => {
      const { name, tag } = message.data
      this.assertResponsible(name, ctx.from)
      const candidate = { data: message.data, seq: message.seq, ...(message.certificate != null ? { certificate: message.certificate } : {}) }
      // A push of what this node already holds, or of an older step, has nothing to hand over.
      const ours = await this.options.replicas.get(replicaKey(name, tag))
      if (ours.data != null && ours.digest != null && (ours.seq > message.seq || (ours.seq === message.seq && bytesEqual(ours.digest, encodeReplica(message.data, message.seq).digest)))) {
        return { type: 'Ack' }
      }
      this.verify(`m/${replicaKey(name, tag)}`, async () => await this.options.replicaHandOver.verify(name, tag, candidate))
      return { type: 'Ack' }
    })
    dispatcher.on('PushAccount', async (message, ctx) => {
      this.assertResponsible(message.account, ctx.from)
      const ours = await this.options.accounts.get(message.account)
      if (ours != null && bytesEqual(encodeWith(accountRecordSchema, ours), encodeWith(accountRecordSchema, message.record))) return { type: 'Ack' }
      this.verify(`a/${bytesToHex(message.account)}`, async () => await this.options.accountHandOver.verify(message.account))
      return { type: 'Ack' }
    })
    this.context.routing.addEventListener('change', (event) => {
      if (event.detail.kind === 'added') this.joined.add(event.detail.peer.toString())
      this.schedule()
    })
  }

  /** Remembers the current groups without moving anything (a node that just started). */
  async start (): Promise<void> {
    await this.round(false)
  }

  stop (): void {
    this.stopped = true
    clearTimeout(this.timer)
    for (const { timer } of this.rechecks.values()) clearTimeout(timer)
    this.rechecks.clear()
  }

  private assertResponsible (name: XorName, from: PeerId): void {
    if (!this.context.routing.isInCloseGroup(name) || !this.context.routing.isCloseGroupMember(name, from)) {
      throw new SafeMeshError('AccessDenied', 'replicas are accepted only from and for members of the name\'s close group')
    }
  }

  /** Runs a hand-over in the background and tries it again while it finds no quorum (a bounded number of times). */
  private verify (id: string, handOver: () => Promise<HandOverResult>, attempt = 0): void {
    if (this.stopped || (attempt === 0 && this.rechecks.has(id))) return
    handOver().then(result => {
      this.rechecks.delete(id)
      const delay = RECHECK_DELAYS[attempt]
      if (result !== 'no-quorum' || delay == null || this.stopped || this.rechecks.size >= MAX_RECHECKS) return
      const timer = setTimeout(() => { this.verify(id, handOver, attempt + 1) }, delay)
      timer.unref?.()
      this.rechecks.set(id, { attempt, timer })
    }, err => {
      this.rechecks.delete(id)
      this.context.log.warn({ id, err: (err as Error).message }, 'a hand-over failed')
    })
  }

  private schedule (): void {
    if (this.stopped) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { void this.run() }, SETTLE_MS)
    this.timer.unref?.()
  }

  private async run (): Promise<void> {
    if (this.running) {
      this.again = true
      return
    }
    this.running = true
    try {
      await this.round(true)
    } catch (err) {
      this.context.log.warn({ err: (err as Error).message }, 'a replication round failed')
    } finally {
      this.running = false
      if (this.again) {
        this.again = false
        this.schedule()
      }
    }
  }

  /** One pass over everything this node holds. */
  private async round (push: boolean): Promise<void> {
    const joined = this.joined
    this.joined = new Set()
    const store = this.context.store
    const { replicas, accounts } = this.options
    for await (const hex of store.keys('chunk')) {
      await this.consider(`c/${hex}`, xorNameFromHex(hex), push, joined, CHUNK_PUSHERS, async (peer) => {
        const value = await store.getChunk(xorNameFromHex(hex))
        if (value != null) await this.context.send(peer, { type: 'PushChunk', value })
      })
    }
    for await (const key of replicas.keys()) {
      const { nameHex } = parseReplicaKey(key)
      await this.consider(`m/${key}`, xorNameFromHex(nameHex), push, joined, MDATA_PUSHERS, async (peer) => {
        const replica = await replicas.get(key)
        if (replica.data != null) await this.context.send(peer, { type: 'PushMData', data: replica.data, seq: replica.seq, ...(replica.certificate != null ? { certificate: replica.certificate } : {}) })
      })
    }
    for await (const hex of accounts.names()) {
      const account = xorNameFromHex(hex)
      await this.consider(`a/${hex}`, account, push, joined, Infinity, async (peer) => {
        const record = await accounts.get(account)
        if (record != null) await this.context.send(peer, { type: 'PushAccount', account, record })
      })
    }
  }

  /** Pushes `name` to the members new to its group, if this node is one of the `pushers` nearest members that held it already. */
  private async consider (key: string, name: XorName, push: boolean, joined: ReadonlySet<string>, pushers: number, send: (peer: PeerId) => Promise<void>): Promise<void> {
    const group = this.context.routing.closeGroup(name)
    const members = new Set(group.map(p => p.toString()))
    const before = this.lastGroups.get(key)
    this.lastGroups.set(key, members)
    if (!push || !members.has(this.context.self.toString())) return
    // A name stored since the last round was stored by this group, less the nodes that joined since.
    const isNew = (peer: PeerId): boolean => before == null ? joined.has(peer.toString()) : !before.has(peer.toString())
    const holders = group.filter(p => !isNew(p))
    if (!holders.slice(0, pushers).some(p => p.equals(this.context.self))) return
    const newcomers = group.filter(p => !p.equals(this.context.self) && isNew(p))
    await Promise.all(newcomers.map(async peer => {
      await send(peer).catch(err => {
        this.context.log.debug({ peer: peer.toString(), key, err: (err as Error).message }, 'could not hand a replica over')
      })
    }))
  }
}
