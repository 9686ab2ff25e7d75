/**
 * `POST /share_data`'s body (seed 002), checked before anything reaches the network: what to share
 * (inline text, inline base64, or a file of the drive), with whom, until when, at what price.
 */
import { HttpError } from '../http.js'

export interface ShareRequest {
  content: { kind: 'data', bytes: Uint8Array } | { kind: 'path', path: string }
  /** The recipients' sharing IDs (64 lowercase hex digits), without repeats. */
  recipients: string[]
  /** Credits per read (a paid share). */
  price?: number
  /** When the share ends, ms since 1970. */
  expires?: number
}

const FIELDS = ['data', 'dataBase64', 'path', 'recipient', 'recipients', 'encrypt', 'require_payment', 'price', 'expires_at']
const ID = /^[0-9a-f]{64}$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/

function invalid (message: string): HttpError {
  return new HttpError(400, 'InvalidRequest', message)
}

/** The request a body asks for; HttpError 400 (InvalidRequest) saying what is wrong. */
export function parseShareRequest (body: unknown, now: number = Date.now()): ShareRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body is a JSON object: {"data": …, "recipient": …, "encrypt": true}')
  const fields = body as Record<string, unknown>
  const unknown = Object.keys(fields).filter(k => !FIELDS.includes(k))
  if (unknown.length > 0) throw invalid(`unknown field(s) ${unknown.join(', ')}; a share takes ${FIELDS.join(', ')}`)
  if (fields.encrypt !== undefined && fields.encrypt !== true) {
    throw invalid('"encrypt" can only be true: a share is always encrypted (only its recipients can open it)')
  }
  const request: ShareRequest = { content: contentOf(fields), recipients: recipientsOf(fields) }
  const price = priceOf(fields)
  if (price !== undefined) request.price = price
  const expires = expiryOf(fields.expires_at, now)
  if (expires !== undefined) request.expires = expires
  return request
}

function contentOf (fields: Record<string, unknown>): ShareRequest['content'] {
  const given = (['data', 'dataBase64', 'path'] as const).filter(k => fields[k] !== undefined)
  if (given.length !== 1) throw invalid('give exactly one of "data" (text), "dataBase64" or "path" (a file of your drive)')
  const [which] = given
  const value = fields[which as string]
  if (typeof value !== 'string') throw invalid(`"${which as string}" is a string`)
  if (which === 'path') {
    if (value.trim() === '') throw invalid('"path" names a file of your drive, e.g. _documents/report.pdf')
    return { kind: 'path', path: value.trim() }
  }
  let bytes: Uint8Array
  if (which === 'data') {
    bytes = new TextEncoder().encode(value)
  } else {
    if (!BASE64.test(value)) throw invalid('"dataBase64" is not base64 (RFC 4648, with padding)')
    bytes = new Uint8Array(Buffer.from(value, 'base64'))
  }
  if (bytes.length === 0) throw invalid('there is nothing to share: the data is empty')
  return { kind: 'data', bytes }
}

function recipientsOf (fields: Record<string, unknown>): string[] {
  const { recipient, recipients } = fields
  if (recipient !== undefined && recipients !== undefined) throw invalid('give "recipient" or "recipients", not both')
  const list = recipient !== undefined ? [recipient] : recipients
  if (list === undefined) throw invalid('"recipient" is the sharing ID of whom to share with (what `safemesh id` prints)')
  if (!Array.isArray(list) || list.length === 0) throw invalid('"recipients" is a non-empty array of sharing IDs')
  const ids: string[] = []
  for (const id of list as unknown[]) {
    const hex = typeof id === 'string' ? id.trim().toLowerCase() : ''
    if (!ID.test(hex)) throw invalid(`a recipient is a sharing ID, 64 hex digits (what \`safemesh id\` prints), not ${JSON.stringify(id)}`)
    if (!ids.includes(hex)) ids.push(hex)
  }
  return ids
}

/** `require_payment` and `price`: a paid share needs a whole price of at least 1 credit; a free one none (or 0). */
function priceOf (fields: Record<string, unknown>): number | undefined {
  const { require_payment: required, price } = fields
  if (required !== undefined && typeof required !== 'boolean') throw invalid('"require_payment" is true or false')
  if (price !== undefined && (typeof price !== 'number' || !Number.isSafeInteger(price) || price < 0)) {
    throw invalid('"price" is a whole number of credits per read')
  }
  const credits = price ?? 0
  if (required === true && credits < 1) throw invalid('"require_payment": true needs a "price" of at least 1 credit per read')
  if (required === false && credits > 0) throw invalid('a "price" needs "require_payment": true (or leave "require_payment" out)')
  return credits > 0 ? credits : undefined
}

/** `expires_at`: an ISO 8601 date or time in the future (a date alone is its midnight UTC). */
function expiryOf (value: unknown, now: number): number | undefined {
  if (value === undefined || value === null) return undefined
  const at = typeof value === 'string' && ISO_DATE.test(value.trim()) ? Date.parse(value.trim()) : NaN
  if (!Number.isSafeInteger(at)) throw invalid(`"expires_at" is an ISO 8601 time, e.g. 2026-04-15T10:30:00Z, not ${JSON.stringify(value)}`)
  if (at <= now) throw invalid(`"expires_at" ${new Date(at).toISOString()} has passed already`)
  return at
}
