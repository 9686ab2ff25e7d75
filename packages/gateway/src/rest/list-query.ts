/**
 * `GET /data/list`'s filters: `from` and `to` (ISO 8601, inclusive; a date alone for `to` takes
 * that whole day), `recipient` and `sender` (sharing IDs). A share made by this account matches
 * `recipient` when it names that ID (now or before a revocation), and `sender` only when the ID is
 * this account's; a share received matches `sender` when it came from that ID, and `recipient`
 * only when the ID is this account's.
 */
import { HttpError } from '../http.js'

export interface ListQuery {
  /** ms since 1970, inclusive. */
  from?: number
  to?: number
  recipient?: string
  sender?: string
}

const PARAMS = ['from', 'to', 'recipient', 'sender']
const ID = /^[0-9a-f]{64}$/
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/
const DAY_MS = 86_400_000

function invalid (message: string): HttpError {
  return new HttpError(400, 'InvalidRequest', message)
}

export function parseListQuery (params: URLSearchParams): ListQuery {
  for (const key of new Set(params.keys())) {
    if (!PARAMS.includes(key)) throw invalid(`unknown parameter ${JSON.stringify(key)}; /data/list takes ${PARAMS.join(', ')}`)
    if (params.getAll(key).length > 1) throw invalid(`give ${key} once`)
  }
  const query: ListQuery = {}
  const from = params.get('from')
  const to = params.get('to')
  if (from !== null) query.from = timeOf(from, 'from')
  if (to !== null) query.to = DATE_ONLY.test(to.trim()) ? timeOf(to, 'to') + DAY_MS - 1 : timeOf(to, 'to')
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) throw invalid('"from" is after "to"')
  for (const key of ['recipient', 'sender'] as const) {
    const value = params.get(key)
    if (value === null) continue
    const id = value.trim().toLowerCase()
    if (!ID.test(id)) throw invalid(`${key} is a sharing ID, 64 hex digits, not ${JSON.stringify(value)}`)
    query[key] = id
  }
  return query
}

function timeOf (text: string, name: string): number {
  const trimmed = text.trim()
  const at = DATE_ONLY.test(trimmed) || ISO_TIME.test(trimmed) ? Date.parse(trimmed) : NaN
  if (!Number.isSafeInteger(at)) throw invalid(`${name} is an ISO 8601 date or time (2026-04-15 or 2026-04-15T10:30:00Z), not ${JSON.stringify(text)}`)
  return at
}

function inRange (at: number, query: ListQuery): boolean {
  return (query.from === undefined || at >= query.from) && (query.to === undefined || at <= query.to)
}

/** Whether a share this account (`me`) made, at `at` with these readers, passes the filters. */
export function matchesShared (item: { at: number, recipients: readonly string[], revoked: readonly string[] }, query: ListQuery, me: string): boolean {
  if (!inRange(item.at, query)) return false
  if (query.sender !== undefined && query.sender !== me) return false
  return query.recipient === undefined || item.recipients.includes(query.recipient) || item.revoked.includes(query.recipient)
}

/** Whether a share this account (`me`) received from `from`, sent at `at`, passes the filters. */
export function matchesReceived (item: { at: number, from: string }, query: ListQuery, me: string): boolean {
  if (!inRange(item.at, query)) return false
  if (query.recipient !== undefined && query.recipient !== me) return false
  return query.sender === undefined || item.from === query.sender
}
