import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAccount, createClient, requestAppAccess, type SafeMeshClient } from '@safemesh/client'
import { cryptoReady } from '@safemesh/crypto'
import { FakeNetwork } from '../../client/test/support/fake-network.js'
import { clientOptions } from '../../client/test/support/helpers.js'
import { startGateway, type Gateway } from '../src/gateway.js'

// The console's HTTP API on an in-memory network: the page's files, the account panel, and app
// approval end to end (the library call, the owner's session, the same-origin guard).
describe('the console API', () => {
  const network = new FakeNetwork()
  const secret = `console owner ${Math.random()}`
  const password = 'console password: harbour kite 58'
  let gateway: Gateway
  let owner: SafeMeshClient
  let cookie: string
  let closed = false

  beforeAll(async () => {
    await cryptoReady()
    owner = await createAccount({ secret, password }, clientOptions(network))
    gateway = await startGateway({ client: clientOptions(network), port: 0 })
  })
  afterAll(async () => {
    if (!closed) await gateway?.close()
    await owner?.close()
  })

  const call = async (path: string, init: RequestInit = {}): Promise<{ status: number, body: Record<string, unknown>, headers: Headers }> => {
    const res = await fetch(gateway.consoleUrl + path, init)
    const text = await res.text()
    let body: Record<string, unknown> = {}
    try { body = JSON.parse(text) as Record<string, unknown> } catch { body = { text } }
    return { status: res.status, body, headers: res.headers }
  }
  const asOwner = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { cookie, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } })
  const pending = async (): Promise<Array<{ id: string, app: string, code: string }>> =>
    (await call('/api/app-requests', asOwner())).body['requests'] as Array<{ id: string, app: string, code: string }>

  it('serves the page with a strict Content-Security-Policy, and nothing outside ui/', async () => {
    const page = await call('/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/)
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(page.body['text']).toContain('id="nodes-table"')
    const script = await call('/ui/app.js')
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/)
    for (const path of ['/ui/..%2Fpackage.json', '/ui/.hidden.js', '/ui/missing.js', '/ui/app.ts']) expect((await call(path)).status, path).toBe(404)
  })

  it('says so when it runs without a testnet', async () => {
    const nodes = await call('/api/nodes')
    expect(nodes.status).toBe(200)
    expect(nodes.body).toMatchObject({ nodes: [], note: expect.stringMatching(/without a testnet/) })
    expect(nodes.body['testnet']).toBeUndefined()
    const group = await call('/api/close-group/hello')
    expect(group.status).toBe(404)
    expect(group.body).toMatchObject({ error: { code: 'NoSuchData', message: expect.stringMatching(/no testnet/) } })
  })

  it('keeps the account and the pending requests to a logged-in session', async () => {
    for (const path of ['/api/account', '/api/app-requests']) expect((await call(path)).status, path).toBe(401)
    const refused = await call('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret, password: 'wrong password' }) })
    expect(refused.body).toMatchObject({ error: { code: 'InvalidCredentials' } })
    const res = await fetch(`${gateway.consoleUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret, password }) })
    expect(res.status).toBe(200)
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string
    const account = await call('/api/account', asOwner())
    expect(account.status).toBe(200)
    expect(account.body).toMatchObject({ mutationsDone: expect.any(Number), mutationsAvailable: expect.any(Number), apps: [] })
  })

  it('an app asks, the owner approves, the app gets credentials that write the granted container', async () => {
    let shown: { id: string, code: string, approveAt: string } | undefined
    let waiting!: () => void
    const onPage = new Promise<void>(resolve => { waiting = resolve })
    const asked = requestAppAccess({
      gateway: gateway.consoleUrl,
      app: 'notes',
      containers: [{ name: '_documents', access: ['read', 'insert'] }],
      onWaiting: (ticket) => { shown = ticket; waiting() }
    })
    await onPage
    expect(shown?.approveAt).toBe(`${gateway.consoleUrl}/#request-${shown?.id}`)
    expect(await pending()).toEqual([expect.objectContaining({ id: shown?.id, app: 'notes', code: shown?.code, containers: [{ name: '_documents', access: ['read', 'insert'] }] })])
    expect((await call(`/api/app-requests/${shown?.id}?secret=guess&wait=0`)).status, 'another secret').toBe(403)
    expect((await fetch(`${gateway.consoleUrl}/api/app-requests/${shown?.id}?secret=guess`, { method: 'HEAD' })).status, 'a poll without a body').toBe(405)

    const approved = await call(`/api/app-requests/${shown?.id}/approve`, asOwner({ method: 'POST', body: '{}' }))
    expect(approved.status).toBe(200)
    expect(approved.body).toMatchObject({ status: 'approved', app: 'notes' })
    expect(JSON.stringify(approved.body), 'the page never sees the credentials').not.toContain('credentials')
    const credentials = await asked
    expect(credentials).toMatchObject({ app: 'notes', key: approved.body['key'], containers: [{ name: '_documents', access: ['read', 'insert'] }] })

    const app = await createClient({ ...clientOptions(network), app: credentials.credentials })
    try {
      await app.fs.write('_documents/from-the-app.txt', [new TextEncoder().encode('hello')])
    } finally {
      await app.close()
    }
    expect((await call('/api/account', asOwner())).body['apps']).toEqual([{ app: 'notes', key: credentials.key, authorised: true, containers: [{ name: '_documents', access: ['read', 'insert'] }] }])
    expect(await pending()).toEqual([])
  })

  it('a request of another origin cannot approve, even with the session; a denied app is told AccessDenied', async () => {
    let waiting!: (id: string) => void
    const onPage = new Promise<string>(resolve => { waiting = resolve })
    const asked = requestAppAccess({ gateway: gateway.consoleUrl, app: 'sneaky', containers: [{ name: '_documents', access: ['read'] }], onWaiting: (t) => { waiting(t.id) } })
    const outcome = asked.then(() => 'approved', (err: { code?: string }) => err.code)
    const id = await onPage
    const forged: Array<Record<string, string>> = [
      { origin: 'http://localhost:' + gateway.port },
      { origin: 'http://evil.example' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' }
    ]
    for (const headers of forged) {
      const res = await call(`/api/app-requests/${id}/approve`, asOwner({ method: 'POST', body: '{}', headers }))
      expect(res.status, JSON.stringify(headers)).toBe(403)
      expect(res.body).toMatchObject({ error: { code: 'AccessDenied' } })
    }
    // A form post (no preflight) is not JSON.
    expect((await call(`/api/app-requests/${id}/approve`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415)
    expect((await call(`/api/app-requests/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 'no session').toBe(401)
    expect(await pending(), 'still waiting, nothing approved').toEqual([expect.objectContaining({ id, app: 'sneaky' })])

    expect((await call(`/api/app-requests/${id}/deny`, asOwner({ method: 'POST', body: '{}' }))).body).toEqual({ id, status: 'denied' })
    expect(await outcome).toBe('AccessDenied')
    expect((await call(`/api/app-requests/${id}/approve`, asOwner({ method: 'POST', body: '{}' }))).status, 'answered and collected').toBe(404)
  })

  it('an app that gives up withdraws its request; a malformed request is refused', async () => {
    const controller = new AbortController()
    const asked = requestAppAccess({ gateway: gateway.consoleUrl, app: 'impatient', ownContainer: true, signal: controller.signal, onWaiting: () => { controller.abort(new Error('gave up')) } })
    await expect(asked).rejects.toThrow('gave up')
    expect(await pending()).toEqual([])
    const post = async (body: unknown): Promise<number> => (await call('/api/app-requests', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status
    expect(await post({ app: 'x', containers: [{ name: '_documents', access: ['fly'] }] })).toBe(400)
    expect(await post({ app: '', containers: [{ name: '_documents', access: ['read'] }] })).toBe(400)
    expect(await post({ app: 'x' })).toBe(400)
    expect(await post({ app: 'x', containers: 'all' })).toBe(400)
    expect((await call('/api/app-requests', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://localhost:1' }, body: '{"app":"x","ownContainer":true}' })).status, 'a page of another origin').toBe(403)
  })

  it('closing the gateway ends a long poll', async () => {
    const ticket = (await call('/api/app-requests', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app: 'waits', ownContainer: true }) })).body as { id: string, secret: string }
    const poll = fetch(`${gateway.consoleUrl}/api/app-requests/${ticket.id}?secret=${encodeURIComponent(ticket.secret)}`).then(res => res.status, () => 'cut')
    // The poll is held by the server before it closes: the pending list shows the request either way.
    expect(await pending()).toEqual([expect.objectContaining({ id: ticket.id })])
    closed = true
    await gateway.close()
    expect(await poll).toBe('cut')
  })
})
