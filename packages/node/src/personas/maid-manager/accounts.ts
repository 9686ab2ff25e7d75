import {
  accountRecordSchema, bytes, bytesToHex, decodeWith, encodeWith, object, optional, xorNameToHex,
  type AccountRecord, type Infer, type XorName
} from '@safemesh/protocol'
import type { Store } from '../../store/store.js'

/**
 * What a Maid-Manager remembers of a message id it has seen: the digest of
 * the request that spent it and, once the mutation has settled for good, its
 * outcome (an encoded Response, the Error variant included). A retry of the
 * very same request gets that outcome again instead of a second execution.
 */
export const messageRecordSchema = object({
  digest: bytes({ length: 32 }),
  outcome: optional(bytes())
})
export type MessageRecord = Infer<typeof messageRecordSchema>

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

  /** Marks `messageId` spent by the request with `digest`. */
  async spend (account: XorName, messageId: Uint8Array, digest: Uint8Array): Promise<void> {
    await this.store.put('message', messageKey(account, messageId), encodeWith(messageRecordSchema, { digest }))
  }

  /**
   * Settles a mutation in one atomic write: its outcome kept under its
   * message id and, when it is charged, the account record with it.
   */
  async settle (account: XorName, messageId: Uint8Array, message: MessageRecord, record?: AccountRecord): Promise<void> {
    await this.store.putAll([
      { section: 'message', key: messageKey(account, messageId), value: encodeWith(messageRecordSchema, message) },
      ...(record == null ? [] : [{ section: 'account' as const, key: xorNameToHex(account), value: encodeWith(accountRecordSchema, record) }])
    ])
  }
}

function messageKey (account: XorName, messageId: Uint8Array): string {
  return `${xorNameToHex(account)}/${bytesToHex(messageId)}`
}
