import { SafeMeshError, bytesEqual, sha3_256, xorNameFromHex, type AccountRecord, type XorName } from '@safemesh/protocol'
import { parseReplicaKey, replicaKey, type ReplicaStore } from './data-manager/replica-store.js'
import type { Accounts } from './maid-manager/accounts.js'
import type { PersonaContext } from './context.js'
import type { Dispatcher } from '../dispatcher.js'
import type { PeerId } from '@libp2p/interface'

/** Membership changes are gathered this long before data moves, so a burst of joins moves it once. */
const SETTLE_MS = 500

/**
 * Churn (SPEC §5): when a close group changes, every member that holds a name
 * hands it to the members that are new to the group, until every name is back
 * at G replicas. Receivers check what they get: a chunk by its hash, and
 * anything only from a current member of its close group, about a name they
 * are themselves responsible for.
 *
 * What moves is judged against the groups as they stood at the previous
 * round, so a stable network moves nothing. Known limit: a receiver trusts
 * one member's MutableData replica or account record when it has none or an
 * older one, rather than waiting for a quorum of members to agree.
 */
export class Replicator {
  private readonly context: PersonaContext
  private readonly replicas: ReplicaStore
  private readonly accounts: Accounts
  private readonly lastGroups = new Map<string, Set<string>>()
  private timer?: ReturnType<typeof setTimeout>
  private running = false
  private again = false
  private stopped = false

  constructor (context: PersonaContext, replicas: ReplicaStore, accounts: Accounts) {
    this.context = context
    this.replicas = replicas
    this.accounts = accounts
  }

  register (dispatcher: Dispatcher): void {
    dispatcher.on('PushChunk', async (message, ctx) => {
      const name = sha3_256(message.value)
      this.assertResponsible(name, ctx.from)
      await this.context.store.putChunk(name, message.value)
      return { type: 'Ack' }
    })
    dispatcher.on('PushMData', async (message, ctx) => {
      this.assertResponsible(message.data.name, ctx.from)
      const key = replicaKey(message.data.name, message.data.tag)
      const ours = await this.replicas.get(key)
      if (message.seq > ours.seq || ours.data == null) await this.replicas.put(key, { data: message.data, seq: message.seq })
      return { type: 'Ack' }
    })
    dispatcher.on('PushAccount', async (message, ctx) => {
      this.assertResponsible(message.account, ctx.from)
      if (!bytesEqual(sha3_256(message.record.owner), message.account)) throw new SafeMeshError('InvalidRequest', 'the record is not that account\'s')
      const ours = await this.accounts.get(message.account)
      await this.accounts.put(message.account, merge(ours, message.record))
      return { type: 'Ack' }
    })
    this.context.routing.addEventListener('change', () => { this.schedule() })
  }

  /** Remembers the current groups without moving anything (a node that just started). */
  async start (): Promise<void> {
    await this.round(false)
  }

  stop (): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  private assertResponsible (name: XorName, from: PeerId): void {
    if (!this.context.routing.isInCloseGroup(name) || !this.context.routing.isCloseGroupMember(name, from)) {
      throw new SafeMeshError('AccessDenied', 'replicas are accepted only from and for members of the name\'s close group')
    }
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
    const store = this.context.store
    for await (const hex of store.keys('chunk')) {
      await this.consider(`c/${hex}`, xorNameFromHex(hex), push, async (peer) => {
        const value = await store.getChunk(xorNameFromHex(hex))
        if (value != null) await this.context.send(peer, { type: 'PushChunk', value })
      })
    }
    for await (const key of this.replicas.keys()) {
      const { nameHex } = parseReplicaKey(key)
      await this.consider(`m/${key}`, xorNameFromHex(nameHex), push, async (peer) => {
        const replica = await this.replicas.get(key)
        if (replica.data != null) await this.context.send(peer, { type: 'PushMData', data: replica.data, seq: replica.seq })
      })
    }
    for await (const hex of this.accounts.names()) {
      const account = xorNameFromHex(hex)
      await this.consider(`a/${hex}`, account, push, async (peer) => {
        const record = await this.accounts.get(account)
        if (record != null) await this.context.send(peer, { type: 'PushAccount', account, record })
      })
    }
  }

  private async consider (key: string, name: XorName, push: boolean, send: (peer: PeerId) => Promise<void>): Promise<void> {
    const group = this.context.routing.closeGroup(name)
    const members = new Set(group.map(p => p.toString()))
    const before = this.lastGroups.get(key)
    this.lastGroups.set(key, members)
    if (!push || !members.has(this.context.self.toString())) return
    const newcomers = group.filter(p => !p.equals(this.context.self) && before?.has(p.toString()) !== true)
    await Promise.all(newcomers.map(async peer => {
      await send(peer).catch(err => {
        this.context.log.debug({ peer: peer.toString(), key, err: (err as Error).message }, 'could not hand a replica over')
      })
    }))
  }
}

/** Two copies of one account record: the later auth-key version, the larger count. */
function merge (ours: AccountRecord | undefined, theirs: AccountRecord): AccountRecord {
  if (ours == null) return theirs
  const keys = theirs.authKeysVersion > ours.authKeysVersion ? theirs : ours
  return { owner: ours.owner, mutationsDone: Math.max(ours.mutationsDone, theirs.mutationsDone), authKeys: keys.authKeys, authKeysVersion: keys.authKeysVersion }
}
