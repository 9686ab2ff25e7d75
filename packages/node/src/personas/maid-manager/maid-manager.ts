import {
  SafeMeshError, misroutedError, bytesEqual, bytesToHex, decodeResponse, encodeMessage, encodeResponse, errorResponse, isErrorResponse,
  isSafeMeshError, quorumOf, responseError, sha3_256, xorNameEquals, xorNameToHex,
  TYPE_TAG_SESSION_PACKET, type AccountRecord, type Mutation, type RequestOf, type Response, type XorName
} from '@safemesh/protocol'
import { askForQuorum } from '../quorum.js'
import { senderKey, type PersonaContext } from '../context.js'
import { Accounts } from './accounts.js'
import { KeyedQueue } from '../keyed-queue.js'
import type { Dispatcher } from '../../dispatcher.js'
import type { RequestContext } from '../../messaging/messenger.js'

/** How long a Maid-Manager waits for the Data-Managers' verdict on a forwarded mutation. */
const FORWARD_TIMEOUT = 20_000

/**
 * The Maid-Manager persona (SPEC §4): the close group of an account keeps its
 * record (mutations done, authorised app keys), checks every mutation in the
 * order SPEC §4 gives, forwards it to the Data-Managers of its target with
 * the group's authority, and charges one op only when they report success.
 */
export class MaidManager {
  private readonly context: PersonaContext
  readonly accounts: Accounts
  /** Mutations forwarded and not yet settled, per account: they hold allowance. */
  private readonly inFlight = new Map<string, number>()
  /** Account records are read-modify-written one mutation at a time per account. */
  private readonly accountQueue = new KeyedQueue()
  /** Mutations being forwarded, by account and message id: a retry that arrives meanwhile joins its first try. */
  private readonly running = new Map<string, Promise<Response>>()

  constructor (context: PersonaContext) {
    this.context = context
    this.accounts = new Accounts(context.store)
  }

  register (dispatcher: Dispatcher): void {
    for (const type of ['PutIData', 'PutMData', 'MutateMDataEntries', 'SetMDataUserPermissions', 'DelMDataUserPermissions', 'ChangeMDataOwner', 'InsAuthKey', 'DelAuthKey'] as const) {
      dispatcher.on(type, async (request, ctx) => await this.mutate(request, ctx))
    }
    dispatcher.on('GetAccountInfo', async (request, ctx) => {
      const record = await this.authorised(request.account, request.requester, ctx)
      return { type: 'GetAccountInfo', mutationsDone: record.mutationsDone, mutationsAvailable: Math.max(0, this.context.params.accountAllowance - record.mutationsDone) }
    })
    dispatcher.on('ListAuthKeysAndVersion', async (request, ctx) => {
      const record = await this.authorised(request.account, request.requester, ctx)
      return { type: 'ListAuthKeysAndVersion', keys: record.authKeys, version: record.authKeysVersion }
    })
  }

  /** The account, if the sender is its owner or an authorised app and is the requester. */
  private async authorised (account: XorName, requester: Uint8Array, ctx: RequestContext): Promise<AccountRecord> {
    this.assertManager(account)
    const record = await this.accounts.get(account)
    if (record == null) throw new SafeMeshError('NoSuchAccount', `no account ${xorNameToHex(account)}`)
    const sender = senderKey(ctx.from)
    if (!bytesEqual(sender, record.owner) && !record.authKeys.some(k => bytesEqual(k, sender))) {
      throw new SafeMeshError('AccessDenied', 'the sender is neither the account\'s owner nor one of its apps')
    }
    if (!bytesEqual(requester, sender)) throw new SafeMeshError('AccessDenied', 'the requester is not the sender')
    return record
  }

  private assertManager (account: XorName): void {
    if (!this.context.routing.isInCloseGroup(account)) {
      throw misroutedError('account\'s Maid-Managers')
    }
  }

  private async mutate (request: Mutation, ctx: RequestContext): Promise<Response> {
    const digest = sha3_256(encodeMessage(request))
    if (request.type === 'PutMData' && request.data.tag === TYPE_TAG_SESSION_PACKET) {
      const existing = await this.accounts.get(request.account)
      if (existing == null) return await this.createAccount(request, ctx, digest)
    }
    const key = xorNameToHex(request.account)
    const step = await this.withAccount(request.account, async (): Promise<Step> => {
      const record = await this.authorised(request.account, request.requester, ctx)
      const seen = await this.accounts.message(request.account, request.messageId)
      const retry = seen != null && bytesEqual(seen.digest, digest)
      // A retry of a settled mutation gets its first outcome; it is neither run nor charged again.
      if (retry && seen.outcome != null) return { settled: decodeResponse(seen.outcome) }
      const running = this.running.get(runningKey(key, request.messageId))
      if (retry && running != null) return { joined: running }
      const inFlight = this.inFlight.get(key) ?? 0
      if (record.mutationsDone + inFlight >= this.context.params.accountAllowance) {
        throw new SafeMeshError('LowBalance', 'the account has no mutations left')
      }
      if (seen != null && !retry) throw new SafeMeshError('InvalidOperation', 'this message id was already used')
      this.check(request, record)
      if (request.type === 'InsAuthKey' || request.type === 'DelAuthKey') {
        const next = changeAuthKeys(record, request)
        const reply: Response = { type: request.type }
        await this.accounts.settle(request.account, request.messageId, { digest, outcome: encodeResponse(reply) }, { ...next, mutationsDone: next.mutationsDone + 1 })
        return { settled: reply }
      }
      if (!retry) await this.accounts.spend(request.account, request.messageId, digest)
      // Reserved under the lock, so concurrent mutations never overdraw the allowance.
      this.inFlight.set(key, inFlight + 1)
      return { forward: record, running: this.start(key, request.messageId) }
    })
    if ('settled' in step) return replay(step.settled)
    if ('joined' in step) return await step.joined
    // Forwarded outside the account lock: many mutations of one account may be in flight at once,
    // each holding one op of allowance until it settles.
    try {
      return await this.settle(request, digest, step.running, async () => await this.forward(request, step.forward), (current) =>
        current == null ? undefined : { ...current, mutationsDone: current.mutationsDone + 1 })
    } finally {
      const left = (this.inFlight.get(key) ?? 1) - 1
      if (left === 0) this.inFlight.delete(key)
      else this.inFlight.set(key, left)
    }
  }

  /**
   * Marks a mutation as running at this node, under its account's lock, so a
   * retry that arrives meanwhile joins it instead of running it again.
   */
  private start (account: string, messageId: Uint8Array): Running {
    const id = runningKey(account, messageId)
    const outcome = Promise.withResolvers<Response>()
    // Joiners may be none; the first try awaits it through `settle`.
    outcome.promise.catch(() => {})
    this.running.set(id, outcome.promise)
    return { id, outcome }
  }

  /**
   * Settles a running mutation: a success is charged and its reply kept, a
   * refusal the Data-Managers agreed on is kept, and a `Timeout` or
   * `NoQuorum` is left unsettled, so a retry asks the Data-Managers again
   * (they answer a request they already executed with its outcome).
   */
  private async settle (
    request: Mutation, digest: Uint8Array, running: Running, work: () => Promise<Response>,
    charge: (current: AccountRecord | undefined) => AccountRecord | undefined
  ): Promise<Response> {
    try {
      let reply: Response
      try {
        reply = await work()
      } catch (err) {
        if (isSafeMeshError(err) && !UNSETTLED.has(err.code)) {
          await this.withAccount(request.account, async () => {
            await this.accounts.settle(request.account, request.messageId, { digest, outcome: encodeResponse(errorResponse(err)) })
          })
        }
        throw err
      }
      await this.withAccount(request.account, async () => {
        const next = charge(await this.accounts.get(request.account))
        await this.accounts.settle(request.account, request.messageId, { digest, outcome: encodeResponse(reply) }, next)
      })
      running.outcome.resolve(reply)
      return reply
    } catch (err) {
      running.outcome.reject(err)
      throw err
    } finally {
      this.running.delete(running.id)
    }
  }

  /** SPEC §4's request checks, after allowance and message id. */
  private check (request: Mutation, record: AccountRecord): void {
    switch (request.type) {
      case 'PutIData':
        if (request.size > this.context.params.maxImmutableDataSize) throw new SafeMeshError('DataTooLarge', 'ImmutableData is at most 1 MiB + 10 KiB')
        break
      case 'PutMData':
        if (request.data.owners.length !== 1 || !bytesEqual(request.data.owners[0] as Uint8Array, record.owner)) {
          throw new SafeMeshError('InvalidOwners', 'new MutableData must be owned by the account\'s owner, alone')
        }
        if (request.data.tag === TYPE_TAG_SESSION_PACKET) throw new SafeMeshError('AccountExists', 'this account already has its session packet')
        break
      case 'ChangeMDataOwner':
      case 'InsAuthKey':
      case 'DelAuthKey':
        if (!bytesEqual(request.requester, record.owner)) throw new SafeMeshError('AccessDenied', 'only the owner, acting itself, may do this')
        break
    }
  }

  /**
   * Account creation (SPEC §4): the PutMData of the session packet, sent by
   * the new owner to its own Maid-Managers, opens the account once the
   * Data-Managers have stored the packet.
   */
  private async createAccount (request: RequestOf<'PutMData'>, ctx: RequestContext, digest: Uint8Array): Promise<Response> {
    this.assertManager(request.account)
    const owner = senderKey(ctx.from)
    if (!bytesEqual(request.requester, owner)) throw new SafeMeshError('AccessDenied', 'the requester is not the sender')
    if (!xorNameEquals(sha3_256(owner), request.account)) throw new SafeMeshError('AccessDenied', 'an account is opened by its own owner')
    if (request.data.owners.length !== 1 || !bytesEqual(request.data.owners[0] as Uint8Array, owner)) {
      throw new SafeMeshError('InvalidOwners', 'the session packet must be owned by the new account\'s owner, alone')
    }
    const record: AccountRecord = { owner, mutationsDone: 0, authKeys: [], authKeysVersion: 0 }
    const step = await this.withAccount(request.account, async (): Promise<Step> => {
      const seen = await this.accounts.message(request.account, request.messageId)
      const retry = seen != null && bytesEqual(seen.digest, digest)
      if (retry && seen.outcome != null) return { settled: decodeResponse(seen.outcome) }
      const running = this.running.get(runningKey(xorNameToHex(request.account), request.messageId))
      if (retry && running != null) return { joined: running }
      if (seen != null && !retry) throw new SafeMeshError('InvalidOperation', 'this message id was already used')
      if (!retry) await this.accounts.spend(request.account, request.messageId, digest)
      return { forward: record, running: this.start(xorNameToHex(request.account), request.messageId) }
    })
    if ('settled' in step) return replay(step.settled)
    if ('joined' in step) return await step.joined
    return await this.settle(request, digest, step.running, async () => {
      try {
        return await this.forward(request, record)
      } catch (err) {
        if (err instanceof SafeMeshError && err.code === 'DataExists') throw new SafeMeshError('AccountExists', 'that session packet is taken')
        throw err
      }
    }, (existing) => {
      if (existing != null) throw new SafeMeshError('AccountExists', 'the account exists')
      return { ...record, mutationsDone: 1 }
    })
  }

  /** Passes the mutation to its Data-Managers and returns the verdict a quorum of them gave. */
  private async forward (request: Mutation, record: AccountRecord): Promise<Response> {
    const target = dataNameOf(request)
    const group = this.context.routing.closeGroup(target)
    const message = { type: 'Forward' as const, account: request.account, owner: record.owner, mutation: request }
    const reply = await askForQuorum(group, async (peer) => await this.context.send(peer, message, { timeout: FORWARD_TIMEOUT }), quorumOf(this.context.params.groupSize))
    if (reply.type !== request.type) throw new SafeMeshError('InvalidOperation', `the Data-Managers answered ${reply.type} to ${request.type}`)
    return reply as Response
  }

  private async withAccount<T> (account: XorName, work: () => Promise<T>): Promise<T> {
    return await this.accountQueue.run(xorNameToHex(account), work)
  }

}

/** What a mutation does next, decided under its account's lock. */
type Step = { settled: Response } | { joined: Promise<Response> } | { forward: AccountRecord, running: Running }

/** A mutation being forwarded by this node, which retries of it join. */
interface Running {
  id: string
  outcome: PromiseWithResolvers<Response>
}

/** Outcomes a retry may still change: the group did not answer, or did not agree. */
const UNSETTLED: ReadonlySet<string> = new Set(['Timeout', 'NoQuorum'])

function runningKey (account: string, messageId: Uint8Array): string {
  return `${account}/${bytesToHex(messageId)}`
}

/** A kept outcome, given again: its reply, or its refusal thrown. */
function replay (outcome: Response): Response {
  if (isErrorResponse(outcome)) throw responseError(outcome)
  return outcome
}

function dataNameOf (request: Mutation): XorName {
  if (request.type === 'PutMData') return request.data.name
  if (request.type === 'InsAuthKey' || request.type === 'DelAuthKey') throw new SafeMeshError('InvalidRequest', 'account operations have no data')
  return request.name
}

/** InsAuthKey / DelAuthKey on a record (SPEC §4): versioned, NoSuchKey for an absent key. */
function changeAuthKeys (record: AccountRecord, request: RequestOf<'InsAuthKey'> | RequestOf<'DelAuthKey'>): AccountRecord {
  if (request.version !== record.authKeysVersion + 1) {
    throw new SafeMeshError('InvalidSuccessor', `the auth-key version is ${record.authKeysVersion}`, { current: record.authKeysVersion })
  }
  const present = record.authKeys.some(k => bytesEqual(k, request.key))
  if (request.type === 'InsAuthKey') {
    if (present) throw new SafeMeshError('InvalidOperation', 'that key is already authorised')
    return { ...record, authKeys: [...record.authKeys, request.key], authKeysVersion: request.version }
  }
  if (!present) throw new SafeMeshError('NoSuchKey', 'that key is not authorised')
  return { ...record, authKeys: record.authKeys.filter(k => !bytesEqual(k, request.key)), authKeysVersion: request.version }
}
