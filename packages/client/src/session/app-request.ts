/**
 * An app asks the account owner for access through a gateway's page, instead of being handed
 * credentials by `app auth` (issue 16): it posts its request (no account needed), waits while the
 * owner approves or denies it on the page, and receives the same credentials `authoriseApp` gives.
 * The request's secret, which only the app holds, is what the gateway releases the credentials to.
 */
import { SafeMeshError, isErrorCode } from '@safemesh/protocol'
import { parseContainerAccess } from '../auth/access-container.js'
import type { AuthorisedApp, ContainerGrant } from './apps.js'
import { checkAppId } from './app-registry.js'

/** What an app asks for: the same as `authoriseApp`'s arguments. */
export interface AppAccessRequest {
  app: string
  containers: ContainerGrant[]
  ownContainer: boolean
}

/** The gateway's answer to a new request (`POST /api/app-requests`). */
export interface AppRequestTicket {
  id: string
  /** Held by the app only: it alone may collect the answer. */
  secret: string
  /** A short code the page shows beside the request, so the owner can tell it is this app's. */
  code: string
  expiresAt: string
  /** The page where the owner answers. */
  approveAt: string
}

/** The gateway's answer to a poll (`GET /api/app-requests/<id>?secret=…`). */
export interface AppRequestAnswer {
  id: string
  status: 'pending' | 'approved' | 'denied' | 'expired'
  /** Only once approved, and only to the holder of the request's secret. */
  credentials?: AuthorisedApp
}

export interface RequestAppAccessOptions {
  /** The gateway's console, e.g. `http://127.0.0.1:8080`. */
  gateway: string
  app: string
  containers?: readonly ContainerGrant[]
  /** Asks for the app's own container `apps/<app id>`. */
  ownContainer?: boolean
  /** Aborts the wait (the request is withdrawn from the page). */
  signal?: AbortSignal
  /** Called once the request is on the page, with where the owner answers it. */
  onWaiting?: (ticket: Omit<AppRequestTicket, 'secret'>) => void
}

/** At most this many containers in one request: what a person can read on the page. */
const MAX_REQUEST_CONTAINERS = 32

/** Checks a request's shape (InvalidRequest otherwise); the gateway checks what it receives the same way. */
export function checkAppRequest (value: unknown): AppAccessRequest {
  if (typeof value !== 'object' || value === null) throw new SafeMeshError('InvalidRequest', 'an app request is {app, containers?, ownContainer?}')
  const { app, containers = [], ownContainer = false } = value as Record<string, unknown>
  if (typeof app !== 'string') throw new SafeMeshError('InvalidRequest', 'an app request names its app')
  checkAppId(app)
  if (!Array.isArray(containers) || containers.length > MAX_REQUEST_CONTAINERS) throw new SafeMeshError('InvalidRequest', `containers is a list of at most ${MAX_REQUEST_CONTAINERS} {name, access}`)
  if (typeof ownContainer !== 'boolean') throw new SafeMeshError('InvalidRequest', 'ownContainer is true or false')
  const grants = containers.map((c: unknown): ContainerGrant => {
    const { name, access } = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>
    if (typeof name !== 'string' || !Array.isArray(access) || !access.every(a => typeof a === 'string')) {
      throw new SafeMeshError('InvalidRequest', 'a container is {name, access: ["read", "insert", …]}')
    }
    // The command line's NAME:ACCESS form and its rule: names, access words, and none empty.
    return parseContainerAccess(`${name}:${access.join(',')}`)
  })
  if (grants.length === 0 && !ownContainer) throw new SafeMeshError('InvalidRequest', 'an app request asks for at least one container')
  return { app, containers: grants, ownContainer }
}

/**
 * Asks the owner, through the gateway's page, to authorise `app`, and waits for the answer:
 * the credentials when approved; `AccessDenied` when denied, `Expired` when nobody answered in time.
 */
export async function requestAppAccess (options: RequestAppAccessOptions): Promise<AuthorisedApp> {
  const request = checkAppRequest({ app: options.app, containers: options.containers ?? [], ownContainer: options.ownContainer === true })
  const base = options.gateway.replace(/\/+$/, '')
  const signal = options.signal
  const ticket = await callGateway(base, '/api/app-requests', { method: 'POST', body: request, ...(signal !== undefined ? { signal } : {}) }) as AppRequestTicket
  const { secret, ...shown } = ticket
  options.onWaiting?.(shown)
  const poll = `/api/app-requests/${encodeURIComponent(ticket.id)}?secret=${encodeURIComponent(secret)}`
  try {
    while (true) {
      const answer = await callGateway(base, poll, signal !== undefined ? { signal } : {}) as AppRequestAnswer
      if (answer.status === 'approved' && answer.credentials !== undefined) return answer.credentials
      if (answer.status === 'denied') throw new SafeMeshError('AccessDenied', `the owner denied ${request.app} access`)
      if (answer.status === 'expired') throw new SafeMeshError('Expired', `nobody answered the request of ${request.app} in time`)
    }
  } catch (err) {
    // Given up on: the owner should not be left a request nobody waits for.
    if (signal?.aborted === true) await callGateway(base, `/api/app-requests/${encodeURIComponent(ticket.id)}`, { method: 'DELETE', body: { secret } }).catch(() => {})
    throw err
  }
}

async function callGateway (base: string, path: string, init: { method?: string, body?: unknown, signal?: AbortSignal }): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(base + path, {
      method: init.method ?? 'GET',
      ...(init.body !== undefined ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } } : {}),
      ...(init.signal !== undefined ? { signal: init.signal } : {})
    })
  } catch (err) {
    if (init.signal?.aborted === true) throw err
    throw new Error(`could not reach the gateway at ${base}: ${(err as Error).message}`)
  }
  const body = await res.json().catch(() => undefined) as { error?: { code?: unknown, message?: unknown } } | undefined
  if (res.ok && body !== undefined) return body
  const code = body?.error?.code
  const message = typeof body?.error?.message === 'string' ? body.error.message : `the gateway answered HTTP ${res.status}`
  // A request the gateway no longer holds: it expired (or the gateway restarted).
  if (res.status === 404 && path.startsWith('/api/app-requests/')) throw new SafeMeshError('Expired', `the gateway no longer holds this request (${message})`)
  if (isErrorCode(code)) throw new SafeMeshError(code, message)
  throw new Error(message)
}
