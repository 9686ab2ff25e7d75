/**
 * Logged-in sessions of the console (page and REST API). The owner's secret and password reach the
 * gateway once, in the login request, and are never stored: the gateway keeps the logged-in client
 * in memory under a random token that the browser holds only as an HttpOnly, SameSite=Strict
 * cookie (no script can read it, no other site's request carries it). Programs may send it as
 * `Authorization: Bearer <token>` instead.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { login, type ClientOptions, type SafeMeshClient } from '@safemesh/client'
import { xorNameToHex } from '@safemesh/protocol'

const SESSION_COOKIE = 'safemesh_session'
/** A session unused this long is closed. */
const IDLE_MS = 60 * 60 * 1000
/** Each session holds a network client: a bound on what a loopback caller can make the gateway hold. */
const MAX_SESSIONS = 32

export interface Session {
  readonly token: string
  readonly client: SafeMeshClient
  /** The account's name, hex. */
  readonly account: string
  readonly createdAt: number
  lastUsed: number
}

export class Sessions {
  private readonly byToken = new Map<string, Session>()
  private readonly clientOptions: ClientOptions

  constructor (clientOptions: ClientOptions) {
    this.clientOptions = clientOptions
  }

  /** Logs in (InvalidCredentials / NoSuchAccount from the network) and opens a session. */
  async login (secret: string, password: string, signal?: AbortSignal): Promise<Session> {
    await this.closeIdle()
    if (this.byToken.size >= MAX_SESSIONS) await this.closeOldest()
    const client = await login({ secret, password }, { ...this.clientOptions, ...(signal != null ? { signal } : {}) })
    const account = client.account
    if (account === undefined) {
      await client.close()
      throw new Error('a login gave no account')
    }
    const now = Date.now()
    const session: Session = { token: randomBytes(32).toString('base64url'), client, account: xorNameToHex(account), createdAt: now, lastUsed: now }
    this.byToken.set(session.token, session)
    return session
  }

  /** The live session a request carries (cookie or bearer token), if any. */
  fromRequest (req: IncomingMessage): Session | undefined {
    const token = tokenOf(req)
    if (token === undefined) return undefined
    for (const [known, session] of this.byToken) {
      if (sameToken(known, token)) {
        if (Date.now() - session.lastUsed > IDLE_MS) return undefined
        session.lastUsed = Date.now()
        return session
      }
    }
    return undefined
  }

  async logout (session: Session): Promise<void> {
    this.byToken.delete(session.token)
    await session.client.close()
  }

  async closeAll (): Promise<void> {
    const all = [...this.byToken.values()]
    this.byToken.clear()
    await Promise.all(all.map(async s => { await s.client.close() }))
  }

  private async closeIdle (): Promise<void> {
    const now = Date.now()
    for (const session of [...this.byToken.values()]) {
      if (now - session.lastUsed > IDLE_MS) await this.logout(session)
    }
  }

  private async closeOldest (): Promise<void> {
    const oldest = [...this.byToken.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0]
    if (oldest !== undefined) await this.logout(oldest)
  }
}

/** The Set-Cookie value that hands a session to a browser (cleared with an empty token). */
export function sessionCookie (token: string): string {
  const age = token === '' ? 0 : IDLE_MS / 1000
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${age}`
}

function tokenOf (req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization
  if (auth !== undefined && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim()
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === SESSION_COOKIE) return value.join('=')
  }
  return undefined
}

function sameToken (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
