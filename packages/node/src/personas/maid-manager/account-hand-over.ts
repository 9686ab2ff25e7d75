import {
  accountNameOf, agreedState, bytesToHex, creditsReceived, creditsSent, encodeWith, accountRecordSchema, quorumOf, withCredits, xorNameEquals, xorNameToHex,
  type AccountRecord, type ReceivedCredit, type XorName
} from '@safemesh/protocol'
import type { Accounts, MessageRecord, SentTransfer } from './accounts.js'
import { askUntil } from '@safemesh/net'
import type { PersonaContext } from '../context.js'
import type { HandOverResult } from '../data-manager/replica-hand-over.js'

/** How long one member may take to say what it holds. */
const ASK_TIMEOUT = 10_000
/** Charges adopted from the group keep no request digest: this stands in for it. */
const UNKNOWN_DIGEST = new Uint8Array(32)

export interface AccountHandOverOptions {
  context: PersonaContext
  accounts: Accounts
  /** Runs `work` under the account's lock, in order with the Maid-Manager's own changes. */
  withAccount: <T>(account: XorName, work: () => Promise<T>) => Promise<T>
  /** A transfer of `account` was adopted as charged: it holds nothing any more. */
  charged?: (account: XorName, messageId: Uint8Array) => void
}

/**
 * Quorum-verified hand-over of account records (SPEC §4: the replicas of an
 * account agree and stay so through churn). A node takes an account's keys
 * only when Q other Maid-Managers vouch for the very same ones at a later
 * auth-key version, and counts a charge only when Q of them list its message
 * id as charged (a transfer's with the very same amount), and a received
 * credit only when Q of them list the very same credit. Charges and credits
 * are sets keyed by message id, so adopting them never counts one twice,
 * however the hand-over, the Data-Managers' verdicts and the transfers
 * interleave; `mutationsDone` is the number of ops, `creditsSent` and
 * `creditsReceived` the sums of the amounts.
 */
export class AccountHandOver {
  private readonly options: AccountHandOverOptions
  private readonly running = new Map<string, Promise<HandOverResult>>()

  constructor (options: AccountHandOverOptions) {
    this.options = options
  }

  async verify (account: XorName): Promise<HandOverResult> {
    const key = bytesToHex(account)
    const current = this.running.get(key)
    if (current != null) return await current
    const run = this.run(account).finally(() => { this.running.delete(key) })
    this.running.set(key, run)
    return await run
  }

  private async run (account: XorName): Promise<HandOverResult> {
    const { context, accounts } = this.options
    const quorum = quorumOf(context.params.groupSize)
    const others = context.routing.closeGroup(account).filter(p => !p.equals(context.self))
    // Every member's list of charges counts, so all are asked; a silent one costs its timeout.
    const answers = (await askUntil(others, async (peer) => {
      const reply = await context.send(peer, { type: 'GetAccount', account }, { timeout: ASK_TIMEOUT })
      if (reply.type !== 'Account') return undefined
      if (reply.record != null && !xorNameEquals(accountNameOf(reply.record.owner), account)) return undefined
      return reply
    }, so => so.length === others.length)).map(a => ({ voter: a.peer.toString(), reply: a.answer }))
    if (answers.length < quorum) return 'no-quorum'
    const keys = agreedState(answers.map(a => ({ voter: a.voter, state: a.reply.record })), keysOf, quorum)
    const vouchedOps = vouched(answers.map(a => a.reply.charged.map(id => ({ key: bytesToHex(id), item: id }))), quorum)
    const vouchedSent = vouched(answers.map(a => (a.reply.sent ?? []).map(t => ({ key: `${bytesToHex(t.messageId)}:${t.amount}`, item: t }))), quorum)
    const vouchedCredits = vouched(answers.map(a => (a.reply.credits ?? []).map(c => ({ key: creditItemKey(c), item: c }))), quorum)
    return await this.options.withAccount(account, async (): Promise<HandOverResult> => {
      const ours = await accounts.get(account)
      const charged = await accounts.chargedSet(account)
      // A message id counts once, whether as an op or a transfer: the first word vouched for it here.
      const addedOps = vouchedOps.filter(id => !charged.has(bytesToHex(id)))
      for (const id of addedOps) charged.add(bytesToHex(id))
      const addedSent: SentTransfer[] = []
      for (const t of vouchedSent) {
        if (charged.has(bytesToHex(t.messageId))) continue
        charged.add(bytesToHex(t.messageId))
        addedSent.push(t)
      }
      const addedCredits: ReceivedCredit[] = []
      for (const c of vouchedCredits) {
        if (await accounts.credit(account, c.payer, c.messageId) == null) addedCredits.push(c)
      }
      const takeKeys = keys != null && (ours == null || keys.authKeysVersion > ours.authKeysVersion || (keys.appOf != null && ours.appOf == null))
      const base = takeKeys ? keys : ours
      if (base == null) return keys === undefined && answers.length > 0 && answers.every(a => a.reply.record == null) ? 'current' : 'no-quorum'
      if (!takeKeys && addedOps.length === 0 && addedSent.length === 0 && addedCredits.length === 0) return 'current'
      const next = withCredits(
        { ...base, mutationsDone: (ours?.mutationsDone ?? 0) + addedOps.length },
        (ours != null ? creditsReceived(ours) : 0) + sum(addedCredits),
        (ours != null ? creditsSent(ours) : 0) + sum(addedSent)
      )
      const adopted: MessageRecord = { digest: UNKNOWN_DIGEST, charged: true }
      await accounts.settle(account, [
        ...addedOps.map(messageId => ({ messageId, record: adopted })),
        ...addedSent.map(t => ({ messageId: t.messageId, record: { ...adopted, amount: t.amount } }))
      ], next, addedCredits)
      for (const t of addedSent) this.options.charged?.(account, t.messageId)
      context.log.info({ account: bytesToHex(account), keys: takeKeys, charges: addedOps.length, sent: addedSent.length, credits: addedCredits.length }, 'account adopted on a quorum\'s word')
      return 'adopted'
    })
  }
}

/** The items Q members listed, each identical in every field its key covers; a member's repeats count once. */
function vouched<T> (lists: ReadonlyArray<ReadonlyArray<{ key: string, item: T }>>, quorum: number): T[] {
  const votes = new Map<string, { count: number, item: T }>()
  for (const list of lists) {
    const seen = new Set<string>()
    for (const { key, item } of list) {
      if (seen.has(key)) continue
      seen.add(key)
      const entry = votes.get(key) ?? { count: 0, item }
      entry.count++
      votes.set(key, entry)
    }
  }
  return [...votes.values()].filter(v => v.count >= quorum).map(v => v.item)
}

/** A received credit as a whole: payer, message id, amount and memo must all agree. */
function creditItemKey (credit: ReceivedCredit): string {
  return `${xorNameToHex(credit.payer)}/${bytesToHex(credit.messageId)}:${credit.amount}:${credit.memo != null ? xorNameToHex(credit.memo) : '-'}`
}

function sum (items: ReadonlyArray<{ amount: number }>): number {
  return items.reduce((total, item) => total + item.amount, 0)
}

/** An account's identity and keys, without its counts: what must be identical for Q members to agree. */
function keysOf (record: AccountRecord | undefined): string {
  if (record == null) return '-'
  return bytesToHex(encodeWith(accountRecordSchema, withCredits({ ...record, mutationsDone: 0 }, 0, 0)))
}
