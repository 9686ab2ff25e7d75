/**
 * `safe://` addresses (SPEC §9): `safe://<service>.<publicId>/<path>`, the service `www` when the
 * host is one label, and `@<n>` after the host for a published version (`safe://www.mysite@3/`).
 * Host labels are case-insensitive, as in DNS; the path is percent-decoded segment by segment.
 */
import { SafeMeshError } from '../errors.js'
import { DEFAULT_SERVICE, assertPublicId, assertServiceName } from './labels.js'

export interface SafeAddress {
  readonly service: string
  readonly publicId: string
  /** A published version (`@n`); absent: the current one. */
  readonly version?: number
  /** Without a leading `/`; `''` is the site's root; a trailing `/` is kept (a folder was asked for). */
  readonly path: string
}

const SCHEME = /^safe:\/\//i

/** Parses `safe://www.mysite/a/b.html`; `InvalidRequest` for anything else (a `..` segment too). */
export function parseSafeUrl (url: string): SafeAddress {
  if (!SCHEME.test(url)) throw new SafeMeshError('InvalidRequest', `a safe:// address starts with safe://: got ${JSON.stringify(url)}`)
  const rest = url.replace(SCHEME, '').replace(/[?#].*$/s, '')
  const slash = rest.indexOf('/')
  const host = slash === -1 ? rest : rest.slice(0, slash)
  return { ...parseSiteLabel(host), path: slash === -1 ? '' : parseSitePath(rest.slice(slash + 1)) }
}

/** `www.mysite`, `mysite` (service `www`), `www.mysite@3` (version 3): what names a site. */
export function parseSiteLabel (label: string): Omit<SafeAddress, 'path'> {
  const at = label.indexOf('@')
  const host = (at === -1 ? label : label.slice(0, at)).toLowerCase()
  const version = at === -1 ? undefined : parseVersion(label.slice(at + 1))
  const labels = host.split('.')
  if (labels.length > 2) throw new SafeMeshError('InvalidRequest', `a site is <service>.<publicId> or <publicId>: got ${JSON.stringify(label)}`)
  const publicId = labels.at(-1) as string
  const service = labels.length === 2 ? labels[0] as string : DEFAULT_SERVICE
  assertPublicId(publicId)
  assertServiceName(service)
  return { service, publicId, ...(version !== undefined ? { version } : {}) }
}

/**
 * A path as typed after the host: segments percent-decoded; empty and `.` segments dropped; `..`,
 * an encoded `/` and control characters refused (`InvalidRequest`).
 */
export function parseSitePath (raw: string): string {
  const parts = raw.split('/')
  const segments: string[] = []
  for (const part of parts) {
    let segment: string
    try {
      segment = decodeURIComponent(part)
    } catch {
      throw new SafeMeshError('InvalidRequest', `a path segment is not valid percent-encoding: ${JSON.stringify(part)}`)
    }
    if (segment === '..') throw new SafeMeshError('InvalidRequest', 'a path has no ".." segments')
    // eslint-disable-next-line no-control-regex
    if (segment.includes('/') || /[\u0000-\u001f\u007f]/.test(segment)) throw new SafeMeshError('InvalidRequest', `a path segment holds no "/" or control characters: ${JSON.stringify(part)}`)
    if (segment !== '' && segment !== '.') segments.push(segment)
  }
  const folder = segments.length > 0 && /\/\.?$/.test(raw)
  return segments.join('/') + (folder ? '/' : '')
}

function parseVersion (text: string): number {
  const version = /^[1-9]\d{0,15}$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(version)) throw new SafeMeshError('InvalidRequest', `a site's version is a whole number from 1: got ${JSON.stringify(text)}`)
  return version
}
