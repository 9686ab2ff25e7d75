import {
  accountNameOf, agreedState, bytesToHex, encodeWith, accountRecordSchema, quorumOf, xorNameEquals,
  type AccountRecord, type XorName
} from '@safemesh/protocol'
import type { Accounts, MessageRecord } from './accounts.js'
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
}

/**
 * Quorum-verified hand-over of account records (SPEC §4: the replicas of an
 * account agree and stay so through churn). A node takes an account's keys
 * only when Q other Maid-Managers vouch for the very same ones at a later
 * auth-key version, and counts a charge only when Q of them list its message
 * id as charged. Charges are a set of message ids, so adopting them never
 * counts one twice, however the hand-over and the Data-Managers' verdicts
 * interleave; `mutationsDone` is their number.
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
    const votes = new Map<string, number>()
    for (const { reply } of answers) {
      for (const id of new Set(reply.charged.map(bytesToHex))) votes.set(id, (votes.get(id) ?? 0) + 1)
    }
    const vouched = [...votes].filter(([, count]) => count >= quorum).map(([id]) => id)
    return await this.options.withAccount(account, async (): Promise<HandOverResult> => {
      const ours = await accounts.get(account)
      const charged = new Set((await accounts.chargedIds(account)).map(bytesToHex))
      const added = vouched.filter(id => !charged.has(id))
      const takeKeys = keys != null && (ours == null || keys.authKeysVersion > ours.authKeysVersion || (keys.appOf != null && ours.appOf == null))
      const base = takeKeys ? keys : ours
      if (base == null) return keys === undefined && answers.length > 0 && answers.every(a => a.reply.record == null) ? 'current' : 'no-quorum'
      if (!takeKeys && added.length === 0) return 'current'
      const next: AccountRecord = { ...base, mutationsDone: (ours?.mutationsDone ?? 0) + added.length }
      const adopted: MessageRecord = { digest: UNKNOWN_DIGEST, charged: true }
      await accounts.settle(account, added.map(id => ({ messageId: new Uint8Array(Buffer.from(id, 'hex')), record: adopted })), next)
      context.log.info({ account: bytesToHex(account), keys: takeKeys, charges: added.length }, 'account adopted on a quorum\'s word')
      return 'adopted'
    })
  }
}

/** An account's identity and keys, without its count: what must be identical for Q members to agree. */
function keysOf (record: AccountRecord | undefined): string {
  if (record == null) return '-'
  return bytesToHex(encodeWith(accountRecordSchema, { ...record, mutationsDone: 0 }))
}
