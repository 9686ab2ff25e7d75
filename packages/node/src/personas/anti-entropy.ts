import { MAX_HOLDINGS, accountProgress, xorNameFromHex, type WireMessage, type WireReply, type XorName } from '@safemesh/protocol'
import { parseReplicaKey, replicaKey, type ReplicaStore } from './data-manager/replica-store.js'
import type { Accounts } from './maid-manager/accounts.js'
import type { PersonaContext } from './context.js'
import type { Dispatcher } from '../dispatcher.js'
import type { PeerId } from '@libp2p/interface'

/** How often each node compares what it holds with its groups' other members. */
const AUDIT_INTERVAL = 30_000
/** An event loop that stood still this long means the node was paused or starved: compare at once. */
const FREEZE_MS = 5_000
const TICK_MS = 1_000

type Holdings = Extract<WireMessage, { type: 'Holdings' }>
type Wants = Extract<WireReply, { type: 'Wants' }>

/**
 * Anti-entropy (SPEC §5, "until every name is back at G replicas"): pushes
 * on membership changes miss a member that was paused, or a push that was
 * lost. Every AUDIT_INTERVAL, and at once after this node's own event loop
 * stood still, each node tells every member it shares groups with what it
 * holds there (`Holdings`: names, steps, counts); the member answers what it
 * lacks (`Wants`), and gets it pushed. What is pushed is checked as any
 * push is: chunks by hash, MutableData and accounts on a quorum's word.
 */
export class AntiEntropy {
  private readonly context: PersonaContext
  private readonly replicas: ReplicaStore
  private readonly accounts: Accounts
  private interval?: ReturnType<typeof setInterval>
  private lastTick = Date.now()
  private nextAudit = Date.now() + AUDIT_INTERVAL
  private running = false

  constructor (context: PersonaContext, replicas: ReplicaStore, accounts: Accounts) {
    this.context = context
    this.replicas = replicas
    this.accounts = accounts
  }

  register (dispatcher: Dispatcher): void {
    dispatcher.on('Holdings', async (message, ctx) => await this.wants(message, ctx.from))
  }

  start (): void {
    this.interval = setInterval(() => { this.tick() }, TICK_MS)
    this.interval.unref?.()
  }

  stop (): void {
    clearInterval(this.interval)
  }

  private tick (): void {
    const now = Date.now()
    if (now - this.lastTick > FREEZE_MS) {
      this.context.log.info({ stoodStillMs: now - this.lastTick }, 'the event loop stood still: comparing holdings with the groups')
      this.nextAudit = now
    }
    this.lastTick = now
    if (now < this.nextAudit || this.running) return
    this.nextAudit = now + AUDIT_INTERVAL * (0.75 + Math.random() / 2)
    this.running = true
    this.audit().catch(err => {
      this.context.log.warn({ err: (err as Error).message }, 'an anti-entropy round failed')
    }).finally(() => { this.running = false })
  }

  /** One comparison with every member this node shares a group with. */
  async audit (): Promise<void> {
    const { routing, store, self } = this.context
    const lists = new Map<string, { peer: PeerId, holdings: Omit<Holdings, 'type'> }>()
    const add = (name: XorName, put: (h: Omit<Holdings, 'type'>) => void): void => {
      const group = routing.closeGroup(name)
      if (!group.some(p => p.equals(self))) return
      for (const peer of group) {
        if (peer.equals(self)) continue
        const id = peer.toString()
        const entry = lists.get(id) ?? { peer, holdings: { chunks: [], mdata: [], accounts: [] } }
        lists.set(id, entry)
        put(entry.holdings)
      }
    }
    for await (const hex of store.keys('chunk')) {
      const name = xorNameFromHex(hex)
      add(name, h => { h.chunks.push(name) })
    }
    for await (const key of this.replicas.keys()) {
      const { nameHex, tag } = parseReplicaKey(key)
      const name = xorNameFromHex(nameHex)
      const { seq, data } = await this.replicas.get(key)
      if (data != null) add(name, h => { h.mdata.push({ name, tag, seq }) })
    }
    for await (const hex of this.accounts.names()) {
      const account = xorNameFromHex(hex)
      const record = await this.accounts.get(account)
      // The wire field carries the record's progress (ops plus credits sent and received), so a missed credit shows too.
      if (record != null) add(account, h => { h.accounts.push({ account, mutationsDone: accountProgress(record) }) })
    }
    for (const { peer, holdings } of lists.values()) {
      for (const batch of batches(holdings)) {
        try {
          const reply = await this.context.send(peer, { type: 'Holdings', ...batch }, { timeout: 30_000 })
          if (reply.type === 'Wants') await this.push(peer, reply)
        } catch (err) {
          this.context.log.debug({ peer: peer.toString(), err: (err as Error).message }, 'a member did not compare holdings')
          break
        }
      }
    }
  }

  /** What this node lacks of a member's holdings, among names whose groups hold both. */
  private async wants (message: Holdings, from: PeerId): Promise<Wants> {
    const { routing, store } = this.context
    const shared = (name: XorName): boolean => routing.isInCloseGroup(name) && routing.isCloseGroupMember(name, from)
    const wants: Wants = { type: 'Wants', chunks: [], mdata: [], accounts: [] }
    for (const name of message.chunks) {
      if (shared(name) && !await store.hasChunk(name)) wants.chunks.push(name)
    }
    for (const { name, tag, seq } of message.mdata) {
      if (!shared(name)) continue
      const ours = await this.replicas.get(replicaKey(name, tag))
      if (ours.data == null || ours.seq < seq) wants.mdata.push({ name, tag })
    }
    for (const { account, mutationsDone } of message.accounts) {
      if (!shared(account)) continue
      const ours = await this.accounts.get(account)
      if (ours == null || accountProgress(ours) < mutationsDone) wants.accounts.push(account)
    }
    return wants
  }

  private async push (peer: PeerId, wants: Wants): Promise<void> {
    const { store } = this.context
    for (const name of wants.chunks) {
      const value = await store.getChunk(name)
      if (value != null) await this.context.send(peer, { type: 'PushChunk', value })
    }
    for (const { name, tag } of wants.mdata) {
      const replica = await this.replicas.get(replicaKey(name, tag))
      if (replica.data != null) await this.context.send(peer, { type: 'PushMData', data: replica.data, seq: replica.seq, ...(replica.certificate != null ? { certificate: replica.certificate } : {}) })
    }
    for (const account of wants.accounts) {
      const record = await this.accounts.get(account)
      if (record != null) await this.context.send(peer, { type: 'PushAccount', account, record })
    }
  }
}

/** Holdings cut into messages of at most MAX_HOLDINGS names of each kind. */
function * batches (holdings: Omit<Holdings, 'type'>): Generator<Omit<Holdings, 'type'>> {
  const longest = Math.max(holdings.chunks.length, holdings.mdata.length, holdings.accounts.length)
  for (let start = 0; start < longest; start += MAX_HOLDINGS) {
    yield {
      chunks: holdings.chunks.slice(start, start + MAX_HOLDINGS),
      mdata: holdings.mdata.slice(start, start + MAX_HOLDINGS),
      accounts: holdings.accounts.slice(start, start + MAX_HOLDINGS)
    }
  }
}
