import {
  MAX_HANDED_CREDITS, accountRecordSchema, boolean, bytes, bytesToHex, decodeWith, encodeWith, object, optional, uint, xorNameSchema, xorNameToHex,
  type AccountRecord, type Infer, type ReceivedCredit, type XorName
} from '@safemesh/protocol'
import type { Store } from '../../store/store.js'

/**
 * What a Maid-Manager remembers of a message id it has seen: the digest of
 * the request that spent it and, once the mutation has settled for good, its
 * outcome (an encoded Response, the Error variant included). A retry of the
 * very same request gets that outcome again instead of a second execution.
 * `charged`: the mutation succeeded and its op is counted in the record, so
 * no second word of its success (a retry, a Data-Manager's verdict, a
 * hand-over) counts it again. `amount`: the message is a TransferCredit of that many credits
 * (set when it is spent, so an unsettled one keeps holding them).
 */
const messageRecordSchema = object({
  digest: bytes({ length: 32 }),
  outcome: optional(bytes()),
  charged: optional(boolean()),
  amount: optional(uint())
})
export type MessageRecord = Infer<typeof messageRecordSchema>

/**
 * How long the record of a mutation that was not charged (refused, or never settled) is kept:
 * long past any client's retries; charged ones stay (the allowance bounds them).
 */
export const UNCHARGED_TTL = 60 * 60_000
/** Expired records looked at in one sweep at most. */
const SWEEP_BATCH = 1000

/** A received credit as kept under (recipient, payer, message id). */
const creditRecordSchema = object({ amount: uint(), memo: optional(xorNameSchema) })

/** A transfer this account was charged: its message id and amount. */
export interface SentTransfer {
  messageId: Uint8Array
  amount: number
}

/**
 * The Maid-Manager's account records in the node's store, and the message ids
 * each account has spent (so a replayed mutation is never executed twice, SPEC §4).
 */
export class Accounts {
  private readonly store: Store

  constructor (store: Store) {
    this.store = store
  }

  async get (account: XorName): Promise<AccountRecord | undefined> {
    const bytes = await this.store.get('account', xorNameToHex(account))
    return bytes == null ? undefined : decodeWith(accountRecordSchema, bytes)
  }

  async put (account: XorName, record: AccountRecord): Promise<void> {
    await this.store.put('account', xorNameToHex(account), encodeWith(accountRecordSchema, record))
  }

  /** Every account this node keeps. */
  async * names (): AsyncGenerator<string> {
    yield * this.store.keys('account')
  }

  /** What this node knows of `messageId` spent by `account`. */
  async message (account: XorName, messageId: Uint8Array): Promise<MessageRecord | undefined> {
    const bytes = await this.store.get('message', messageKey(account, messageId))
    // Records written before outcomes were kept are empty: spent, with nothing to replay.
    if (bytes == null) return undefined
    return bytes.byteLength === 0 ? { digest: new Uint8Array(32) } : decodeWith(messageRecordSchema, bytes)
  }

  /** The message ids of every op (not a transfer) this node charged to `account`, in id order. */
  async chargedIds (account: XorName): Promise<Uint8Array[]> {
    const ids: Uint8Array[] = []
    for await (const { messageId, record } of this.messages(account)) {
      if (record.charged === true && record.amount == null) ids.push(messageId)
    }
    return ids
  }

  /** The transfers this node charged to `account`, in id order, up to `limit`. */
  async sentTransfers (account: XorName, limit = MAX_HANDED_CREDITS): Promise<SentTransfer[]> {
    const sent: SentTransfer[] = []
    for await (const { messageId, record } of this.messages(account)) {
      if (sent.length >= limit) break
      if (record.charged === true && record.amount != null) sent.push({ messageId, amount: record.amount })
    }
    return sent
  }

  /** The transfers of `account` spent here and not settled: the credits they hold, by message id (hex). */
  async pendingTransfers (account: XorName): Promise<Map<string, number>> {
    const pending = new Map<string, number>()
    for await (const { messageId, record } of this.messages(account)) {
      if (record.amount != null && record.charged !== true && record.outcome == null) pending.set(bytesToHex(messageId), record.amount)
    }
    return pending
  }

  private async * messages (account: XorName): AsyncGenerator<{ messageId: Uint8Array, record: MessageRecord }> {
    const prefix = `${xorNameToHex(account)}/`
    for await (const [key, value] of this.store.entries('message', prefix)) {
      if (value.byteLength === 0) continue
      yield { messageId: new Uint8Array(Buffer.from(key.slice(prefix.length), 'hex')), record: decodeWith(messageRecordSchema, value) }
    }
  }

  /**
   * Marks `messageId` spent by the request with `digest` (a transfer of `amount`, when given),
   * until it is charged or {@link UNCHARGED_TTL} passes.
   */
  async spend (account: XorName, messageId: Uint8Array, digest: Uint8Array, now = Date.now(), amount?: number): Promise<void> {
    await this.store.putAll([
      { section: 'message', key: messageKey(account, messageId), value: encodeWith(messageRecordSchema, { digest, ...(amount != null ? { amount } : {}) }) },
      expiryEntry(account, messageId, now)
    ])
  }

  /** The credit `to` received from `payer` under its message id, if this node recorded it. */
  async credit (to: XorName, payer: XorName, messageId: Uint8Array): Promise<Omit<ReceivedCredit, 'payer' | 'messageId'> | undefined> {
    const bytes = await this.store.get('credit', creditKey(to, payer, messageId))
    return bytes == null ? undefined : decodeWith(creditRecordSchema, bytes)
  }

  /**
   * Records credits `to` received and its record with them, in one atomic write. `now` orders
   * them for {@link recentCredits}.
   */
  async receive (to: XorName, credits: readonly ReceivedCredit[], record: AccountRecord, now = Date.now()): Promise<void> {
    await this.store.putAll([
      ...creditEntries(to, credits, now),
      { section: 'account', key: xorNameToHex(to), value: encodeWith(accountRecordSchema, record) }
    ])
  }

  /** The latest `limit` credits `to` received, in the order this node recorded them, oldest first. */
  async recentCredits (to: XorName, limit: number): Promise<ReceivedCredit[]> {
    const prefix = `${xorNameToHex(to)}/o/`
    const latest: string[] = []
    for await (const [key] of this.store.entries('credit', prefix)) {
      latest.push(key)
      if (latest.length > limit) latest.shift()
    }
    const credits: ReceivedCredit[] = []
    for (const key of latest) {
      const [, payerHex, idHex] = key.slice(prefix.length).split('/')
      const payer = new Uint8Array(Buffer.from(payerHex as string, 'hex'))
      const messageId = new Uint8Array(Buffer.from(idHex as string, 'hex'))
      const kept = await this.credit(to, payer, messageId)
      if (kept != null) credits.push({ payer, messageId, ...kept })
    }
    return credits
  }

  /** Credits `to` received, in (payer, message id) order, up to `limit`: what a hand-over lists. */
  async receivedCredits (to: XorName, limit = MAX_HANDED_CREDITS): Promise<ReceivedCredit[]> {
    const prefix = `${xorNameToHex(to)}/p/`
    const credits: ReceivedCredit[] = []
    for await (const [key, value] of this.store.entries('credit', prefix)) {
      if (credits.length >= limit) break
      const [payerHex, idHex] = key.slice(prefix.length).split('/')
      credits.push({ payer: new Uint8Array(Buffer.from(payerHex as string, 'hex')), messageId: new Uint8Array(Buffer.from(idHex as string, 'hex')), ...decodeWith(creditRecordSchema, value) })
    }
    return credits
  }

  /** Records of uncharged mutations spent before `now - UNCHARGED_TTL`, up to a batch: [account, message id]. */
  async expired (now = Date.now()): Promise<Array<{ account: XorName, messageId: Uint8Array, entry: string }>> {
    const found: Array<{ account: XorName, messageId: Uint8Array, entry: string }> = []
    for await (const entry of this.store.keys('message-expiry', expiryTime(now - UNCHARGED_TTL))) {
      const [, account, id] = entry.split('/')
      found.push({ account: Buffer.from(account as string, 'hex'), messageId: Buffer.from(id as string, 'hex'), entry })
      if (found.length >= SWEEP_BATCH) break
    }
    return found
  }

  /** Forgets an expired record (`entry`, from {@link expired}) unless its mutation was charged meanwhile. Run under the account's lock. */
  async forgetExpired (account: XorName, messageId: Uint8Array, entry: string): Promise<void> {
    const record = await this.message(account, messageId)
    const charged = record?.charged === true
    await this.store.deleteAll([
      ...(record != null && !charged ? [{ section: 'message' as const, key: messageKey(account, messageId) }] : []),
      { section: 'message-expiry', key: entry }
    ])
  }

  /**
   * Settles mutations in one atomic write: each outcome kept under its
   * message id and, when they are charged, the account record with them.
   */
  async settle (account: XorName, messages: ReadonlyArray<{ messageId: Uint8Array, record: MessageRecord }>, record?: AccountRecord, credits: readonly ReceivedCredit[] = []): Promise<void> {
    const now = Date.now()
    await this.store.putAll([
      ...messages.map(m => ({ section: 'message' as const, key: messageKey(account, m.messageId), value: encodeWith(messageRecordSchema, m.record) })),
      // Uncharged outcomes expire (kept for retries, not for good): one entry per write, the earliest one forgets the record.
      ...messages.filter(m => m.record.charged !== true).map(m => expiryEntry(account, m.messageId, now)),
      ...creditEntries(account, credits, now),
      ...(record == null ? [] : [{ section: 'account' as const, key: xorNameToHex(account), value: encodeWith(accountRecordSchema, record) }])
    ])
  }

  /** The message ids (hex) of everything this node charged to `account`: ops and transfers. */
  async chargedSet (account: XorName): Promise<Set<string>> {
    const ids = new Set<string>()
    for await (const { messageId, record } of this.messages(account)) if (record.charged === true) ids.add(bytesToHex(messageId))
    return ids
  }
}

/** Sorts by time: a fixed-width decimal of milliseconds. */
function expiryTime (ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(15, '0')
}

function expiryEntry (account: XorName, messageId: Uint8Array, now: number): { section: 'message-expiry', key: string, value: Uint8Array } {
  return { section: 'message-expiry', key: `${expiryTime(now)}/${xorNameToHex(account)}/${bytesToHex(messageId)}`, value: new Uint8Array(0) }
}

function messageKey (account: XorName, messageId: Uint8Array): string {
  return `${xorNameToHex(account)}/${bytesToHex(messageId)}`
}

/** A credit's record, and its place in the order credits were received here (`/o/` keys, by time). */
function creditEntries (to: XorName, credits: readonly ReceivedCredit[], now: number): Array<{ section: 'credit', key: string, value: Uint8Array }> {
  return credits.flatMap(c => [
    { section: 'credit' as const, key: creditKey(to, c.payer, c.messageId), value: encodeWith(creditRecordSchema, { amount: c.amount, ...(c.memo != null ? { memo: c.memo } : {}) }) },
    { section: 'credit' as const, key: `${xorNameToHex(to)}/o/${expiryTime(now)}/${xorNameToHex(c.payer)}/${bytesToHex(c.messageId)}`, value: new Uint8Array(0) }
  ])
}

function creditKey (to: XorName, payer: XorName, messageId: Uint8Array): string {
  return `${xorNameToHex(to)}/p/${xorNameToHex(payer)}/${bytesToHex(messageId)}`
}
