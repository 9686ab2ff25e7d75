/**
 * The shares of one data hash that the logged-in account knows (data-hash.ts): those it received
 * (inbox items whose note or path names the hash) and those it made (share-log records whose
 * path is the hash's). What a sharer claims here is checked when the data is read.
 *
 * Anyone may put an item in an inbox, and a share's id is public (share logs are): a stranger can
 * claim another's share. Its envelope, signed by the sharer, says whose it is; so when several
 * accounts claim one share, its sender is the envelope's signer (`senderOf`).
 */
import type { InboxShare, SafeMeshClient, VerifiedShareLogRecord } from '@safemesh/client'
import { openEnvelope } from '@safemesh/client/internals'
import { TYPE_TAG_SHARE_ENVELOPE, bytesToHex, isSafeMeshError, xorNameFromHex } from '@safemesh/protocol'
import { hashOfNote, hashOfPath } from './data-hash.js'
import { ownRecords } from './account.js'
import { sharesMade, type ShareMade } from './shares-made.js'

/** A share received that names the hash. */
export interface ReceivedShare {
  share: string
  /** The newest item naming the hash. */
  item: InboxShare
  /** Every inbox item of this share id (one per sender). */
  claims: InboxShare[]
}

export interface SharesOfHash {
  /** Received file shares naming the hash, newest first. */
  received: ReceivedShare[]
  /** This account's shares of the hash's file, newest first. */
  made: ShareMade[]
  /** This account's share log (verified records). */
  records: VerifiedShareLogRecord[]
}

function namesHash (share: Pick<InboxShare, 'note' | 'path'>, hex: string): boolean {
  return hashOfNote(share.note) === hex || hashOfPath(share.path) === hex
}

export async function findShares (client: SafeMeshClient, hex: string, signal: AbortSignal): Promise<SharesOfHash> {
  const [inbox, records] = await Promise.all([client.sharing().inbox({ signal }), ownRecords(client, signal)])
  const received = new Map<string, ReceivedShare>()
  for (const item of [...inbox.shares].sort((a, b) => b.at - a.at)) {
    if (item.kind !== 'file' || !namesHash(item, hex) || received.has(item.share)) continue
    received.set(item.share, { share: item.share, item, claims: inbox.shares.filter(s => s.share === item.share) })
  }
  return {
    received: [...received.values()],
    made: sharesMade(records).filter(s => s.hash === hex).sort((a, b) => b.at - a.at),
    records
  }
}

/**
 * The item of the account that really sent a received share: the only claimant, or the one whose
 * signature its envelope carries (read free of charge); undefined when that cannot be told (the
 * envelope is refused, e.g. a priced share, which the client pays for only when one account claims it).
 */
export async function senderOf (client: SafeMeshClient, received: ReceivedShare, signal: AbortSignal): Promise<InboxShare | undefined> {
  if (received.claims.length === 1) return received.claims[0]
  const keys = client.keys
  if (keys === undefined) return undefined
  const name = xorNameFromHex(received.share)
  let box: Uint8Array | undefined
  try {
    box = (await client.getShareEnvelope(name, TYPE_TAG_SHARE_ENVELOPE, undefined, { signal })).envelope
  } catch (err) {
    if (isSafeMeshError(err) && (err.code === 'AccessDenied' || err.code === 'Expired' || err.code === 'NoSuchData')) return undefined
    throw err
  }
  if (box === undefined) return undefined
  try {
    const from = bytesToHex(openEnvelope(box, keys, name, received.claims.map(c => new Uint8Array(Buffer.from(c.from, 'hex')))).from)
    return received.claims.find(c => c.from === from)
  } catch (err) {
    if (isSafeMeshError(err) && err.code === 'AccessDenied') return undefined
    throw err
  }
}
