/**
 * Which version of a site a request gets. A page's subresources must come from the version its
 * document came from, or a publish between the HTML and its CSS would show a mix: so a document
 * request resolves the current version and pins it in a cookie (scoped to that site), and the
 * subresource requests that follow carry the pin. An explicit `@N` always wins; a request without
 * browser fetch metadata (curl, a program) always gets the current version.
 */
import type { IncomingMessage } from 'node:http'

const PIN_COOKIE = 'safemesh_site_version'
/** Long enough for a page to load its subresources; a pin is only a hint for those. */
const PIN_SECONDS = 600

/** The pinned version this request may use (a browser subresource request carrying a pin). */
export function pinnedVersion (req: IncomingMessage): number | undefined {
  const dest = req.headers['sec-fetch-dest']
  if (dest === undefined || dest === 'document' || dest === 'iframe' || dest === 'frame') return undefined
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, value] = part.trim().split('=')
    if (name === PIN_COOKIE && value !== undefined && /^[1-9]\d{0,15}$/.test(value)) return Number(value)
  }
  return undefined
}

/** The Set-Cookie that pins `version` for a site's later subresource requests under `path`. */
export function pinCookie (version: number, path: string): string {
  return `${PIN_COOKIE}=${version}; Path=${path}; Max-Age=${PIN_SECONDS}; SameSite=Lax; HttpOnly`
}
