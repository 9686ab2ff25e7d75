/**
 * Sharing between accounts, as one object (`client.sharing()`): who this account is to others
 * (`id`), what it shares (`share`, `revoke`, `setExpiry`, `cancelLink`) and what was shared with it
 * (`inbox`; read through `client.fs` at `share:<id>/…`). docs/protocol.md, "Sharing".
 *
 * ```ts
 * const { id } = await doctor.sharing().id()
 * const { share } = await patient.sharing().share('_documents/records', { with: [id], expires: '24h' })
 * for await (const entry of doctor.fs.list(`share:${share}`)) console.log(entry.path)
 * await patient.sharing().revoke(share, id) // new writes are under a key the doctor does not get
 * ```
 */
import type { ClientKeys } from '@safemesh/crypto'
import { SafeMeshError, accountNameOf, bytesToHex, isSafeMeshError, shareLogName, type XorName } from '@safemesh/protocol'
import type { RequestOptions } from '../requests/request-context.js'
import { ensureInbox, readInbox, inboxAddress } from './inbox.js'
import {
  cancelShareLink, revokeReader, setShareExpiry, sharePath, syncPayments,
  type AccountId, type CancelledLink, type ExpiryResult, type RevokeResult, type ShareLogAccess, type ShareOptions, type ShareResult, type SharerContext
} from './owner.js'
import { ensureProfile, profileAddress } from './profile.js'
import type { CreditRequests, PayingRequests, SharingRequests } from './requests.js'

/** What others need to share with this account (`safemesh id`); all hex. */
export interface SharingId {
  /** The ID: the account's signing key. */
  id: string
  /** The account's name (SHA3-256 of the ID). */
  account: string
  /** The encryption key envelopes are sealed to. */
  encrypt: string
  profile: string
  inbox: string
  shareLog: string
}

/** A share in the inbox. */
export interface InboxShare {
  /** The share id (hex): read it at `share:<share>/…`. */
  share: string
  /** The sharer's ID (hex), verified. */
  from: string
  kind: 'file' | 'folder'
  /** The path at the sharer's. */
  path: string
  note?: string
  /** When it was sent (ms since 1970, the sharer's clock). */
  at: number
  /** When it ends, as the sharer said when sharing (the share's gate decides). */
  expires?: number
  /** Credits each read costs. */
  price?: number
}

export interface InboxListing {
  shares: InboxShare[]
  /** Items that did not open or verify (not sealed to this account, or forged). */
  skipped: number
}

/** Where the facade gets what it needs (the client). */
export interface SharingContext {
  readonly requests: SharingRequests & Partial<CreditRequests & PayingRequests>
  /** The account's keys; undefined when the client has none of its own (connected, or an app). */
  readonly keys?: ClientKeys
  /** The root container, with a login; undefined otherwise. */
  readonly root?: XorName
  /** The owner's share log. */
  readonly log?: ShareLogAccess
}

export class Sharing {
  private readonly ctx: SharingContext

  constructor (ctx: SharingContext) {
    this.ctx = ctx
  }

  /** Publishes what others need (profile, inbox, share log: made when missing) and says where it is. */
  async id (options: RequestOptions = {}): Promise<SharingId> {
    const keys = this.keysOrThrow()
    await this.ensure(options)
    const id = keys.sign.publicKey
    return {
      id: bytesToHex(id),
      account: bytesToHex(accountNameOf(id)),
      encrypt: bytesToHex(keys.encrypt.publicKey),
      profile: bytesToHex(profileAddress(id).name),
      inbox: bytesToHex(inboxAddress(id).name),
      shareLog: bytesToHex(shareLogName(id))
    }
  }

  /** Makes the profile, the inbox and the share log when missing (account creation makes them; older accounts here). */
  async ensure (options: RequestOptions = {}): Promise<void> {
    const keys = this.keysOrThrow()
    await ensureProfile(this.ctx.requests, keys, options)
    await ensureInbox(this.ctx.requests, keys, options)
    await this.sharer().log.ensure(options)
  }

  /**
   * Shares a file or a folder (a path inside a container, `_documents/records`) with accounts
   * (`with`: their IDs) and/or as a link, until `expires`, at `price` credits per read. A folder
   * becomes a container of its own; a file share is of the file's current version (sharing the
   * same path with the same people again gives them the latest). Each recipient finds it in its
   * inbox. Recorded in the share log.
   */
  async share (path: string, options: ShareOptions = {}): Promise<ShareResult> {
    const sharer = this.sharer()
    await this.ensure(options)
    return await sharePath(sharer, path, options)
  }

  /** What was shared with this account, oldest first; forged or unreadable items are counted, not shown. */
  async inbox (options: RequestOptions = {}): Promise<InboxListing> {
    const { items, skipped } = await readInbox(this.ctx.requests, this.keysOrThrow(), options)
    const seen = new Map<string, InboxShare>()
    for (const { from, offer } of items) {
      const share: InboxShare = {
        share: bytesToHex(offer.share),
        from: bytesToHex(from),
        kind: offer.kind,
        path: offer.path,
        at: offer.at,
        ...(offer.note !== undefined ? { note: offer.note } : {}),
        ...(offer.expires !== undefined ? { expires: offer.expires } : {}),
        ...(offer.price !== undefined ? { price: offer.price } : {})
      }
      // The latest word of each sender on each share.
      seen.set(share.share + share.from, share)
    }
    return { shares: [...seen.values()], skipped }
  }

  /**
   * Takes `id` (an account's ID, or a link's key) off the share. A folder is rotated: copied under
   * a new key to a new place that the remaining readers receive and `id` does not, so nothing
   * written from now on opens for it. What it already read or downloaded, it keeps.
   */
  async revoke (share: AccountId, id: AccountId, options: RequestOptions = {}): Promise<RevokeResult> {
    return await revokeReader(this.sharer(), share, id, options)
  }

  /** Sets when the share ends (undefined: never): ms since 1970, or `24h`, `90m`, `30s`, an ISO date. */
  async setExpiry (share: AccountId, expires?: number | string, options: RequestOptions = {}): Promise<ExpiryResult> {
    return await setShareExpiry(this.sharer(), share, expires, options)
  }

  /** Cancels a link at once (`link`: the link itself, or its key in hex). */
  async cancelLink (share: AccountId, link: string | Uint8Array, options: RequestOptions = {}): Promise<CancelledLink> {
    return await cancelShareLink(this.sharer(), share, link, options)
  }

  /** Records in the share log the payments received for this account's shares that it does not hold yet; how many. */
  async syncPayments (options: RequestOptions = {}): Promise<number> {
    const sharer = this.sharer()
    return await syncPayments(sharer, await sharer.log.records(options), options)
  }

  private keysOrThrow (): ClientKeys {
    if (this.ctx.keys === undefined) throw new SafeMeshError('AccessDenied', 'sharing needs the account\'s owner (log in with the secret and password)')
    return this.ctx.keys
  }

  private sharer (): SharerContext {
    const keys = this.keysOrThrow()
    if (this.ctx.root === undefined || this.ctx.log === undefined) {
      throw new SafeMeshError('InvalidOperation', 'sharing needs a login with the secret and password (the containers are in the session)')
    }
    return { requests: this.ctx.requests, keys, root: this.ctx.root, log: this.ctx.log }
  }
}

/** `ensure`, except that an account out of mutations is told, not stopped (it gets them once it has some). */
export async function ensureSharingQuietly (sharing: Sharing, options: RequestOptions & { log?: { warn: (o: object, m: string) => void } } = {}): Promise<void> {
  try {
    await sharing.ensure(options)
  } catch (err) {
    if (!(isSafeMeshError(err) && err.code === 'LowBalance')) throw err
    options.log?.warn({ err }, 'the account has no mutations left to make its profile, inbox and share log')
  }
}
