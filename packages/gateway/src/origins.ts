/**
 * Which origin a request is for, from its Host header. The console (the page, its API and the REST
 * API, which act for a logged-in account) answers only at `127.0.0.1:<port>`; sites answer at
 * `localhost:<port>` and `<service>.<publicId>.localhost:<port>`. So a published site never runs
 * in the console's origin, and a DNS-rebound name (Host: evil.example) reaches neither.
 */
import type { IncomingMessage } from 'node:http'
import { HttpError } from './http.js'

export type Origin =
  | { kind: 'console' }
  /** `site` is the host form's `<service>.<publicId>` (undefined for plain `localhost`). */
  | { kind: 'content', site?: string }

export function classifyHost (host: string | undefined, port: number): Origin | undefined {
  if (host === undefined) return undefined
  const lower = host.toLowerCase()
  if (lower === `127.0.0.1:${port}`) return { kind: 'console' }
  const suffix = `localhost:${port}`
  if (lower === suffix) return { kind: 'content' }
  if (lower.endsWith(`.${suffix}`)) {
    const site = lower.slice(0, -(suffix.length + 1))
    return site.length > 0 ? { kind: 'content', site } : undefined
  }
  return undefined
}

/**
 * Refuses a state-changing console request that a page of another origin could have sent: its
 * Origin (when given) must be the console's, its Sec-Fetch-Site (when given) same-origin or none,
 * and its body JSON (a cross-origin form cannot send that without a CORS preflight, which the
 * gateway never grants). Programs without a browser send neither header and pass.
 */
export function assertSameOrigin (req: IncomingMessage, consoleOrigin: string): void {
  const origin = req.headers.origin
  if (origin !== undefined && origin !== consoleOrigin) {
    throw new HttpError(403, 'AccessDenied', `a request from ${origin} may not act here (cross-origin)`)
  }
  const site = req.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, 'AccessDenied', `a ${String(site)} request may not act here`)
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') throw new HttpError(415, 'InvalidRequest', 'a request that acts must be application/json')
}
