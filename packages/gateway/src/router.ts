/**
 * A small router: `/api/app-requests/:id` names one segment, a trailing `/*` takes the rest of the
 * path (as `params['*']`, still percent-encoded). First match wins, in the order routes were added.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SafeMeshClient } from '@safemesh/client'
import type { GatewayState } from './state.js'
import type { Session } from './session.js'

export interface RequestContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly url: URL
  readonly params: Readonly<Record<string, string>>
  readonly state: GatewayState
  /** The host form's `<service>.<publicId>` (content routes only). */
  readonly site?: string
  /** This request's session, if it carries a live one. */
  session: () => Session | undefined
  /** The logged-in account's client: HttpError 401 without a session. */
  owner: () => SafeMeshClient
  /** The JSON body (≤ 1 MiB). */
  body: () => Promise<unknown>
}

export type Handler = (ctx: RequestContext) => Promise<void>

export interface RouteOptions {
  /** Only for a logged-in session (401 otherwise). */
  session?: boolean
}

interface Route {
  method: string
  segments: string[]
  rest: boolean
  handler: Handler
  options: RouteOptions
}

export interface Match {
  handler: Handler
  params: Record<string, string>
  options: RouteOptions
}

export class Router {
  private readonly routes: Route[] = []

  add (method: string, pattern: string, handler: Handler, options: RouteOptions = {}): void {
    const segments = pattern.split('/').filter(s => s.length > 0)
    const rest = segments.at(-1) === '*'
    if (rest) segments.pop()
    this.routes.push({ method: method.toUpperCase(), segments, rest, handler, options })
  }

  /** The route for a method and path; `allowed` lists the methods the path has when none matched. */
  match (method: string, pathname: string): Match | { allowed: string[] } {
    const parts = pathname.split('/').filter(s => s.length > 0)
    const allowed: string[] = []
    for (const route of this.routes) {
      const params = matchPath(route, parts, pathname)
      if (params === undefined) continue
      if (route.method === method || (route.method === 'GET' && method === 'HEAD')) return { handler: route.handler, params, options: route.options }
      allowed.push(route.method)
    }
    return { allowed }
  }
}

function matchPath (route: Route, parts: string[], pathname: string): Record<string, string> | undefined {
  if (route.rest ? parts.length < route.segments.length : parts.length !== route.segments.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < route.segments.length; i++) {
    const want = route.segments[i] as string
    const got = parts[i] as string
    if (want.startsWith(':')) {
      try {
        params[want.slice(1)] = decodeURIComponent(got)
      } catch {
        return undefined
      }
    } else if (want !== got) {
      return undefined
    }
  }
  if (route.rest) {
    // The raw remainder after the matched segments, keeping a trailing slash ('a/' asks for a folder's index).
    const rest = pathname.replace(/^\/+/, '').split('/')
    params['*'] = rest.slice(route.segments.length).join('/')
  }
  return params
}
