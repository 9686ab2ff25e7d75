/**
 * An account's inbox (tag 1003, at `inboxName(ID)`): where others tell it what they shared. Owned
 * by the account; its only permission is `Anyone: Insert`, so anyone may add an item (charged to
 * their own account) and nobody but the owner may update or delete one. An item is
 *
 *     key   = 32 random bytes
 *     value = seal(owner's encryption key, encode({v: 1, from, body, signature}))
 *
 * with `body` = encode(offer) and `signature` = the sender's (`from`) over
 * "safemesh/inbox-item/v1" ‖ inbox name ‖ item key ‖ body: an item copied to another key or
 * another inbox does not verify, and only the owner can open one. Listing skips (and counts) items
 * that do not open or verify.
 */
import { openSealed, randomBytes, seal, sign, verify, type ClientKeys } from '@safemesh/crypto'
import {
  ANYONE, SafeMeshError, TYPE_TAG_INBOX, bytes, bytesEqual, decodeWith, encodeWith, isSafeMeshError, literal, newMutableData, object, oneOf,
  optional, publicKeySchema, string, uint, userId, xorNameSchema, type MutableData, type MutableDataEntry, type XorName
} from '@safemesh/protocol'
import type { RequestOptions } from '../requests/request-context.js'
import type { MDataAddress } from '../client.js'
import type { DirectoryRequests } from '../nfs/directory.js'
import { MAX_PATH_BYTES } from '../nfs/paths.js'
import { inboxName, labelled } from './names.js'
import { ensureData, type Profile } from './profile.js'

const SIGNATURE_LABEL = 'safemesh/inbox-item/v1'
const ITEM_KEY_BYTES = 32
export const MAX_NOTE_LENGTH = 1000

/** What a sharer tells a recipient: where the share is and what it is. */
export interface Offer {
  /** The share's name (its envelope MutableData): the share id. */
  share: XorName
  kind: 'file' | 'folder'
  /** The path as the sharer named it. */
  path: string
  note?: string
  /** ms since 1970. */
  expires?: number
  /** Credits each read costs. */
  price?: number
  /** When it was sent (the sender's clock, ms since 1970). */
  at: number
}

/** An item as the owner reads it. */
export interface InboxItem {
  key: Uint8Array
  /** The sender's ID (its signing key): verified. */
  from: Uint8Array
  offer: Offer
}

const offerSchema = object({
  v: literal(1),
  share: xorNameSchema,
  kind: oneOf(['file', 'folder']),
  path: string(MAX_PATH_BYTES),
  note: optional(string(MAX_NOTE_LENGTH)),
  expires: optional(uint()),
  price: optional(uint()),
  at: uint()
})
const itemSchema = object({ v: literal(1), from: publicKeySchema, body: bytes({ max: 4096 }), signature: bytes({ length: 64 }) })

export function inboxAddress (id: Uint8Array): MDataAddress {
  return { name: inboxName(id), tag: TYPE_TAG_INBOX }
}

function newInbox (id: Uint8Array): MutableData {
  return newMutableData({ name: inboxName(id), tag: TYPE_TAG_INBOX, owners: [id], permissions: [{ user: ANYONE, permissions: { Insert: true } }] })
}

/** Makes the inbox of `keys`' account unless it exists (what exists must be its own inbox). */
export async function ensureInbox (requests: Pick<DirectoryRequests, 'getMData' | 'putMData'>, keys: ClientKeys, options: RequestOptions = {}): Promise<XorName> {
  const id = keys.sign.publicKey
  const md = newInbox(id)
  await ensureData(requests, md, (found) => {
    const anyone = found.permissions.get(userId(ANYONE))?.permissions
    const onlyInsert = found.permissions.size === 1 && anyone?.Insert === true && anyone.Update !== true && anyone.Delete !== true && anyone.ManagePermissions !== true
    if (found.owners.length !== 1 || !bytesEqual(found.owners[0] as Uint8Array, id) || !onlyInsert) {
      throw new SafeMeshError('DataExists', 'the inbox\'s name is taken by a MutableData that is not this account\'s inbox')
    }
  }, options)
  return md.name
}

/** An item's key and sealed value for the inbox of `to`. */
export function sealInboxItem (offer: Offer, sender: ClientKeys, to: Profile, key: Uint8Array = randomBytes(ITEM_KEY_BYTES)): { key: Uint8Array, content: Uint8Array } {
  const body = encodeWith(offerSchema, { v: 1, ...offer })
  const signature = sign(labelled(SIGNATURE_LABEL, inboxName(to.sign), key, body), sender.sign.secretKey)
  return { key, content: seal(encodeWith(itemSchema, { v: 1, from: sender.sign.publicKey, body, signature }), to.encrypt) }
}

/** Opens and verifies an item of `owner`'s inbox; undefined when it does not open, decode or verify. */
export function openInboxItem (entry: Pick<MutableDataEntry, 'key' | 'content'>, owner: ClientKeys): InboxItem | undefined {
  if (entry.key.length !== ITEM_KEY_BYTES || entry.content.length === 0) return undefined
  try {
    const item = decodeWith(itemSchema, openSealed(entry.content, owner.encrypt))
    if (!verify(item.signature, labelled(SIGNATURE_LABEL, inboxName(owner.sign.publicKey), entry.key, item.body), item.from)) return undefined
    const { v: _, ...offer } = decodeWith(offerSchema, item.body)
    return { key: entry.key, from: item.from, offer }
  } catch {
    return undefined
  }
}

/** Puts an offer into the inbox of `to` (charged to the sender). */
export async function postOffer (requests: Pick<DirectoryRequests, 'mutateMDataEntries'>, sender: ClientKeys, to: Profile, offer: Offer, options: RequestOptions = {}): Promise<void> {
  const { key, content } = sealInboxItem(offer, sender, to)
  await requests.mutateMDataEntries(inboxAddress(to.sign), [{ key, action: { kind: 'Insert', content } }], options)
}

/** The owner's items that open and verify, oldest first, and how many did not. */
export async function readInbox (
  requests: { listMDataEntries: (md: MDataAddress, options?: RequestOptions) => Promise<MutableDataEntry[]> },
  owner: ClientKeys,
  options: RequestOptions = {}
): Promise<{ items: InboxItem[], skipped: number }> {
  let entries: MutableDataEntry[]
  try {
    entries = await requests.listMDataEntries(inboxAddress(owner.sign.publicKey), options)
  } catch (err) {
    if (isSafeMeshError(err) && err.code === 'NoSuchData') return { items: [], skipped: 0 }
    throw err
  }
  const items: InboxItem[] = []
  let skipped = 0
  for (const entry of entries) {
    if (entry.content.length === 0) continue
    const item = openInboxItem(entry, owner)
    if (item === undefined) skipped++
    else items.push(item)
  }
  items.sort((a, b) => a.offer.at - b.offer.at)
  return { items, skipped }
}
