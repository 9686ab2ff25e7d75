/**
 * The app requests waiting for the owner (issue 16): held in memory only, at most `maxHeld` at
 * once (an app process on this machine could otherwise fill the gateway), each forgotten after
 * `ttlMs`. A request's id names it on the page; its secret, which only the app holds, is what its
 * answer (and the credentials) is released to, once, after which the gateway forgets it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { AppAccessRequest, AppRequestAnswer, AppRequestTicket, AuthorisedApp } from '@safemesh/client'
import { HttpError } from '../http.js'

type Status = 'pending' | 'approving' | 'approved' | 'denied'

interface Held {
  readonly id: string
  readonly code: string
  readonly secretHash: Buffer
  readonly request: AppAccessRequest
  readonly createdAt: number
  /** A pending request expires then; an answered one is forgotten then if nobody collected it. */
  expiresAt: number
  status: Status
  credentials?: AuthorisedApp
  readonly waiters: Set<() => void>
}

/** A request as the page shows it (no secret, no credentials). */
export interface PendingAppRequest extends AppAccessRequest {
  id: string
  code: string
  status: 'pending' | 'approving'
  createdAt: string
  expiresAt: string
}

export interface AppRequestsOptions {
  maxHeld?: number
  ttlMs?: number
  now?: () => number
}

const DEFAULT_MAX_HELD = 32
const DEFAULT_TTL_MS = 10 * 60_000

export class AppRequests {
  private readonly held = new Map<string, Held>()
  private readonly maxHeld: number
  private readonly ttlMs: number
  private readonly now: () => number

  constructor (options: AppRequestsOptions = {}) {
    this.maxHeld = options.maxHeld ?? DEFAULT_MAX_HELD
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS
    this.now = options.now ?? Date.now
  }

  /** Holds a new request (429 when `maxHeld` are held) and returns its ticket for the app. */
  add (request: AppAccessRequest, consoleOrigin: string): AppRequestTicket {
    this.sweep()
    if (this.held.size >= this.maxHeld) throw new HttpError(429, 'InvalidRequest', `${this.maxHeld} app requests are waiting already: answer or let them expire first`)
    const id = randomBytes(16).toString('hex')
    const secret = randomBytes(32).toString('base64url')
    const now = this.now()
    const held: Held = {
      id,
      code: codeOf(id),
      secretHash: hashOf(secret),
      request,
      createdAt: now,
      expiresAt: now + this.ttlMs,
      status: 'pending',
      waiters: new Set()
    }
    this.held.set(id, held)
    return { id, secret, code: held.code, expiresAt: new Date(held.expiresAt).toISOString(), approveAt: `${consoleOrigin}/#request-${id}` }
  }

  /** The requests waiting for the owner, oldest first. */
  pending (): PendingAppRequest[] {
    this.sweep()
    return [...this.held.values()]
      .filter((h): h is Held & { status: 'pending' | 'approving' } => h.status === 'pending' || h.status === 'approving')
      .map(h => ({
        id: h.id,
        code: h.code,
        status: h.status,
        app: h.request.app,
        containers: h.request.containers.map(c => ({ name: c.name, access: [...c.access] })),
        ownContainer: h.request.ownContainer,
        createdAt: new Date(h.createdAt).toISOString(),
        expiresAt: new Date(h.expiresAt).toISOString()
      }))
  }

  /**
   * The answer for the holder of the request's secret; a final one (approved, denied) is
   * handed out once and the request forgotten. 404 for a request not held, 403 for another secret.
   */
  collect (id: string, secret: string): AppRequestAnswer {
    const held = this.own(id, secret)
    if (held.status === 'approved' || held.status === 'denied') {
      this.held.delete(id)
      return { id, status: held.status, ...(held.credentials !== undefined ? { credentials: held.credentials } : {}) }
    }
    if (held.status === 'pending' && this.now() >= held.expiresAt) {
      this.held.delete(id)
      return { id, status: 'expired' }
    }
    return { id, status: 'pending' }
  }

  /**
   * Waits up to `timeoutMs` (and never past the request's expiry) for an answer, then collects it.
   * Rejects with the signal's reason when it aborts: then nothing is collected.
   */
  async wait (id: string, secret: string, timeoutMs: number, signal: AbortSignal): Promise<AppRequestAnswer> {
    const held = this.own(id, secret)
    if (held.status === 'pending' || held.status === 'approving') {
      await new Promise<void>((resolve, reject) => {
        const stop = (): void => {
          clearTimeout(timer)
          held.waiters.delete(done)
          signal.removeEventListener('abort', aborted)
        }
        const done = (): void => {
          stop()
          resolve()
        }
        const aborted = (): void => {
          stop()
          reject(signal.reason)
        }
        // An approval under way is not cut short by the expiry.
        const left = held.status === 'pending' ? held.expiresAt - this.now() : timeoutMs
        const timer = setTimeout(done, Math.max(0, Math.min(timeoutMs, left)))
        held.waiters.add(done)
        if (signal.aborted) aborted()
        else signal.addEventListener('abort', aborted, { once: true })
      })
    }
    return this.collect(id, secret)
  }

  /** Marks a pending request as being approved and returns it (409 when it is not pending). */
  beginApproval (id: string): AppAccessRequest {
    const held = this.answerable(id)
    held.status = 'approving'
    return held.request
  }

  /** The approval failed: the request waits again (the owner may retry or deny it). */
  abandonApproval (id: string): void {
    const held = this.held.get(id)
    if (held?.status === 'approving') held.status = 'pending'
  }

  approve (id: string, credentials: AuthorisedApp): void {
    const held = this.held.get(id)
    if (held?.status !== 'approving') throw new HttpError(409, 'InvalidOperation', 'the request is not being approved')
    this.settle(held, 'approved', credentials)
  }

  deny (id: string): void {
    this.settle(this.answerable(id), 'denied')
  }

  /** The app gave up (its secret proves it): the request leaves the page. */
  withdraw (id: string, secret: string): void {
    const held = this.own(id, secret)
    if (held.status === 'approving') throw new HttpError(409, 'InvalidOperation', 'the owner is approving the request now')
    this.held.delete(id)
    for (const wake of [...held.waiters]) wake()
  }

  private settle (held: Held, status: 'approved' | 'denied', credentials?: AuthorisedApp): void {
    held.status = status
    if (credentials !== undefined) held.credentials = credentials
    // Kept for the app to collect, at most one more time-to-live.
    held.expiresAt = this.now() + this.ttlMs
    for (const wake of [...held.waiters]) wake()
  }

  private answerable (id: string): Held {
    this.sweep()
    const held = this.held.get(id)
    if (held === undefined) throw new HttpError(404, 'NoSuchData', 'no such app request (answered, withdrawn or expired)')
    if (held.status !== 'pending') throw new HttpError(409, 'InvalidOperation', `the request is ${held.status} already`)
    return held
  }

  private own (id: string, secret: string): Held {
    this.sweep(id)
    const held = this.held.get(id)
    if (held === undefined) throw new HttpError(404, 'NoSuchData', 'no such app request (answered, withdrawn or expired)')
    if (!timingSafeEqual(held.secretHash, hashOf(secret))) throw new HttpError(403, 'AccessDenied', 'that is not this request\'s secret')
    return held
  }

  /** Forgets expired requests (but `keep`, whose holder is asking now and is told it expired). */
  private sweep (keep?: string): void {
    const now = this.now()
    for (const held of [...this.held.values()]) {
      if (held.id === keep || held.status === 'approving' || now < held.expiresAt) continue
      this.held.delete(held.id)
      for (const wake of [...held.waiters]) wake()
    }
  }
}

function hashOf (secret: string): Buffer {
  return createHash('sha256').update(secret).digest()
}

/** `ab12-cd34`: what the app prints and the page shows, to tell requests apart at a glance. */
function codeOf (id: string): string {
  return `${id.slice(0, 4)}-${id.slice(4, 8)}`.toUpperCase()
}
