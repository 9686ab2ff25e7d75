/**
 * One soak client: its own account, writing one operation after another until told to stop —
 * files of random content (`putFile`), new MutableData (`createMData`) and entry mutations
 * (`mutateMDataEntries`: inserts, updates and deletes, sometimes two keys at once). It keeps
 * what it saw succeed (files with their content hash and chunk names, each MutableData's expected
 * entries) for the checks at the end.
 */
import { createHash, randomBytes } from 'node:crypto'
import { type SafeMeshClient, libp2pNetwork, type NetworkFile, createAccount } from '@safemesh/client'
import { isSafeMeshError, xorNameToHex, type KeyedEntryAction } from '@safemesh/protocol'
import type { Logger } from 'pino'
import { entriesOf, type EntryState, type TrackedMData } from './md-model.js'
import type { MutationLedger } from './mutation-ledger.js'
import { ObservedNetwork, OperationScope, type ObservedTransport } from './observed-network.js'
import type { Rng } from './rng.js'
import type { WrittenNames } from './written-names.js'

/** The type tag of the soak's MutableData (an app's range, SPEC §2). */
const SOAK_TAG = 31_000
/** Argon2id limits low enough to open accounts quickly (the tests' and benches' setting). */
export const SOAK_KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }
const ACTIVE_MDATA = 4
const MAX_MDATA = 64
const MAX_KEYS = 8

export interface StoredFile {
  readonly address: string
  readonly size: number
  readonly sha256: string
  /** Every chunk of the file, its data map's included (hex). */
  readonly chunks: readonly string[]
}

/** What became of the operations of one kind. */
export interface OperationCounts {
  ok: number
  /** Timeout or NoQuorum after the retries, or stopped at the end of the run: outcome unknown. */
  unknown: number
  /** The network refused it (Q Maid-Managers agreed on an error). */
  refused: number
}

export interface WriterStats {
  files: OperationCounts
  mdCreates: OperationCounts
  mdMutations: OperationCounts
  /** Per error code, how many operations ended with it. */
  errors: Map<string, number>
  /** Refusals of writes that the client's own record says are valid (e.g. InvalidSuccessor). */
  unexpectedRefusals: string[]
  /** Operations the client saw succeed whose mutation the ledger does not count as acknowledged. */
  observerMismatches: string[]
  /** How long each operation that succeeded took (ms). */
  latencies: number[]
}

export interface WriterContext {
  network: NetworkFile
  ledger: MutationLedger
  names: WrittenNames
  minFileBytes: number
  maxFileBytes: number
  log: Logger
}

type Outcome = 'ok' | 'unknown' | 'refused'

export class Writer {
  readonly index: number
  readonly secret: string
  readonly password: string
  readonly client: SafeMeshClient
  readonly account: string
  readonly files: StoredFile[] = []
  readonly mdata: TrackedMData[] = []
  readonly stats: WriterStats = {
    files: counts(),
    mdCreates: counts(),
    mdMutations: counts(),
    errors: new Map(),
    unexpectedRefusals: [],
    observerMismatches: [],
    latencies: []
  }

  private readonly transport: ObservedTransport
  private readonly context: WriterContext
  private readonly rng: Rng
  private readonly log: Logger

  private constructor (index: number, secret: string, password: string, client: SafeMeshClient, transport: ObservedTransport, context: WriterContext, rng: Rng) {
    this.index = index
    this.secret = secret
    this.password = password
    this.client = client
    this.transport = transport
    this.context = context
    this.rng = rng
    this.account = xorNameToHex(client.account as Uint8Array)
    this.log = context.log.child({ client: index })
  }

  /** Creates the client's account (one charged mutation: its session packet). */
  static async open (index: number, context: WriterContext, rng: Rng): Promise<Writer> {
    const secret = `soak client ${index} ${randomBytes(8).toString('hex')}`
    const password = randomBytes(8).toString('hex')
    const network = new ObservedNetwork(libp2pNetwork({ ...context.network, log: context.log.child({ client: index, component: 'client' }) }), context.ledger)
    const client = await createAccount({ secret, password }, { network, kdf: SOAK_KDF, ...(context.network.salt !== undefined ? { networkSalt: context.network.salt } : {}) })
    const transport = network.transports.at(-1)
    if (transport === undefined) throw new Error('unreachable: the account was created through no transport')
    return new Writer(index, secret, password, client, transport, context, rng)
  }

  /** Writes until `until` (performance.now()); `signal` aborts the operation under way. */
  async run (until: number, signal: AbortSignal): Promise<void> {
    while (performance.now() < until && !signal.aborted) {
      await this.step(signal)
    }
  }

  async close (): Promise<void> {
    await this.client.close()
  }

  private async step (signal: AbortSignal): Promise<void> {
    const started = performance.now()
    const ok = this.okCount()
    await this.choose(signal)
    if (this.okCount() > ok) this.stats.latencies.push(performance.now() - started)
  }

  private okCount (): number {
    return this.stats.files.ok + this.stats.mdCreates.ok + this.stats.mdMutations.ok
  }

  private async choose (signal: AbortSignal): Promise<void> {
    const active = this.mdata.filter(md => !md.retired)
    const roll = this.rng.float()
    if (active.length < 2 || (roll >= 0.35 && roll < 0.45 && this.mdata.length < MAX_MDATA && active.length < ACTIVE_MDATA)) {
      await this.createMData(signal)
    } else if (roll < 0.35) {
      await this.putFile(signal)
    } else {
      await this.mutate(this.rng.pick(active), signal)
    }
  }

  private async putFile (signal: AbortSignal): Promise<void> {
    const size = this.rng.logUniform(this.context.minFileBytes, this.context.maxFileBytes)
    const content = randomBytes(size)
    const scope = this.begin()
    let outcome: Outcome
    try {
      const put = await this.client.putFile([content], { size, signal })
      const chunks = [...scope.offered]
      this.files.push({ address: put.address, size, sha256: createHash('sha256').update(content).digest('hex'), chunks })
      for (const chunk of chunks) this.context.names.addChunk(chunk)
      outcome = 'ok'
    } catch (err) {
      outcome = this.failed('putFile', err, signal)
    } finally {
      this.end()
    }
    this.stats.files[outcome]++
  }

  private async createMData (signal: AbortSignal): Promise<void> {
    const entries = Array.from({ length: this.rng.int(0, 2) }, (_, i) => ({ key: key(i), content: this.content() }))
    const scope = this.begin()
    let outcome: Outcome
    try {
      const data = await this.client.createMData({ tag: SOAK_TAG, entries, signal })
      const hex = xorNameToHex(data.name)
      this.mdata.push({ name: data.name, tag: SOAK_TAG, hex, account: this.account, acknowledged: entriesOf(entries), retired: false, writes: 1 })
      this.context.names.addMData(data.name, SOAK_TAG, hex)
      this.expectAcknowledged(scope, `createMData ${hex}`)
      outcome = 'ok'
    } catch (err) {
      // A creation with an unknown outcome may or may not exist: it is left out of the checks.
      outcome = this.failed('createMData', err, signal)
    } finally {
      this.end()
    }
    this.stats.mdCreates[outcome]++
  }

  private async mutate (md: TrackedMData, signal: AbortSignal): Promise<void> {
    const { actions, next } = this.plan(md)
    const scope = this.begin()
    let outcome: Outcome
    try {
      await this.client.mutateMDataEntries(md, actions, { signal })
      md.acknowledged = next
      md.writes++
      this.expectAcknowledged(scope, `mutateMDataEntries ${md.hex}`)
      outcome = 'ok'
    } catch (err) {
      outcome = this.failed('mutateMDataEntries', err, signal)
      md.retired = true
      if (outcome === 'unknown') md.ifApplied = next
      else this.stats.unexpectedRefusals.push(`client ${this.index}: ${describe(err)} for ${describeActions(actions)} on MutableData ${md.hex} (expected ${md.writes} acknowledged writes)`)
    } finally {
      this.end()
    }
    this.stats.mdMutations[outcome]++
  }

  /** One insert, update or delete, sometimes an insert and an update at once; and the entries after it. */
  private plan (md: TrackedMData): { actions: KeyedEntryAction[], next: Map<string, EntryState> } {
    const next = new Map(md.acknowledged)
    const actions: KeyedEntryAction[] = []
    const keys = [...md.acknowledged.keys()]
    const insert = (): void => {
      const k = key(next.size)
      const content = this.content()
      actions.push({ key: k, action: { kind: 'Insert', content } })
      next.set(Buffer.from(k).toString('hex'), { content, version: 0 })
    }
    const change = (): void => {
      const hex = this.rng.pick(keys)
      const current = md.acknowledged.get(hex) as EntryState
      const version = current.version + 1
      if (current.content.length > 0 && this.rng.chance(0.15)) {
        actions.push({ key: Buffer.from(hex, 'hex'), action: { kind: 'Delete', version } })
        next.set(hex, { content: new Uint8Array(0), version })
      } else {
        const content = this.content()
        actions.push({ key: Buffer.from(hex, 'hex'), action: { kind: 'Update', content, version } })
        next.set(hex, { content, version })
      }
    }
    if (keys.length === 0) insert()
    else if (keys.length >= MAX_KEYS) change()
    else {
      const roll = this.rng.float()
      if (roll < 0.35) insert()
      else if (roll < 0.55) { insert(); change() } else change()
    }
    return { actions, next }
  }

  private content (): Uint8Array {
    return new Uint8Array(randomBytes(this.rng.int(16, 512)))
  }

  private begin (): OperationScope {
    const scope = new OperationScope()
    this.transport.scope = scope
    return scope
  }

  private end (): void {
    this.transport.scope = undefined
  }

  /** A success the client saw is one the ledger must count as acknowledged, or the ledger is wrong. */
  private expectAcknowledged (scope: OperationScope, what: string): void {
    for (const id of scope.messageIds) {
      const record = this.context.ledger.get(id)
      if (record === undefined || this.context.ledger.verdict(record) !== 'acknowledged') {
        this.stats.observerMismatches.push(`client ${this.index}: ${what} succeeded but message ${id} is ${record === undefined ? 'unknown' : this.context.ledger.verdict(record)}`)
      }
    }
  }

  private failed (what: string, err: unknown, signal: AbortSignal): Outcome {
    const code = signal.aborted ? 'stopped' : isSafeMeshError(err) ? err.code : (err as Error).name ?? 'Error'
    this.stats.errors.set(code, (this.stats.errors.get(code) ?? 0) + 1)
    const unknown = signal.aborted || !isSafeMeshError(err) || err.code === 'Timeout' || err.code === 'NoQuorum'
    this.log.debug({ op: what, code, err: (err as Error).message }, unknown ? 'an operation gave up' : 'an operation was refused')
    return unknown ? 'unknown' : 'refused'
  }
}

function counts (): OperationCounts {
  return { ok: 0, unknown: 0, refused: 0 }
}

function key (index: number): Uint8Array {
  return new TextEncoder().encode(`k${index}`)
}

function describe (err: unknown): string {
  return isSafeMeshError(err) ? `${err.code} (${err.message})` : String(err)
}

function describeActions (actions: readonly KeyedEntryAction[]): string {
  return actions.map(a => `${a.action.kind} ${new TextDecoder().decode(a.key)}${'version' in a.action ? `@${a.action.version}` : ''}`).join(' + ')
}
