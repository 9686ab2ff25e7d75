/* eslint-disable camelcase -- seed 002's JSON fields are snake_case (expires_at) */
/** A share-log record as the REST API shows it: what `safemesh share log` prints, in JSON. */
import { bytesToHex, type VerifiedShareLogRecord } from '@safemesh/protocol'

export interface RecordJson {
  /** The sharer whose log holds it (its sharing ID). */
  log: string
  index: number
  at: string
  /** SHA3-256 of the signed record: the next record chains to it. */
  hash: string
  kind: VerifiedShareLogRecord['event']['kind']
  share: string
  [field: string]: unknown
}

export function recordJson (record: VerifiedShareLogRecord, log: string): RecordJson {
  const e = record.event
  const base: RecordJson = { log, index: record.index, at: iso(record.at), hash: bytesToHex(record.hash), kind: e.kind, share: bytesToHex(e.share) }
  switch (e.kind) {
    case 'share':
      return {
        ...base,
        path: e.path,
        recipients: e.recipients.map(bytesToHex),
        expires_at: e.expires === undefined ? null : iso(e.expires),
        ...(e.price !== undefined ? { price: e.price } : {})
      }
    case 'revoke':
      return { ...base, recipients: e.recipients.map(bytesToHex) }
    case 'expiry':
      return { ...base, expires_at: e.expires === undefined ? null : iso(e.expires) }
    case 'payment':
      return { ...base, payer: bytesToHex(e.payer), amount: e.amount, message_id: bytesToHex(e.messageId) }
    case 'link':
    case 'link-cancel':
      return { ...base, link: bytesToHex(e.link) }
  }
}

function iso (ms: number): string {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString()
}
