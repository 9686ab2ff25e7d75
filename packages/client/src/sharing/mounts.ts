/**
 * What others shared, as containers of the reader's file system (`fs ls share:<id>`,
 * `fs get link:<link>/a.txt`). Each operation fetches the envelope afresh with `GetShareEnvelope`
 * (Q agreeing Data-Managers, who serve it only to a reader the gate names and until its expiry),
 * and accepts it only under the signature of the sharer the inbox item (or the link) names.
 *
 * A paid share is paid before the read: a preflight without payment first (free) tells a
 * revoked or expired reader so before it pays; then one `TransferCredit` to the sharer's account
 * with the share as memo, whose message id is the read's `payment`, retried as the same transfer
 * (never paid twice) and reused for the window the Data-Managers honour it.
 */
import { randomBytes, type ClientKeys } from '@safemesh/crypto'
import {
  PAID_READ_WINDOW_MS, SafeMeshError, TYPE_TAG_SHARE_ENVELOPE, accountNameOf, bytesEqual, bytesToHex, isSafeMeshError, xorNameFromHex,
  type XorName
} from '@safemesh/protocol'
import type { RequestOptions } from '../requests/request-context.js'
import { isRetryable } from '../quorum/retry.js'
import type { ContainerListing, Mount } from '../nfs/file-system.js'
import { openEnvelope, type ShareEnvelope } from './envelope.js'
import { FileMount } from './file-mount.js'
import { readInbox, type InboxItem } from './inbox.js'
import { decodeLink, linkKeys } from './link.js'
import type { PayingRequests, ShareEnvelopeReply, SharingRequests } from './requests.js'

export const SHARE_PREFIX = 'share:'
export const LINK_MOUNT_PREFIX = 'link:'
/** A payment is reused this long: inside the Data-Managers' window, with a margin for clocks and the read itself. */
const PAYMENT_REUSE_MS = PAID_READ_WINDOW_MS - 60_000
/** Tries of one transfer (the same message id each time) when the payer's group does not answer. */
const TRANSFER_TRIES = 3

export class ShareMounts {
  private readonly requests: SharingRequests & Partial<PayingRequests>
  private readonly keys: ClientKeys
  private readonly payments = new Map<string, { messageId: Uint8Array, at: number }>()

  constructor (requests: SharingRequests & Partial<PayingRequests>, keys: ClientKeys) {
    this.requests = requests
    this.keys = keys
  }

  /** The container `share:<id>` or `link:<link>`; undefined for any other name. */
  async mount (name: string, options: RequestOptions = {}): Promise<Mount | undefined> {
    if (name.startsWith(SHARE_PREFIX)) return await this.mountShare(name, options)
    if (name.startsWith(LINK_MOUNT_PREFIX)) return await this.mountLink(name, options)
    return undefined
  }

  /** The shares in the inbox, as containers to list. */
  async list (options: RequestOptions = {}): Promise<ContainerListing[]> {
    const { items } = await readInbox(this.requests, this.keys, options)
    const names = [...new Set(items.map(i => SHARE_PREFIX + bytesToHex(i.offer.share)))]
    return names.map(name => ({ name, private: true, access: ['read'] }))
  }

  /** The envelope of a share in the inbox, opened and verified. */
  async envelope (share: XorName, options: RequestOptions = {}): Promise<ShareEnvelope> {
    const { items } = await readInbox(this.requests, this.keys, options)
    const offers = items.filter(i => bytesEqual(i.offer.share, share))
    if (offers.length === 0) throw new SafeMeshError('NoSuchEntry', `no share ${bytesToHex(share)} in the inbox`)
    const senders = unique(offers.map(i => i.from))
    const reply = await this.fetch(share, senders, priceOf(offers), options)
    if (reply.envelope === undefined) throw new SafeMeshError('AccessDenied', 'the share holds no envelope for this reader (revoked)')
    return openEnvelope(reply.envelope, this.keys, share, senders)
  }

  private async mountShare (name: string, options: RequestOptions): Promise<Mount> {
    const hex = name.slice(SHARE_PREFIX.length)
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new SafeMeshError('InvalidRequest', `a share is share:<64 hex digits>, not ${JSON.stringify(name)}`)
    return mountOf(name, await this.envelope(xorNameFromHex(hex.toLowerCase()), options))
  }

  private async mountLink (name: string, options: RequestOptions): Promise<Mount> {
    const link = decodeLink(name.slice(LINK_MOUNT_PREFIX.length))
    const keys = linkKeys(link.seed)
    if (!bytesEqual(keys.sign.publicKey, this.keys.sign.publicKey)) {
      throw new SafeMeshError('AccessDenied', 'a link is read by a client that runs as the link\'s key (connectLink)')
    }
    const reply = await this.requests.getShareEnvelope(link.share, TYPE_TAG_SHARE_ENVELOPE, undefined, options)
    if (reply.envelope === undefined) throw new SafeMeshError('AccessDenied', 'the share holds no envelope for this link (cancelled)')
    return mountOf(name, openEnvelope(reply.envelope, keys, link.share, link.sharer))
  }

  /** GetShareEnvelope, paying first when the share is priced. */
  private async fetch (share: XorName, senders: Uint8Array[], price: number | undefined, options: RequestOptions): Promise<ShareEnvelopeReply> {
    if (price === undefined || price === 0) return await this.requests.getShareEnvelope(share, TYPE_TAG_SHARE_ENVELOPE, undefined, options)
    const id = bytesToHex(share)
    const cached = this.payments.get(id)
    if (cached !== undefined && Date.now() - cached.at < PAYMENT_REUSE_MS) {
      try {
        return await this.requests.getShareEnvelope(share, TYPE_TAG_SHARE_ENVELOPE, cached.messageId, options)
      } catch (err) {
        if (!(isSafeMeshError(err) && err.code === 'AccessDenied')) throw err
        this.payments.delete(id)
      }
    }
    try {
      // Free: a reader the gate no longer names, or an expired share, learns it before paying.
      return await this.requests.getShareEnvelope(share, TYPE_TAG_SHARE_ENVELOPE, undefined, options)
    } catch (err) {
      if (!(isSafeMeshError(err) && err.code === 'AccessDenied' && /costs \d+ credits/.test(err.message))) throw err
    }
    // Only the sharer is paid: when several accounts claim this share, none of them is.
    if (senders.length !== 1) throw new SafeMeshError('AccessDenied', 'several accounts claim this share in the inbox: it is not paid for')
    const messageId = await this.pay(accountNameOf(senders[0] as Uint8Array), price, share, options)
    this.payments.set(id, { messageId, at: Date.now() })
    return await this.requests.getShareEnvelope(share, TYPE_TAG_SHARE_ENVELOPE, messageId, options)
  }

  private async pay (payee: XorName, price: number, share: XorName, options: RequestOptions): Promise<Uint8Array> {
    const transfer = this.requests.transferCredit?.bind(this.requests)
    if (transfer === undefined) throw new SafeMeshError('InvalidOperation', 'this client cannot pay for a share')
    const messageId = randomBytes(32)
    for (let attempt = 1; ; attempt++) {
      try {
        await transfer(payee, price, { ...options, memo: share, messageId })
        return messageId
      } catch (err) {
        // The same message id again: the payer's Maid-Managers run it once, however often it is sent.
        if (attempt >= TRANSFER_TRIES || !isRetryable(err)) throw err
      }
    }
  }
}

function mountOf (name: string, envelope: ShareEnvelope): Mount {
  if (envelope.dir !== undefined) return { name, head: envelope.dir.head, key: envelope.dir.key, access: ['read'] }
  return { name, access: ['read'], folder: new FileMount(envelope.share, envelope.path, envelope.file as NonNullable<ShareEnvelope['file']>, envelope.issued) }
}

/** The price the latest offer for the share names. */
function priceOf (offers: readonly InboxItem[]): number | undefined {
  return offers.reduce<InboxItem | undefined>((latest, o) => (latest === undefined || o.offer.at >= latest.offer.at ? o : latest), undefined)?.offer.price
}

function unique (keys: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const key of keys) if (!out.some(k => bytesEqual(k, key))) out.push(key)
  return out
}
