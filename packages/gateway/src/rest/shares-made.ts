/**
 * What an owner shared, from its share log (the record `safemesh share log` shows): one item per
 * share, its recipients less those revoked, its latest terms, and the data hash its path names
 * when the REST API stored it (data-hash.ts).
 */
import { bytesToHex, type ShareLogRecord } from '@safemesh/protocol'
import { hashOfPath } from './data-hash.js'

export interface ShareMade {
  share: string
  path: string
  /** The data's sha256 (hex) when the path is content-addressed. */
  hash?: string
  /** Its readers now: every recipient named, less those revoked. */
  recipients: string[]
  revoked: string[]
  /** The first `share` record's time (the owner's clock). */
  at: number
  expires?: number
  price?: number
}

export function sharesMade (records: readonly ShareLogRecord[]): ShareMade[] {
  const byShare = new Map<string, ShareMade>()
  for (const { event, at } of records) {
    const id = bytesToHex(event.share)
    const made = byShare.get(id)
    if (event.kind === 'share') {
      const item: ShareMade = made ?? { share: id, path: event.path, recipients: [], revoked: [], at }
      const hash = hashOfPath(event.path)
      if (hash !== undefined) item.hash = hash
      for (const key of event.recipients.map(bytesToHex)) {
        if (!item.recipients.includes(key)) item.recipients.push(key)
        item.revoked = item.revoked.filter(k => k !== key)
      }
      // A share made again with the same people takes the new terms (owner.ts: its gate is rewritten).
      if (event.expires !== undefined) item.expires = event.expires
      else delete item.expires
      if (event.price !== undefined) item.price = event.price
      else delete item.price
      byShare.set(id, item)
    } else if (made !== undefined && event.kind === 'revoke') {
      for (const key of event.recipients.map(bytesToHex)) {
        made.recipients = made.recipients.filter(k => k !== key)
        if (!made.revoked.includes(key)) made.revoked.push(key)
      }
    } else if (made !== undefined && event.kind === 'expiry') {
      if (event.expires !== undefined) made.expires = event.expires
      else delete made.expires
    }
  }
  return [...byShare.values()]
}
