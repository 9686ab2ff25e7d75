/**
 * An in-memory SafeMesh network for the client's unit tests: N fake nodes, each a Maid-Manager and
 * a Data-Manager, following the wire contract (OfferChunk then PutIData, quorum-forwarded
 * mutations deduplicated by message id, charging on success only) with protocol's pure rules.
 * Any node can be made to lie (`behaviour` gets the honest answer and may replace it) or to stay
 * silent. Every message a client sends is logged.
 */
import { randomBytes } from 'node:crypto'
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises'
import type { SigningKeyPair } from '@safemesh/crypto'
import {
  SafeMeshError, bytesEqual, bytesToHex, changeOwner, closestTo, decodeMessage, delUserPermissions, encodeReply,
  getValue, immutableDataName, invalidSuccessor, isSafeMeshError, kadPositionOfName, listEntries, listKeys, listPermissions,
  listValues, mutableDataShell, mutateEntries, networkParams, setUserPermissions, sha256, sha3_256, userPermissions,
  validateImmutableData, validateNewMutableData,
  type MutableData, type Mutation, type NetworkParams, type ReceivedCredit, type WireMessage, type WireReply, type XorName
} from '@safemesh/protocol'
import type { Network } from '../../src/index.js'
import type { NodeRef, SendOptions, Transport } from '../../src/index.js'

/** What a node does with a message: answer honestly, never answer, or anything else. */
export type Behaviour =
  | 'honest'
  | 'silent'
  | ((message: WireMessage, honest: () => Promise<Uint8Array>) => Promise<Uint8Array>)

interface AccountState {
  owner: Uint8Array
  mutationsDone: number
  authKeys: Uint8Array[]
  authKeysVersion: number
  /** Credits received, oldest first, and the sums received and sent (TransferCredit). */
  credits?: ReceivedCredit[]
  creditsReceived?: number
  creditsSent?: number
}

type Outcome = { ok: WireReply } | { error: SafeMeshError }

interface Authority {
  readonly from: Set<string>
  readonly waiters: Array<(outcome: Outcome) => void>
  outcome?: Outcome
}

export class FakeNode implements NodeRef {
  readonly id: string
  readonly position: Uint8Array
  behaviour: Behaviour = 'honest'
  readonly accounts = new Map<string, AccountState>()
  readonly chunks = new Map<string, Uint8Array>()
  readonly staged = new Map<string, Uint8Array>()
  readonly data = new Map<string, MutableData>()
  /** Message ids this node has seen as a Maid-Manager. */
  readonly seen = new Set<string>()
  /** As a Data-Manager: which Maid-Managers forwarded each mutation, and its outcome once Q did. */
  readonly authorities = new Map<string, Authority>()

  constructor (index: number) {
    this.id = `fake-node-${index}`
    this.position = sha256(new TextEncoder().encode(this.id))
  }
}

export interface LoggedMessage {
  to: string
  /** Hex of the sender's public key. */
  from: string
  message: WireMessage
}

export interface FakeNetworkOptions {
  nodes?: number
  groupSize?: number
  accountAllowance?: number
  maxImmutableDataSize?: number
  /** A small entry limit makes directories outgrow one MutableData after a few files. */
  maxMutableDataEntries?: number
  /** How long a Maid-Manager waits for the Data-Managers (ms); keep it below the client's timeout. Default 50. */
  forwardWait?: number
}

export class FakeNetwork implements Network {
  readonly params: NetworkParams
  readonly nodes: FakeNode[]
  readonly log: LoggedMessage[] = []
  /** Client requests being answered right now, and the most at once (for concurrency bounds). */
  inFlight = 0
  maxInFlight = 0
  private readonly forwardWait: number

  constructor (options: FakeNetworkOptions = {}) {
    this.params = networkParams({
      groupSize: options.groupSize ?? 8,
      accountAllowance: options.accountAllowance ?? 1000,
      ...(options.maxImmutableDataSize !== undefined ? { maxImmutableDataSize: options.maxImmutableDataSize } : {}),
      ...(options.maxMutableDataEntries !== undefined ? { maxMutableDataEntries: options.maxMutableDataEntries } : {})
    })
    this.forwardWait = options.forwardWait ?? 50
    this.nodes = Array.from({ length: options.nodes ?? this.params.groupSize }, (_, i) => new FakeNode(i))
  }

  async connect (identity: SigningKeyPair | undefined): Promise<Transport> {
    await tick()
    return new FakeTransport(this, identity?.publicKey ?? new Uint8Array(randomBytes(32)))
  }

  closeGroup (name: XorName): FakeNode[] {
    return closestTo(kadPositionOfName(name), this.nodes, this.params.groupSize, n => n.position)
  }

  /** Logged messages of one type. */
  sent<T extends WireMessage['type']> (type: T): Array<LoggedMessage & { message: Extract<WireMessage, { type: T }> }> {
    return this.log.filter((m): m is LoggedMessage & { message: Extract<WireMessage, { type: T }> } => m.message.type === type)
  }

  /** Every node behaves honestly again, and the log is cleared. */
  reset (): void {
    for (const node of this.nodes) node.behaviour = 'honest'
    this.log.length = 0
    this.maxInFlight = 0
  }

  /** How a node answers a client's message. */
  async handle (node: FakeNode, from: Uint8Array, message: WireMessage): Promise<WireReply> {
    switch (message.type) {
      case 'OfferChunk': {
        if (message.value.length > this.params.maxImmutableDataSize) throw new SafeMeshError('DataTooLarge', 'chunk too large')
        const id = bytesToHex(immutableDataName(message.value))
        if (node.chunks.has(id)) return { type: 'OfferChunk', stored: true }
        node.staged.set(id, message.value)
        return { type: 'OfferChunk', stored: false }
      }
      case 'GetIData': {
        const value = node.chunks.get(bytesToHex(message.name))
        if (value === undefined) throw new SafeMeshError('NoSuchData', 'no such chunk')
        return { type: 'GetIData', value }
      }
      case 'GetMData': return { type: message.type, data: this.stored(node, message.name, message.tag) }
      case 'GetMDataShell': return { type: message.type, data: mutableDataShell(this.stored(node, message.name, message.tag)) }
      case 'GetMDataVersion': return { type: message.type, version: this.stored(node, message.name, message.tag).version }
      case 'ListMDataEntries': return { type: message.type, entries: listEntries(this.stored(node, message.name, message.tag)) }
      case 'ListMDataKeys': return { type: message.type, keys: listKeys(this.stored(node, message.name, message.tag)) }
      case 'ListMDataValues': return { type: message.type, values: listValues(this.stored(node, message.name, message.tag)) }
      case 'GetMDataValue': return { type: message.type, value: getValue(this.stored(node, message.name, message.tag), message.key) }
      case 'ListMDataPermissions': return { type: message.type, permissions: listPermissions(this.stored(node, message.name, message.tag)) }
      case 'ListMDataUserPermissions': return { type: message.type, permissions: userPermissions(this.stored(node, message.name, message.tag), message.user) }
      case 'GetAccountInfo': {
        const account = this.authorised(node, from, message.account, message.requester)
        const { creditsReceived = 0, creditsSent = 0 } = account
        return { type: 'GetAccountInfo', mutationsDone: account.mutationsDone, mutationsAvailable: Math.max(0, this.balance(account)), creditsReceived, creditsSent }
      }
      case 'ListCredits': {
        const account = this.authorised(node, from, message.account, message.requester)
        if (!bytesEqual(from, account.owner)) throw new SafeMeshError('AccessDenied', 'only the owner lists its credits')
        return { type: 'ListCredits', credits: (account.credits ?? []).slice(-1000) }
      }
      case 'ListAuthKeysAndVersion': {
        const account = this.authorised(node, from, message.account, message.requester)
        return { type: 'ListAuthKeysAndVersion', keys: [...account.authKeys], version: account.authKeysVersion }
      }
      case 'PutIData': case 'PutMData': case 'MutateMDataEntries': case 'SetMDataUserPermissions':
      case 'DelMDataUserPermissions': case 'ChangeMDataOwner': case 'InsAuthKey': case 'DelAuthKey': case 'TransferCredit':
        return await this.maidManager(node, from, message)
      default:
        throw new SafeMeshError('InvalidRequest', `a client does not send ${message.type}`)
    }
  }

  private stored (node: FakeNode, name: XorName, tag: number): MutableData {
    const md = node.data.get(mdKey(name, tag))
    if (md === undefined) throw new SafeMeshError('NoSuchData', 'no such MutableData')
    return md
  }

  private authorised (node: FakeNode, from: Uint8Array, accountName: XorName, requester: Uint8Array): AccountState {
    const account = node.accounts.get(bytesToHex(accountName))
    if (account === undefined) throw new SafeMeshError('NoSuchAccount', 'no such account')
    if (!bytesEqual(account.owner, from) && !account.authKeys.some(k => bytesEqual(k, from))) throw new SafeMeshError('AccessDenied', 'not the owner or an app')
    if (!bytesEqual(requester, from)) throw new SafeMeshError('AccessDenied', 'requester is not the sender')
    return account
  }

  private async maidManager (node: FakeNode, from: Uint8Array, m: Mutation): Promise<WireReply> {
    const accountId = bytesToHex(m.account)
    let account = node.accounts.get(accountId)
    const opening = m.type === 'PutMData' && m.data.tag === 0
    if (opening) {
      if (account !== undefined) throw new SafeMeshError('AccountExists', 'account exists')
      if (!bytesEqual(m.requester, from) || !bytesEqual(sha3_256(from), m.account)) throw new SafeMeshError('AccessDenied', 'only an owner opens its account')
    } else {
      account = this.authorised(node, from, m.account, m.requester)
    }
    if (account !== undefined && this.balance(account) < (m.type === 'TransferCredit' ? m.amount : 1)) throw new SafeMeshError('LowBalance', 'no mutations left')
    const id = bytesToHex(m.messageId)
    if (node.seen.has(id)) throw new SafeMeshError('InvalidOperation', 'message id seen')
    node.seen.add(id)
    const owner = account?.owner ?? from
    if (m.type === 'PutMData' && (m.data.owners.length !== 1 || !bytesEqual(m.data.owners[0] as Uint8Array, owner))) {
      throw new SafeMeshError('InvalidOwners', 'PutMData must name the account owner')
    }
    if (m.type === 'TransferCredit') {
      // Executed here at once: every fake node keeps every account.
      const payer = account as AccountState
      if (!bytesEqual(from, payer.owner)) throw new SafeMeshError('AccessDenied', 'only the owner transfers credit')
      if (m.amount < 1 || bytesEqual(m.to, m.account)) throw new SafeMeshError('InvalidRequest', 'not a transfer')
      const payee = node.accounts.get(bytesToHex(m.to))
      if (payee === undefined) throw new SafeMeshError('NoSuchAccount', 'no such account')
      payer.creditsSent = (payer.creditsSent ?? 0) + m.amount
      payee.creditsReceived = (payee.creditsReceived ?? 0) + m.amount
      payee.credits = [...(payee.credits ?? []), { payer: m.account, amount: m.amount, messageId: m.messageId, ...(m.memo !== undefined ? { memo: m.memo } : {}) }]
      return { type: 'TransferCredit' }
    }
    if (m.type === 'InsAuthKey' || m.type === 'DelAuthKey') {
      const state = account as AccountState
      if (!bytesEqual(from, state.owner)) throw new SafeMeshError('AccessDenied', 'only the owner manages app keys')
      if (m.version !== state.authKeysVersion + 1) throw invalidSuccessor(state.authKeysVersion)
      const present = state.authKeys.some(k => bytesEqual(k, m.key))
      if (m.type === 'DelAuthKey' && !present) throw new SafeMeshError('NoSuchKey', 'no such app key')
      if (m.type === 'InsAuthKey' && !present) state.authKeys.push(m.key)
      if (m.type === 'DelAuthKey') state.authKeys = state.authKeys.filter(k => !bytesEqual(k, m.key))
      state.authKeysVersion = m.version
      state.mutationsDone++
      return { type: m.type }
    }
    const outcome = await this.forward(node, m, owner)
    if ('error' in outcome) {
      if (opening && outcome.error.code === 'DataExists') throw new SafeMeshError('AccountExists', 'the session packet is taken')
      throw outcome.error
    }
    if (opening) {
      account = { owner: from, mutationsDone: 0, authKeys: [], authKeysVersion: 0 }
      node.accounts.set(accountId, account)
    }
    ;(account as AccountState).mutationsDone++
    return outcome.ok
  }

  /**
   * Group authority (SPEC §5): each Data-Manager of the target applies the mutation once Q
   * distinct Maid-Managers have forwarded it. A Data-Manager missing an offered chunk's bytes
   * takes them from a member that has them (as a real one would fetch them).
   */
  private balance (account: AccountState): number {
    return this.params.accountAllowance + (account.creditsReceived ?? 0) - (account.creditsSent ?? 0) - account.mutationsDone
  }

  private async forward (mm: FakeNode, m: Mutation, owner: Uint8Array): Promise<Outcome> {
    const target = m.type === 'PutMData' ? m.data.name : m.type === 'InsAuthKey' || m.type === 'DelAuthKey' ? m.account : m.type === 'TransferCredit' ? m.to : m.name
    const id = bytesToHex(m.messageId)
    const dataManagers = this.closeGroup(target)
    const outcomes = await Promise.all(dataManagers.map(async dm => await this.authorise(dm, mm, id, () => this.apply(dm, m, owner, dataManagers))))
    const successes = outcomes.filter((o): o is { ok: WireReply } => o !== undefined && 'ok' in o)
    if (successes.length >= this.params.quorum) return successes[0] as Outcome
    const refused = outcomes.find((o): o is { error: SafeMeshError } => o !== undefined && 'error' in o)
    return refused ?? { error: new SafeMeshError('Timeout', 'the Data-Managers did not answer') }
  }

  private async authorise (dm: FakeNode, mm: FakeNode, id: string, apply: () => Outcome): Promise<Outcome | undefined> {
    let authority = dm.authorities.get(id)
    if (authority === undefined) {
      authority = { from: new Set(), waiters: [] }
      dm.authorities.set(id, authority)
    }
    if (authority.outcome !== undefined) return authority.outcome
    const { promise, resolve } = Promise.withResolvers<Outcome>()
    authority.waiters.push(resolve)
    authority.from.add(mm.id)
    if (authority.from.size >= this.params.quorum) {
      const outcome = apply()
      authority.outcome = outcome
      for (const wake of authority.waiters) wake(outcome)
    }
    return await Promise.race([promise, sleep(this.forwardWait).then(() => undefined)])
  }

  private apply (dm: FakeNode, m: Mutation, _owner: Uint8Array, group: readonly FakeNode[]): Outcome {
    try {
      switch (m.type) {
        case 'PutIData': {
          const id = bytesToHex(m.name)
          if (!dm.chunks.has(id)) {
            const value = dm.staged.get(id) ?? group.map(n => n.staged.get(id) ?? n.chunks.get(id)).find(v => v !== undefined)
            if (value === undefined) throw new SafeMeshError('InvalidRequest', 'chunk was not offered')
            validateImmutableData(m.name, value, this.params)
            dm.chunks.set(id, value)
            dm.staged.delete(id)
          }
          return { ok: { type: 'PutIData' } }
        }
        case 'PutMData': {
          const key = mdKey(m.data.name, m.data.tag)
          if (dm.data.has(key)) throw new SafeMeshError('DataExists', 'MutableData exists')
          validateNewMutableData(m.data, this.params)
          dm.data.set(key, m.data)
          return { ok: { type: 'PutMData' } }
        }
        case 'MutateMDataEntries':
          this.update(dm, m.name, m.tag, md => mutateEntries(md, m.requester, m.actions, this.params))
          return { ok: { type: m.type } }
        case 'SetMDataUserPermissions':
          this.update(dm, m.name, m.tag, md => setUserPermissions(md, m.requester, m.user, m.permissions, m.version, this.params))
          return { ok: { type: m.type } }
        case 'DelMDataUserPermissions':
          this.update(dm, m.name, m.tag, md => delUserPermissions(md, m.requester, m.user, m.version))
          return { ok: { type: m.type } }
        case 'ChangeMDataOwner':
          this.update(dm, m.name, m.tag, md => changeOwner(md, m.requester, m.newOwners, m.version))
          return { ok: { type: m.type } }
        default:
          throw new SafeMeshError('InvalidRequest', `not a Data-Manager mutation: ${m.type}`)
      }
    } catch (err) {
      if (isSafeMeshError(err)) return { error: err }
      throw err
    }
  }

  private update (dm: FakeNode, name: XorName, tag: number, change: (md: MutableData) => MutableData): void {
    const key = mdKey(name, tag)
    dm.data.set(key, change(this.stored(dm, name, tag)))
  }
}

class FakeTransport implements Transport {
  readonly params: NetworkParams
  readonly publicKey: Uint8Array
  private readonly network: FakeNetwork
  closed = false

  constructor (network: FakeNetwork, publicKey: Uint8Array) {
    this.network = network
    this.params = network.params
    this.publicKey = publicKey
  }

  closeGroup (name: XorName): NodeRef[] {
    return this.network.closeGroup(name)
  }

  async send (ref: NodeRef, body: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    if (this.closed) throw new SafeMeshError('InvalidOperation', 'transport closed')
    const node = this.network.nodes.find(n => n.id === ref.id)
    if (node === undefined) throw new SafeMeshError('Timeout', `no node ${ref.id}`)
    const message = decodeMessage(body)
    this.network.log.push({ to: node.id, from: bytesToHex(this.publicKey), message })
    this.network.inFlight++
    this.network.maxInFlight = Math.max(this.network.maxInFlight, this.network.inFlight)
    try {
      // Once sent, a message is delivered: aborting only stops the wait for its answer.
      await tick()
      const behaviour = node.behaviour
      if (behaviour === 'silent') {
        await sleep(options.timeout ?? 30_000, undefined, options.signal != null ? { signal: options.signal } : {}).catch(() => {})
        throw new SafeMeshError('Timeout', `${node.id} did not answer`)
      }
      const honest = async (): Promise<Uint8Array> => encodeReply(await this.network.handle(node, this.publicKey, message))
      return behaviour === 'honest' ? await honest() : await behaviour(message, honest)
    } finally {
      this.network.inFlight--
    }
  }

  async close (): Promise<void> {
    this.closed = true
  }
}

function mdKey (name: XorName, tag: number): string {
  return `${bytesToHex(name)}:${tag}`
}
