import {
  MAX_LISTED_CREDITS, QuorumTally, SafeMeshError, accountBalance, assertAccountNamePut, assertAppendOnly, assertPublicIdPut, assertBatchCanFit, assertChargeShape, assertTransfer, availableCredit, chargeOf, costOf,
  creditedRecord, creditsReceived, creditsSent, forwardOf, misroutedError, accountNameOf, appKeyBinding, bytesEqual, bytesToHex, changeAuthKeys, chargedRecord, decodeResponse,
  encodeResponse, errorResponse, isAccountOpening, isErrorResponse, isSafeMeshError, quorumOf,
  responseError, sha3_256, validateNewMutableData, xorNameEquals, xorNameToHex,
  type AccountRecord, type Charge, type Mutation, type RequestOf, type Response, type WireMessage, type WireReply, type XorName
} from '@safemesh/protocol'
import { askForQuorum } from '@safemesh/net'
import { senderKey, type PersonaContext } from '../context.js'
import { Accounts, type MessageRecord } from './accounts.js'
import { AccountHandOver } from './account-hand-over.js'
import { KeyedQueue } from '../keyed-queue.js'
import { RefusalBudget } from './refusal-budget.js'
import { ForwardedBodies } from './forwarded-bodies.js'
import type { Dispatcher, HandlerContext } from '../../dispatcher.js'
import type { RequestContext } from '@safemesh/net'

/** How long a Maid-Manager waits for the Data-Managers' verdict on a forwarded mutation. */
const FORWARD_TIMEOUT = 20_000
/** How often expired records of uncharged mutations are looked for. */
const SWEEP_EVERY = 5 * 60_000
/** Data-Managers' verdicts being counted at once; the oldest are forgotten past this. */
const VERDICT_CAPACITY = 10_000
/** Accounts whose unsettled transfers are kept in memory; past this, those holding nothing are forgotten (read again from the store). */
const HELD_ACCOUNTS = 10_000

type Applied = Extract<WireMessage, { type: 'Applied' }>

/**
 * The Maid-Manager persona (SPEC §4): the close group of an account keeps its
 * record (mutations done, authorised app keys), checks every mutation in the
 * order SPEC §4 gives, forwards it to the Data-Managers of its target with
 * the group's authority, and charges one op only when they report success.
 *
 * Every member charges every success exactly once, whichever members the
 * client reached: on its own forward's quorum answer, or on `Applied` from Q
 * of the executing Data-Managers (they tell the members that had not
 * forwarded it). Charges are kept per message id, so no word counts twice.
 */
export class MaidManager {
  private readonly context: PersonaContext
  readonly accounts: Accounts
  /** Mutations forwarded and not yet settled, per account: they hold allowance. */
  private readonly inFlight = new Map<string, number>()
  /**
   * Transfers spent here and not settled, per account (hex) then message id (hex): they hold their
   * credits until charged, refused by agreement, or forgotten ({@link sweep}), even past a Timeout,
   * since the recipient's group may still execute them. Loaded from the store on first use.
   */
  private readonly held = new Map<string, Map<string, number>>()
  /** Account records are read-modify-written one mutation at a time per account. */
  private readonly accountQueue = new KeyedQueue()
  /** Mutations being forwarded, by account and message id: a retry that arrives meanwhile joins its first try. */
  private readonly running = new Map<string, Promise<Response>>()
  private readonly verdicts: QuorumTally
  private readonly refusals = new RefusalBudget()
  private readonly bodies = new ForwardedBodies()
  readonly handOver: AccountHandOver
  private readonly sweeper: ReturnType<typeof setInterval>
  private sweeping = false

  constructor (context: PersonaContext) {
    this.context = context
    this.accounts = new Accounts(context.store)
    this.handOver = new AccountHandOver({
      context,
      accounts: this.accounts,
      withAccount: async (account, work) => await this.withAccount(account, work),
      charged: (account, messageId) => { this.release(account, messageId) }
    })
    this.verdicts = new QuorumTally(quorumOf(context.params.groupSize), VERDICT_CAPACITY)
    this.sweeper = setInterval(() => { void this.sweep() }, SWEEP_EVERY)
    this.sweeper.unref()
  }

  stop (): void {
    clearInterval(this.sweeper)
    this.bodies.clear()
  }

  /**
   * Forgets the records of mutations that were never charged (refused, or never settled) once
   * an hour passed (`UNCHARGED_TTL`), each under its account's lock, so a late charge is never lost.
   * Returns how many it looked at.
   */
  async sweep (now = Date.now()): Promise<number> {
    if (this.sweeping) return 0
    this.sweeping = true
    try {
      let looked = 0
      for (;;) {
        const expired = await this.accounts.expired(now)
        for (const { account, messageId, entry } of expired) {
          await this.withAccount(account, async () => {
            await this.accounts.forgetExpired(account, messageId, entry)
            this.release(account, messageId)
          })
        }
        looked += expired.length
        if (expired.length === 0) return looked
      }
    } catch (err) {
      this.context.log.warn({ err: (err as Error).message }, 'could not forget expired message records')
      return 0
    } finally {
      this.sweeping = false
    }
  }

  register (dispatcher: Dispatcher): void {
    for (const type of ['PutIData', 'PutMData', 'MutateMDataEntries', 'SetMDataUserPermissions', 'DelMDataUserPermissions', 'ChangeMDataOwner', 'InsAuthKey', 'DelAuthKey', 'TransferCredit'] as const) {
      dispatcher.on(type, async (request, ctx) => await this.mutate(request, ctx))
    }
    dispatcher.on('GetAccountInfo', async (request, ctx) => {
      const record = await this.authorised(request.account, request.requester, ctx)
      return {
        type: 'GetAccountInfo',
        mutationsDone: record.mutationsDone,
        mutationsAvailable: availableCredit(record, this.context.params.accountAllowance),
        creditsReceived: creditsReceived(record),
        creditsSent: creditsSent(record)
      }
    })
    dispatcher.on('ListCredits', async (request, ctx) => {
      const record = await this.authorised(request.account, request.requester, ctx)
      if (!bytesEqual(request.requester, record.owner)) throw new SafeMeshError('AccessDenied', 'only the owner, acting itself, may list its credits')
      return { type: 'ListCredits', credits: await this.accounts.recentCredits(request.account, MAX_LISTED_CREDITS) }
    })
    dispatcher.on('GetPayment', async (message) => {
      this.assertManager(message.payee)
      const credit = await this.accounts.credit(message.payee, message.payer, message.messageId)
      if (credit == null) throw new SafeMeshError('NoSuchData', 'no such credit to that account')
      return { type: 'Payment', amount: credit.amount, ...(credit.memo != null ? { memo: credit.memo } : {}) }
    })
    dispatcher.on('ListAuthKeysAndVersion', async (request, ctx) => {
      const record = await this.authorised(request.account, request.requester, ctx)
      return { type: 'ListAuthKeysAndVersion', keys: record.authKeys, version: record.authKeysVersion }
    })
    dispatcher.on('GetAccount', async (message, ctx) => {
      if (!this.context.routing.isCloseGroupMember(message.account, ctx.from)) {
        throw new SafeMeshError('AccessDenied', 'account records are handed only to members of the account\'s group')
      }
      return await this.withAccount(message.account, async (): Promise<WireReply> => {
        const record = await this.accounts.get(message.account)
        return {
          type: 'Account',
          ...(record != null ? { record } : {}),
          charged: await this.accounts.chargedIds(message.account),
          sent: await this.accounts.sentTransfers(message.account),
          credits: await this.accounts.receivedCredits(message.account)
        }
      })
    })
    dispatcher.on('GetForwarded', async (message, ctx) => {
      const body = this.bodies.get(message.digest)
      if (body == null) throw new SafeMeshError('NoSuchData', 'no forwarded mutation with that digest here')
      if (!this.context.routing.isCloseGroupMember(body.executor, ctx.from)) {
        throw new SafeMeshError('AccessDenied', 'a forwarded mutation is given only to the members of the group that executes it')
      }
      return { type: 'Forwarded', mutation: body.bytes }
    })
    dispatcher.on('Applied', async (message, ctx) => {
      await this.applied(message, ctx)
      return { type: 'Ack' }
    })
  }

  /** The account, if the sender is its owner or an authorised app and is the requester. */
  private async authorised (account: XorName, requester: Uint8Array, ctx: RequestContext): Promise<AccountRecord> {
    this.assertManager(account)
    const record = await this.accounts.get(account)
    if (record == null) throw new SafeMeshError('NoSuchAccount', `no account ${xorNameToHex(account)}`)
    if (record.appOf != null) {
      throw new SafeMeshError('AccessDenied', `this key is an app key of account ${xorNameToHex(record.appOf)}; it acts only through that account`)
    }
    const sender = senderKey(ctx.from)
    if (!bytesEqual(sender, record.owner) && !record.authKeys.some(k => bytesEqual(k, sender))) {
      throw new SafeMeshError('AccessDenied', 'the sender is neither the account\'s owner nor one of its apps')
    }
    if (!bytesEqual(requester, sender)) throw new SafeMeshError('AccessDenied', 'the requester is not the sender')
    return record
  }

  private assertManager (account: XorName): void {
    if (!this.context.routing.isInCloseGroup(account)) {
      throw misroutedError('account')
    }
  }

  private async mutate (request: Mutation, ctx: HandlerContext): Promise<Response> {
    // The received bytes are the request's canonical encoding; hashed only once the sender is known.
    const digestOf = (): Uint8Array => sha3_256(ctx.body)
    if (isAccountOpening(request) && await this.accounts.get(request.account) == null) return await this.createAccount(request, ctx, digestOf)
    const key = xorNameToHex(request.account)
    let digest: Uint8Array = new Uint8Array(0)
    const step = await this.withAccount(request.account, async (): Promise<Step> => {
      const record = await this.authorised(request.account, request.requester, ctx)
      digest = digestOf()
      const seen = await this.accounts.message(request.account, request.messageId)
      const retry = seen != null && bytesEqual(seen.digest, digest)
      // A retry of a settled mutation gets its first outcome; it is neither run nor charged again.
      if (retry && seen.outcome != null) return { settled: decodeResponse(seen.outcome) }
      const running = this.running.get(runningKey(key, request.messageId))
      if (retry && running != null) return { joined: running }
      const inFlight = this.inFlight.get(key) ?? 0
      const held = await this.heldBy(request.account)
      const id = bytesToHex(request.messageId)
      let holding = 0
      for (const [other, amount] of held) if (other !== id) holding += amount
      if (accountBalance(record, this.context.params.accountAllowance) - inFlight - holding < costOf(request)) {
        throw new SafeMeshError('LowBalance', request.type === 'TransferCredit' ? 'the account has fewer credits left than this transfer moves' : 'the account has no mutations left')
      }
      if (seen != null && !retry) throw new SafeMeshError('InvalidOperation', 'this message id was already used')
      const wait = this.refusals.waitFor(key)
      if (!retry && wait > 0) {
        throw new SafeMeshError('InvalidOperation', `too many of this account's mutations were refused lately; try again in ${Math.ceil(wait / 1000)} s`)
      }
      this.check(request, record)
      const transfer = request.type === 'TransferCredit' ? request.amount : undefined
      if (!retry) await this.accounts.spend(request.account, request.messageId, digest, Date.now(), transfer)
      // Reserved under the lock, so concurrent mutations never overdraw the allowance.
      if (transfer != null) held.set(id, transfer)
      else this.inFlight.set(key, inFlight + 1)
      return { forward: record, running: this.start(key, request.messageId) }
    })
    if ('settled' in step) return replay(step.settled)
    if ('joined' in step) return await step.joined
    // Forwarded outside the account lock: many mutations of one account may be in flight at once,
    // each holding one op of allowance until it settles.
    try {
      return await this.settle(request, digest, step.running, async () => await this.forward(request, { body: ctx.body, digest }, step.forward, ctx.signal))
    } finally {
      // A transfer's hold outlives its forward: it goes when the transfer settles here.
      if (request.type !== 'TransferCredit') {
        const left = (this.inFlight.get(key) ?? 1) - 1
        if (left === 0) this.inFlight.delete(key)
        else this.inFlight.set(key, left)
      }
    }
  }

  /** The unsettled transfers of `account` held here, read from the store the first time. Called under the account's lock. */
  private async heldBy (account: XorName): Promise<Map<string, number>> {
    const key = xorNameToHex(account)
    let held = this.held.get(key)
    if (held == null) {
      held = await this.accounts.pendingTransfers(account)
      if (this.held.size >= HELD_ACCOUNTS) {
        for (const [other, holds] of this.held) if (holds.size === 0) this.held.delete(other)
      }
      this.held.set(key, held)
    }
    return held
  }

  /** A transfer settled here (charged, refused by agreement, or forgotten): it holds nothing any more. */
  private release (account: XorName, messageId: Uint8Array): void {
    this.held.get(xorNameToHex(account))?.delete(bytesToHex(messageId))
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
   * Settles a running mutation: a success is charged (once) and its reply
   * kept, a refusal the Data-Managers agreed on is kept, and a `Timeout` or
   * `NoQuorum` is left unsettled, so a retry asks the Data-Managers again
   * (they answer a request they already executed with its outcome).
   */
  private async settle (request: Mutation, digest: Uint8Array, running: Running, work: () => Promise<Response>): Promise<Response> {
    try {
      let reply: Response
      try {
        reply = await work()
      } catch (err) {
        if (isSafeMeshError(err) && !UNSETTLED.has(err.code)) {
          await this.withAccount(request.account, async () => { await this.keepRefusal(request, digest, err) })
        }
        throw err
      }
      await this.withAccount(request.account, async () => { await this.chargeOnce(chargeOf(request, digest), reply) })
      running.outcome.resolve(reply)
      return reply
    } catch (err) {
      running.outcome.reject(err)
      throw err
    } finally {
      this.running.delete(running.id)
    }
  }

  /** Keeps an agreed refusal for retries, unless the mutation was meanwhile charged on the Data-Managers' word. */
  private async keepRefusal (request: Mutation, digest: Uint8Array, err: SafeMeshError): Promise<void> {
    const seen = await this.accounts.message(request.account, request.messageId)
    if (seen?.charged === true) return
    this.refusals.refused(xorNameToHex(request.account))
    await this.accounts.settle(request.account, [{ messageId: request.messageId, record: { digest, outcome: encodeResponse(errorResponse(err)), ...amountOf(request) } }])
    this.release(request.account, request.messageId)
  }

  /**
   * Charges a successful mutation unless it is already charged here: the one
   * place where an account record changes after a mutation. Called under the
   * account's lock.
   */
  private async chargeOnce (charge: Charge, reply: Response): Promise<void> {
    const seen = await this.accounts.message(charge.account, charge.messageId)
    if (seen?.charged === true) return
    const amount = charge.amount != null ? { amount: charge.amount } : {}
    const message: MessageRecord = { digest: charge.digest, outcome: encodeResponse(reply), charged: true, ...amount }
    const record = await this.accounts.get(charge.account)
    this.release(charge.account, charge.messageId)
    let next: AccountRecord
    try {
      if (record != null && charge.opens != null) throw new SafeMeshError('AccountExists', 'the account exists')
      next = chargedRecord(record, charge)
    } catch (err) {
      // The group's record moved on meanwhile (a concurrent auth-key change): kept, not charged.
      this.context.log.warn({ account: xorNameToHex(charge.account), err: (err as Error).message }, 'a mutation the Data-Managers applied could not be charged')
      await this.accounts.settle(charge.account, [{ messageId: charge.messageId, record: { digest: charge.digest, outcome: encodeResponse(reply), ...amount } }])
      return
    }
    await this.accounts.settle(charge.account, [{ messageId: charge.messageId, record: message }], next)
  }

  /**
   * A Data-Manager's word that a mutation of an account this node manages was
   * applied: charged once Q members of the executing group said so.
   */
  private async applied (message: Applied, ctx: HandlerContext): Promise<void> {
    const charge = message.charge
    this.assertManager(charge.account)
    if (!this.context.routing.isCloseGroupMember(charge.executor, ctx.from)) {
      throw new SafeMeshError('AccessDenied', 'only the Data-Managers that executed a mutation report it')
    }
    if (charge.opens != null && !xorNameEquals(accountNameOf(charge.opens), charge.account)) {
      throw new SafeMeshError('InvalidRequest', 'an account is opened by its own owner')
    }
    assertChargeShape(charge)
    // Q executors must give the very same charge, every field of it: the received bytes are its canonical encoding.
    const item = `${xorNameToHex(charge.account)}/${bytesToHex(charge.messageId)}/${bytesToHex(sha3_256(ctx.body))}`
    if (!this.verdicts.vote(item, ctx.from.toString())) return
    await this.withAccount(charge.account, async () => { await this.chargeOnce(charge, { type: charge.type }) })
  }

  /**
   * Executes an auth-key change as a member of the key's own group (its
   * account name's Maid-Managers), on the authorising account's group
   * authority: an authorised key is bound to that account for good, so it
   * never opens or acts through an account of its own, even once revoked. A
   * key that already owns an account, or is another account's app, is
   * refused. Revocation leaves the binding in place.
   */
  async bindAppKey (change: RequestOf<'InsAuthKey'> | RequestOf<'DelAuthKey'>): Promise<Response> {
    const name = accountNameOf(change.key)
    return await this.withAccount(name, async (): Promise<Response> => {
      if (change.type === 'DelAuthKey') return { type: 'DelAuthKey' }
      const existing = await this.accounts.get(name)
      if (existing == null) {
        await this.accounts.put(name, appKeyBinding(change.key, change.account))
        return { type: 'InsAuthKey' }
      }
      if (existing.appOf != null && xorNameEquals(existing.appOf, change.account)) return { type: 'InsAuthKey' }
      throw new SafeMeshError('InvalidOperation', existing.appOf != null ? 'that key is an app key of another account' : 'that key owns an account of its own')
    })
  }

  /**
   * Executes a TransferCredit as a member of the recipient's group (`to`'s Maid-Managers), on the
   * paying account's group authority: credits it once per (payer account, message id), so a
   * re-forwarded or retried transfer gets the same success and is never credited twice.
   */
  async receiveCredit (transfer: RequestOf<'TransferCredit'>): Promise<Response> {
    return await this.withAccount(transfer.to, async (): Promise<Response> => {
      const kept = await this.accounts.credit(transfer.to, transfer.account, transfer.messageId)
      if (kept != null) {
        const same = kept.amount === transfer.amount && (kept.memo == null ? transfer.memo == null : transfer.memo != null && xorNameEquals(kept.memo, transfer.memo))
        if (same) return { type: 'TransferCredit' }
        throw new SafeMeshError('InvalidOperation', 'this message id already paid this account another credit')
      }
      if (transfer.amount < 1) throw new SafeMeshError('InvalidRequest', 'a transfer moves at least one credit')
      const record = await this.accounts.get(transfer.to)
      // An app key's binding is no account: it never holds credit.
      if (record == null || record.appOf != null) throw new SafeMeshError('NoSuchAccount', `no account ${xorNameToHex(transfer.to)}`)
      const credit = { payer: transfer.account, messageId: transfer.messageId, amount: transfer.amount, ...(transfer.memo != null ? { memo: transfer.memo } : {}) }
      await this.accounts.receive(transfer.to, [credit], creditedRecord(record, transfer.amount))
      return { type: 'TransferCredit' }
    })
  }

  /**
   * SPEC §4's request checks, after allowance and message id, and every check that needs no data
   * (limits, the shape of a new MutableData): what cannot succeed is not forwarded (docs/protocol.md).
   */
  private check (request: Mutation, record: AccountRecord): void {
    // Refused before forwarding whatever the data holds: its tag alone forbids it.
    assertAppendOnly(request)
    switch (request.type) {
      case 'PutIData':
        if (request.size > this.context.params.maxImmutableDataSize) throw new SafeMeshError('DataTooLarge', `ImmutableData is at most ${this.context.params.maxImmutableDataSize} bytes`)
        break
      case 'PutMData':
        if (request.data.owners.length !== 1 || !bytesEqual(request.data.owners[0] as Uint8Array, record.owner)) {
          throw new SafeMeshError('InvalidOwners', 'new MutableData must be owned by the account\'s owner, alone')
        }
        validateNewMutableData(request.data, this.context.params)
        assertAccountNamePut(request.data)
        assertPublicIdPut(request.data)
        if (isAccountOpening(request)) throw new SafeMeshError('AccountExists', 'this account already has its session packet')
        break
      case 'MutateMDataEntries':
        assertBatchCanFit(request.actions, this.context.params)
        break
      case 'ChangeMDataOwner':
        if (!bytesEqual(request.requester, record.owner)) throw new SafeMeshError('AccessDenied', 'only the owner, acting itself, may do this')
        break
      case 'InsAuthKey':
      case 'DelAuthKey':
        if (!bytesEqual(request.requester, record.owner)) throw new SafeMeshError('AccessDenied', 'only the owner, acting itself, may do this')
        // Refused here as the change itself would be, before the key's group is asked.
        changeAuthKeys(record, request)
        break
      case 'TransferCredit':
        assertTransfer(request, record.owner)
        break
    }
  }

  /**
   * Account creation (SPEC §4): the PutMData of the session packet, sent by
   * the new owner to its own Maid-Managers, opens the account once the
   * Data-Managers have stored the packet. It holds the account's lock until
   * it settles, so concurrent openings with other packets are refused
   * `AccountExists` instead of each storing a packet (only one is charged).
   */
  private async createAccount (request: RequestOf<'PutMData'>, ctx: HandlerContext, digestOf: () => Uint8Array): Promise<Response> {
    this.assertManager(request.account)
    const owner = senderKey(ctx.from)
    if (!bytesEqual(request.requester, owner)) throw new SafeMeshError('AccessDenied', 'the requester is not the sender')
    if (!xorNameEquals(accountNameOf(owner), request.account)) throw new SafeMeshError('AccessDenied', 'an account is opened by its own owner')
    if (request.data.owners.length !== 1 || !bytesEqual(request.data.owners[0] as Uint8Array, owner)) {
      throw new SafeMeshError('InvalidOwners', 'the session packet must be owned by the new account\'s owner, alone')
    }
    validateNewMutableData(request.data, this.context.params)
    const digest = digestOf()
    const record: AccountRecord = { owner, mutationsDone: 0, authKeys: [], authKeysVersion: 0 }
    return await this.withAccount(request.account, async () => {
      const seen = await this.accounts.message(request.account, request.messageId)
      const retry = seen != null && bytesEqual(seen.digest, digest)
      if (retry && seen.outcome != null) return replay(decodeResponse(seen.outcome))
      if (seen != null && !retry) throw new SafeMeshError('InvalidOperation', 'this message id was already used')
      const existing = await this.accounts.get(request.account)
      if (existing != null) {
        if (existing.appOf != null) throw new SafeMeshError('AccessDenied', `this key is an app key of account ${xorNameToHex(existing.appOf)}; it never opens an account`)
        throw new SafeMeshError('AccountExists', 'the account exists')
      }
      if (!retry) await this.accounts.spend(request.account, request.messageId, digest)
      let reply: Response
      try {
        reply = await this.forward(request, { body: ctx.body, digest }, record)
      } catch (err) {
        const refusal = err instanceof SafeMeshError && err.code === 'DataExists' ? new SafeMeshError('AccountExists', 'that session packet is taken') : err
        if (isSafeMeshError(refusal) && !UNSETTLED.has(refusal.code)) await this.keepRefusal(request, digest, refusal)
        throw refusal
      }
      await this.chargeOnce(chargeOf(request, digest), reply)
      return reply
    })
  }

  /**
   * Passes the mutation (`encoded`: its bytes as the client sent them, and their digest) to the group
   * that executes it, by digest, and returns the verdict a quorum of them gave. Its bytes are
   * inside when short, else kept here for the Data-Managers to fetch. `signal`: the client's
   * stream closed, so nobody waits for the verdict; a retry asks again.
   */
  private async forward (request: Mutation, encoded: { body: Uint8Array, digest: Uint8Array }, record: AccountRecord, signal?: AbortSignal): Promise<Response> {
    const forward = forwardOf(request, record.owner, encoded.body, encoded.digest)
    const group = this.context.routing.closeGroup(forward.executor)
    const message = { type: 'Forward' as const, ...forward }
    const options = { timeout: FORWARD_TIMEOUT, ...(signal != null ? { signal } : {}) }
    const inside = forward.mutation != null
    if (!inside) this.bodies.hold(forward.digest, encoded.body, forward.executor)
    try {
      const reply = await askForQuorum(group, async (peer) => await this.context.send(peer, message, options), quorumOf(this.context.params.groupSize))
      if (reply.type !== request.type) throw new SafeMeshError('InvalidOperation', `the Data-Managers answered ${reply.type} to ${request.type}`)
      return reply
    } finally {
      if (!inside) this.bodies.release(forward.digest)
    }
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

/** The amount a transfer's message record keeps. */
function amountOf (request: Mutation): { amount?: number } {
  return request.type === 'TransferCredit' ? { amount: request.amount } : {}
}

/** A kept outcome, given again: its reply, or its refusal thrown. */
function replay (outcome: Response): Response {
  if (isErrorResponse(outcome)) throw responseError(outcome)
  return outcome
}
