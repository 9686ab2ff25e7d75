import { describe, expect, it } from 'vitest'
import type { AppAccessRequest, AuthorisedApp } from '@safemesh/client'
import { sha3_256, xorNameToHex } from '@safemesh/protocol'
import { AppRequests } from '../src/console/app-requests.js'
import { nameTarget } from '../src/console/name-target.js'
import { RateTracker, sumCounter } from '../src/console/request-rate.js'

const CONSOLE = 'http://127.0.0.1:8080'
const REQUEST: AppAccessRequest = { app: 'notes', containers: [{ name: '_documents', access: ['insert', 'read'] }], ownContainer: false }
const CREDENTIALS: AuthorisedApp = { app: 'notes', key: 'ab'.repeat(32), credentials: 'secret credentials', containers: REQUEST.containers }

/** A store on a clock the test moves. */
function store (options: { maxHeld?: number, ttlMs?: number } = {}): { requests: AppRequests, clock: { now: number } } {
  const clock = { now: 1_000_000 }
  return { requests: new AppRequests({ ...options, now: () => clock.now }), clock }
}

const statusOf = (err: unknown): number | undefined => (err as { status?: number }).status

function refusal (work: () => unknown): number | undefined {
  try {
    work()
  } catch (err) {
    return statusOf(err)
  }
  return undefined
}

describe('app requests held by the console', () => {
  it('hands the app a ticket and the page the request, without the secret', () => {
    const { requests } = store()
    const ticket = requests.add(REQUEST, CONSOLE)
    expect(ticket.id).toMatch(/^[0-9a-f]{32}$/)
    expect(ticket.secret.length).toBeGreaterThanOrEqual(43)
    expect(ticket.code).toBe(`${ticket.id.slice(0, 4)}-${ticket.id.slice(4, 8)}`.toUpperCase())
    expect(ticket.approveAt).toBe(`${CONSOLE}/#request-${ticket.id}`)
    const pending = requests.pending()
    expect(pending).toEqual([expect.objectContaining({ id: ticket.id, code: ticket.code, status: 'pending', app: 'notes', containers: REQUEST.containers, ownContainer: false })])
    expect(JSON.stringify(pending)).not.toContain(ticket.secret)
  })

  it('holds at most maxHeld requests (429), and room comes back as they are answered', () => {
    const { requests } = store({ maxHeld: 2 })
    const first = requests.add(REQUEST, CONSOLE)
    requests.add(REQUEST, CONSOLE)
    expect(refusal(() => requests.add(REQUEST, CONSOLE))).toBe(429)
    requests.deny(first.id)
    // Denied but not yet collected: the app still has to learn it, so it still counts.
    expect(refusal(() => requests.add(REQUEST, CONSOLE))).toBe(429)
    expect(requests.collect(first.id, first.secret).status).toBe('denied')
    expect(requests.add(REQUEST, CONSOLE).id).toMatch(/^[0-9a-f]{32}$/)
  })

  it('releases the answer to the holder of the secret only, and only once', () => {
    const { requests } = store()
    const ticket = requests.add(REQUEST, CONSOLE)
    expect(refusal(() => requests.collect(ticket.id, 'not the secret'))).toBe(403)
    expect(refusal(() => requests.collect(ticket.id, ''))).toBe(403)
    expect(refusal(() => requests.collect('f'.repeat(32), ticket.secret))).toBe(404)
    expect(requests.collect(ticket.id, ticket.secret)).toEqual({ id: ticket.id, status: 'pending' })

    expect(requests.beginApproval(ticket.id)).toEqual(REQUEST)
    expect(refusal(() => requests.beginApproval(ticket.id)), 'approved twice at once').toBe(409)
    expect(refusal(() => { requests.deny(ticket.id) }), 'denied while being approved').toBe(409)
    expect(requests.pending()).toEqual([expect.objectContaining({ id: ticket.id, status: 'approving' })])
    expect(requests.collect(ticket.id, ticket.secret).status, 'the app waits on').toBe('pending')
    requests.approve(ticket.id, CREDENTIALS)
    expect(requests.pending()).toEqual([])

    expect(refusal(() => requests.collect(ticket.id, 'not the secret'))).toBe(403)
    expect(requests.collect(ticket.id, ticket.secret)).toEqual({ id: ticket.id, status: 'approved', credentials: CREDENTIALS })
    expect(refusal(() => requests.collect(ticket.id, ticket.secret)), 'collected already').toBe(404)
  })

  it('puts a request whose approval failed back on the page', () => {
    const { requests } = store()
    const ticket = requests.add(REQUEST, CONSOLE)
    requests.beginApproval(ticket.id)
    requests.abandonApproval(ticket.id)
    expect(requests.pending()).toEqual([expect.objectContaining({ id: ticket.id, status: 'pending' })])
    requests.deny(ticket.id)
    expect(requests.collect(ticket.id, ticket.secret)).toEqual({ id: ticket.id, status: 'denied' })
  })

  it('expires a request nobody answered: the app is told once, the page forgets it', () => {
    const { requests, clock } = store({ ttlMs: 60_000 })
    const told = requests.add(REQUEST, CONSOLE)
    const silent = requests.add(REQUEST, CONSOLE)
    clock.now += 59_999
    expect(requests.pending()).toHaveLength(2)
    clock.now += 1
    expect(requests.collect(told.id, told.secret)).toEqual({ id: told.id, status: 'expired' })
    expect(refusal(() => requests.collect(told.id, told.secret))).toBe(404)
    expect(requests.pending()).toEqual([])
    expect(refusal(() => requests.collect(silent.id, silent.secret)), 'swept').toBe(404)
    expect(refusal(() => { requests.deny(silent.id) })).toBe(404)
  })

  it('does not expire a request while it is being approved', () => {
    const { requests, clock } = store({ ttlMs: 60_000 })
    const ticket = requests.add(REQUEST, CONSOLE)
    requests.beginApproval(ticket.id)
    clock.now += 120_000
    expect(requests.pending()).toHaveLength(1)
    expect(requests.collect(ticket.id, ticket.secret).status).toBe('pending')
    requests.approve(ticket.id, CREDENTIALS)
    expect(requests.collect(ticket.id, ticket.secret).status).toBe('approved')
  })

  it('lets the app withdraw its own request only', () => {
    const { requests } = store()
    const ticket = requests.add(REQUEST, CONSOLE)
    expect(refusal(() => { requests.withdraw(ticket.id, 'guess') })).toBe(403)
    requests.withdraw(ticket.id, ticket.secret)
    expect(requests.pending()).toEqual([])
  })

  it('a long poll ends as soon as the owner answers, or with "pending" when its time is up', async () => {
    const { requests } = store()
    const ticket = requests.add(REQUEST, CONSOLE)
    const never = new AbortController().signal
    expect(await requests.wait(ticket.id, ticket.secret, 10, never)).toEqual({ id: ticket.id, status: 'pending' })
    const waiting = requests.wait(ticket.id, ticket.secret, 60_000, never)
    requests.deny(ticket.id)
    expect(await waiting).toEqual({ id: ticket.id, status: 'denied' })
  })

  it('a long poll aborted (the client left, the gateway closes) collects nothing', async () => {
    const { requests } = store()
    const ticket = requests.add(REQUEST, CONSOLE)
    const controller = new AbortController()
    const waiting = requests.wait(ticket.id, ticket.secret, 60_000, controller.signal)
    controller.abort(new Error('gone'))
    await expect(waiting).rejects.toThrow('gone')
    requests.deny(ticket.id)
    expect(requests.collect(ticket.id, ticket.secret).status, 'still there for the next poll').toBe('denied')
  })
})

describe('request rates from a node\'s metrics', () => {
  const metrics = (ok: number, refused: number): string => [
    '# HELP safemesh_requests_total Requests served, by message type and outcome (ok or the error code)',
    '# TYPE safemesh_requests_total counter',
    `safemesh_requests_total{type="GetMData",outcome="ok"} ${ok}`,
    `safemesh_requests_total{type="PutMData",outcome="AccessDenied"} ${refused}`,
    'safemesh_requests_total_created 12',
    'safemesh_requests_in_flight 3',
    `safemesh_request_duration_seconds_count{type="GetMData"} ${ok}`
  ].join('\n')

  it('sums every series of the counter and nothing else', () => {
    expect(sumCounter(metrics(40, 2), 'safemesh_requests_total')).toBe(42)
    expect(sumCounter('safemesh_requests_total 7\n', 'safemesh_requests_total')).toBe(7)
    expect(sumCounter('safemesh_requests_total{type="a b}"} 1.5e3', 'safemesh_requests_total')).toBe(1500)
    expect(sumCounter('# nothing yet\n', 'safemesh_requests_total')).toBeUndefined()
  })

  it('is the counter\'s rise over the seconds between samples, over a window of about 5 s', () => {
    const rates = new RateTracker()
    expect(rates.record('0:1', 100, 0), 'one sample: no rate yet').toBeUndefined()
    expect(rates.record('0:1', 150, 1000)).toBe(50)
    expect(rates.record('0:1', 170, 2000)).toBe(35)
    for (let t = 3000; t <= 10_000; t += 1000) rates.record('0:1', 170 + (t - 2000) / 100, t)
    // Steady at 10/s for the last 8 s: the early burst has left the window.
    expect(rates.record('0:1', 260, 11_000)).toBe(10)
    expect(rates.record('1:2', 5, 0)).toBeUndefined()
    expect(rates.record('1:2', 5, 1000)).toBe(0)
  })

  it('starts again when a counter goes down (a restarted node) and forgets nodes gone', () => {
    const rates = new RateTracker()
    rates.record('0:1', 500, 0)
    expect(rates.record('0:1', 3, 1000)).toBeUndefined()
    expect(rates.record('0:1', 13, 2000)).toBe(10)
    rates.retain(['1:1'])
    expect(rates.record('0:1', 23, 3000), 'forgotten').toBeUndefined()
  })
})

describe('the name a person types', () => {
  it('is 64 hex digits as they are (lowercased), any other text by its SHA3-256', () => {
    const hex = 'AB'.repeat(32)
    expect(nameTarget(hex)).toEqual({ hex: hex.toLowerCase(), hashed: false })
    expect(nameTarget('hello')).toEqual({ hex: xorNameToHex(sha3_256(new TextEncoder().encode('hello'))), hashed: true })
    expect(nameTarget('ab'.repeat(31)).hashed, '62 digits are text').toBe(true)
  })
})
