/**
 * The gateway's HTTP answers: JSON bodies, and every failure as `{"error":{"code","message"}}` with
 * the SPEC code (§3) and an HTTP status that says the same thing to a browser.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isSafeMeshError, type ErrorCode } from '@safemesh/protocol'

/** A refusal the gateway makes itself (no session, bad origin, bad body…), with its HTTP status. */
export class HttpError extends Error {
  override readonly name = 'HttpError'
  readonly status: number
  readonly code: ErrorCode

  constructor (status: number, code: ErrorCode, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  AccessDenied: 403,
  InvalidCredentials: 401,
  NoSuchAccount: 404,
  NoSuchData: 404,
  NoSuchEntry: 404,
  NoSuchKey: 404,
  DataExists: 409,
  EntryExists: 409,
  AccountExists: 409,
  InvalidSuccessor: 409,
  DataTooLarge: 413,
  TooManyEntries: 413,
  LowBalance: 402,
  Expired: 410,
  NetworkFull: 507,
  // The network did not agree or answer: the gateway's upstream failed.
  NoQuorum: 502,
  Timeout: 504
}

/** The HTTP status for a SPEC error code (400 for the request's own faults). */
function statusOf (code: ErrorCode): number {
  return STATUS_OF[code] ?? 400
}

/** What a failure says to an HTTP client: its status, SPEC code and message. */
function describeError (err: unknown): { status: number, code: ErrorCode | 'Internal', message: string } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message }
  if (isSafeMeshError(err)) return { status: statusOf(err.code), code: err.code, message: err.message }
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) return { status: 504, code: 'Timeout', message: 'the network did not answer in time' }
  return { status: 500, code: 'Internal', message: err instanceof Error ? err.message : String(err) }
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer'
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers
  })
  res.end(text)
}

/** The JSON error answer, unless a response is already under way (then the connection is cut). */
export function sendJsonError (res: ServerResponse, err: unknown): void {
  const { status, code, message } = describeError(err)
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined)
    return
  }
  sendJson(res, status, { error: { code, message } })
}

const MAX_JSON_BODY = 1024 * 1024

/** A request's JSON body (at most 1 MiB); 415 unless it says application/json, 400 when it is not JSON. */
export async function readJsonBody (req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') throw new HttpError(415, 'InvalidRequest', 'the body must be application/json')
  const pieces: Buffer[] = []
  let size = 0
  for await (const piece of req as AsyncIterable<Buffer>) {
    size += piece.length
    if (size > MAX_JSON_BODY) throw new HttpError(413, 'DataTooLarge', `a JSON body is at most ${MAX_JSON_BODY} bytes`)
    pieces.push(piece)
  }
  if (size === 0) return {}
  try {
    return JSON.parse(Buffer.concat(pieces).toString('utf8')) as unknown
  } catch {
    throw new HttpError(400, 'InvalidRequest', 'the body is not valid JSON')
  }
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** A plain HTML page for a failure a person sees in a browser (sites), with the SPEC code. */
export function sendHtmlError (res: ServerResponse, err: unknown, title?: string): void {
  const { status, code, message } = describeError(err)
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined)
    return
  }
  const heading = title ?? (status === 404 ? 'Not found' : status >= 500 ? 'The network could not answer' : 'Refused')
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${status} ${escapeHtml(heading)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}code{background:#f3f3f3;padding:0 .3em}</style></head>
<body><h1>${escapeHtml(heading)}</h1><p>${escapeHtml(message)}</p><p>HTTP ${status} · <code>${escapeHtml(code)}</code> · SafeMesh gateway</p></body></html>
`
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(page)),
    'cache-control': 'no-store'
  })
  res.end(res.req.method === 'HEAD' ? undefined : page)
}
