import {
  accountRecordSchema, boolean, bytes, bytesToHex, decodeWith, encodeWith, object, optional, xorNameToHex,
  type AccountRecord, type Infer, type XorName
} from '@safemesh/protocol'
import type { Store } from '../../store/store.js'

/**
 * What a Maid-Manager remembers of a message id it has seen: the digest of
 * the request that spent it and, once the mutation has settled for good, its
 * outcome (an encoded Response, the Error variant included). A retry of the
 * very same request gets that outcome again instead of a second execution.
 * `charged`: the mutation succeeded and its op is counted in the record, so
 * no second word of its success (a retry, a Data-Manager's verdict, a
 * hand-over) counts it again.
 */
const messageRecordSchema = object({
  digest: bytes({ length: 32 }),
  outcome: optional(bytes()),
  charged: optional(boolean())
})
export type MessageRecord = Infer<typeof messageRecordSchema>

/**
 * How long the record of a mutation that was not charged (refused, or never settled) is kept:
 * long past any client's retries; charged ones stay (the allowance bounds them).
 */
export const UNCHARGED_TTL = 60 * 60_000
/** Expired records looked at in one sweep at most. */
const SWEEP_BATCH = 1000

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

  /** The message ids of every mutation this node charged to `account`, in id order. */
  async chargedIds (account: XorName): Promise<Uint8Array[]> {
    const prefix = `${xorNameToHex(account)}/`
    const ids: Uint8Array[] = []
    for await (const [key, value] of this.store.entries('message', prefix)) {
      if (value.byteLength === 0 || decodeWith(messageRecordSchema, value).charged !== true) continue
      ids.push(new Uint8Array(Buffer.from(key.slice(prefix.length), 'hex')))
    }
    return ids
  }

  /** Marks `messageId` spent by the request with `digest`, until it is charged or {@link UNCHARGED_TTL} passes. */
  async spend (account: XorName, messageId: Uint8Array, digest: Uint8Array, now = Date.now()): Promise<void> {
    await this.store.putAll([
      { section: 'message', key: messageKey(account, messageId), value: encodeWith(messageRecordSchema, { digest }) },
      expiryEntry(account, messageId, now)
    ])
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
  async settle (account: XorName, messages: ReadonlyArray<{ messageId: Uint8Array, record: MessageRecord }>, record?: AccountRecord): Promise<void> {
    const now = Date.now()
    await this.store.putAll([
      ...messages.map(m => ({ section: 'message' as const, key: messageKey(account, m.messageId), value: encodeWith(messageRecordSchema, m.record) })),
      // Uncharged outcomes expire (kept for retries, not for good): one entry per write, the earliest one forgets the record.
      ...messages.filter(m => m.record.charged !== true).map(m => expiryEntry(account, m.messageId, now)),
      ...(record == null ? [] : [{ section: 'account' as const, key: xorNameToHex(account), value: encodeWith(accountRecordSchema, record) }])
    ])
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
