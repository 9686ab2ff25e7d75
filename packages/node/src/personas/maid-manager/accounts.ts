import { accountRecordSchema, bytesToHex, decodeWith, encodeWith, xorNameToHex, type AccountRecord, type XorName } from '@safemesh/protocol'
import type { Store } from '../../store/store.js'

/**
 * The Maid-Manager's account records in the node's store, and the message ids
 * each account has spent (so a replayed mutation is refused, SPEC §4).
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

  /** Marks a message id spent; false when it already was. */
  async spend (account: XorName, messageId: Uint8Array): Promise<boolean> {
    const key = `${xorNameToHex(account)}/${bytesToHex(messageId)}`
    if (await this.store.has('message', key)) return false
    await this.store.put('message', key, new Uint8Array(0))
    return true
  }
}
