import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { createAccount, createClient, requestAppAccess, type ClientOptions } from '@safemesh/client'
import { startGateway, type Gateway } from '@safemesh/gateway'
import { sha3_256, xorNameToHex } from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import { launchBrowser, type TestBrowser } from './support/browser.js'
import { codeOf } from './support/error-code.js'
import { runNode } from './support/process.js'
import { startTestnet, stopTestnet } from './support/testnet.js'

const NODES = 12
const G = 8
const CLI = fileURLToPath(new URL('../packages/cli/dist/src/bin/safemesh.js', import.meta.url))
// Cheap Argon2id for the test's account; the gateway logs in with the same, through its client options.
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }
/** How long the page may take to show what the test waits for: a bound for a hang, not a measurement. */
const PAGE_WAIT = { timeout: 60_000 }

async function collect (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return new Uint8Array(Buffer.concat(parts))
}

/** A `safemesh` process the test talks to while it runs (an app waiting for approval). */
interface CliProcess {
  readonly child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves once stderr matches, rejects if the process exits first. */
  stderrMatching: (pattern: RegExp) => Promise<RegExpMatchArray>
  exited: Promise<number | null>
}

describe(`the console page in Chromium on a ${NODES}-node testnet (G = ${G})`, () => {
  const secret = `console owner ${randomBytes(8).toString('hex')}`
  const password = 'console password: copper heron 73'
  const children = new Set<ChildProcess>()
  let testnet: Testnet
  let gateway: Gateway | undefined
  let browser: TestBrowser | undefined
  let attacker: Server | undefined
  let page: Page
  let env: Record<string, string>
  let options: ClientOptions

  beforeAll(async () => {
    testnet = await startTestnet(NODES, { groupSize: G })
    options = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt }, kdf: KDF }
    const account = await createAccount({ secret, password }, options)
    await account.close()
    gateway = await startGateway({ client: options, port: 0, testnetDir: testnet.dir })
    env = { SAFEMESH_NETWORK: testnet.networkFile }
    browser = await launchBrowser()
    page = await browser.page()
    await page.goto(gateway.consoleUrl)
  })
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    attacker?.close()
    await browser?.close().catch(() => {})
    await gateway?.close().catch(() => {})
    await stopTestnet(testnet)
  })

  const consoleUrl = (): string => (gateway as Gateway).consoleUrl
  // Page code is given as text (this project's TypeScript has no DOM types); waits are the page's own
  // locators (the page's CSP refuses the eval a text predicate would need).
  const inPage = async <T>(expression: string): Promise<T> => await page.evaluate<T>(expression)
  /** Waits until `selector` matches exactly `n` elements. */
  const untilCount = async (selector: string, n: number): Promise<void> => {
    await page.locator(selector).nth(n - 1).waitFor(PAGE_WAIT)
    await page.locator(selector).nth(n).waitFor({ state: 'detached', ...PAGE_WAIT })
  }
  const UP_ROWS = '#nodes-body tr[data-state="up"]'
  const shot = async (name: string): Promise<void> => { await (browser as TestBrowser).screenshot(page, name) }

  function startCli (args: string[], extraEnv: Record<string, string> = {}): CliProcess {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<number | null>(resolve => child.once('close', (code) => { children.delete(child); resolve(code) }))
    return {
      child,
      stdout: () => stdout,
      stderr: () => stderr,
      exited,
      stderrMatching: async (pattern) => await new Promise((resolve, reject) => {
        const check = (): void => {
          const match = stderr.match(pattern)
          if (match === null) return
          child.stderr?.off('data', check)
          resolve(match)
        }
        child.stderr?.on('data', check)
        void exited.then(() => { reject(new Error(`safemesh exited before printing ${String(pattern)}: ${stderr}`)) })
        check()
      })
    }
  }

  /** The page's request item for an app, once it shows. */
  async function requestOnPage (app: string, code: string): Promise<void> {
    const item = page.locator(`#requests-list li[data-app="${app}"]`)
    await item.waitFor(PAGE_WAIT)
    expect(await item.locator('.code').textContent()).toBe(code)
  }

  it('lists every node of the testnet as up, with its peer id and routing table', async () => {
    await untilCount(UP_ROWS, NODES)
    const rows = await inPage<Array<{ index: number, peerId: string, routing: number }>>(`[...document.querySelectorAll('#nodes-body tr')].map(tr => ({
      index: Number(tr.dataset.nodeIndex), peerId: tr.dataset.peerId, routing: Number(tr.children[3].textContent)
    }))`)
    expect(rows.map(r => r.index)).toEqual([...Array(NODES).keys()])
    expect(rows.map(r => r.peerId)).toEqual(testnet.records().map(r => r.peerId))
    for (const row of rows) expect(row.routing, `node ${row.index}'s routing table`).toBeGreaterThanOrEqual(NODES - 1)
    expect(await page.locator('#nodes-summary').textContent()).toContain(`${NODES} of ${NODES} up · G = ${G}`)
    await shot('nodes-up')
  })

  it('shows the close group of a typed name as a node\'s /close-group/<hex> gives it', async () => {
    const name = 'the close group of this text'
    await page.fill('#close-group-name', name)
    await page.click('#close-group-submit')
    const result = page.locator(`#close-group-result[data-name="${name}"]`)
    await result.waitFor(PAGE_WAIT)
    const hex = xorNameToHex(sha3_256(new TextEncoder().encode(name)))
    expect(await result.getAttribute('data-hex')).toBe(hex)
    const asked = Number(await result.getAttribute('data-node-index'))
    const shown = await inPage<string[]>('[...document.querySelectorAll(\'#close-group-members li\')].map(li => li.dataset.peerId)')
    expect(shown).toHaveLength(G)
    expect(shown).toEqual(await testnet.closeGroupSeenBy(asked, hex))
    // The group's rows are marked in the nodes table.
    await untilCount('#nodes-body tr[data-in-group="true"]', G)
    await shot('close-group')
  })

  it('logs in through the form, keeping the secret and password out of the browser\'s storage', async () => {
    await page.fill('#login-secret', secret)
    await page.fill('#login-password', password)
    await page.click('#login-submit')
    await page.locator('#account-panel').waitFor({ state: 'visible', ...PAGE_WAIT })
    await page.locator('#mutations-left', { hasText: /^\d+$/ }).waitFor(PAGE_WAIT)
    const stored = await inPage<string>('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, inputs: [...document.querySelectorAll(\'input\')].map(i => i.value) })')
    expect(stored).not.toContain(secret)
    expect(stored).not.toContain(password)
    const cookies = await page.context().cookies()
    expect(cookies).toEqual([expect.objectContaining({ name: 'safemesh_session', httpOnly: true, sameSite: 'Strict', domain: '127.0.0.1' })])
    await shot('logged-in')
  })

  it('an app asks with `safemesh app request`, the owner approves on the page, and the app writes to the granted container', async () => {
    const app = startCli(['app', 'request', 'notes', '--container', '_documents:read,insert', '--gateway', consoleUrl(), '--json'])
    const [, url, code] = await app.stderrMatching(/waiting for approval at (\S+) \(request code ([0-9A-F]{4}-[0-9A-F]{4})\)/) as string[]
    expect(url).toMatch(new RegExp(`^${consoleUrl()}/#request-[0-9a-f]{32}$`))
    await requestOnPage('notes', code as string)
    expect(await page.locator('#requests-list li[data-app="notes"] .grants').textContent()).toContain('_documents: read, insert')
    await shot('app-request')
    const clicked = performance.now()
    await page.click('#requests-list li[data-app="notes"] button[data-action="approve"]')
    expect(await app.exited, app.stderr()).toBe(0)
    console.info(`the waiting app had its credentials ${Math.round(performance.now() - clicked)} ms after the click on Approve`)
    const granted = JSON.parse(app.stdout()) as { app: string, key: string, credentials: string, containers: unknown }
    expect(granted).toMatchObject({ app: 'notes', key: expect.stringMatching(/^[0-9a-f]{64}$/), containers: [{ name: '_documents', access: ['read', 'insert'] }] })
    await page.locator('#apps-list li[data-app="notes"]').waitFor(PAGE_WAIT)
    await page.locator('#requests-list li[data-app="notes"]').waitFor({ state: 'detached', ...PAGE_WAIT })
    await shot('app-approved')

    const dir = testnet.dir
    const file = join(dir, 'from-the-app.txt')
    await writeFile(file, 'written by the approved app')
    const asApp = { ...env, SAFEMESH_APP: granted.credentials }
    const put = await runNode([CLI, 'fs', 'put', file, '_documents/notes/from-the-app.txt', '--json'], { cwd: dir, env: asApp })
    expect(put.code, put.stderr).toBe(0)
    // The same credentials in the library: they read it back, and open nothing but _documents.
    const client = await createClient({ ...options, app: granted.credentials })
    try {
      expect(Buffer.from(await collect(client.fs.read('_documents/notes/from-the-app.txt'))).toString()).toBe('written by the approved app')
      expect(await codeOf(client.fs.write('_music/from-the-app.txt', [new TextEncoder().encode('no')]))).toBe('AccessDenied')
    } finally {
      await client.close()
    }
  })

  it('a denied app is told AccessDenied and exits 3', async () => {
    const app = startCli(['app', 'request', 'intruder', '--container', '_documents:read', '--gateway', consoleUrl()])
    const [, , code] = await app.stderrMatching(/waiting for approval at (\S+) \(request code (\S+)\)/) as string[]
    await requestOnPage('intruder', code as string)
    await page.click('#requests-list li[data-app="intruder"] button[data-action="deny"]')
    expect(await app.exited).toBe(3)
    expect(app.stderr()).toMatch(/AccessDenied: the owner denied intruder access/)
    expect(app.stdout()).toBe('')
    await page.locator('#requests-list li[data-app="intruder"]').waitFor({ state: 'detached', ...PAGE_WAIT })
  })

  it('a page of another origin cannot approve a request, even carrying the owner\'s cookie', async () => {
    let settled = false
    let ticket!: (id: string) => void
    const shown = new Promise<string>(resolve => { ticket = resolve })
    const asked = requestAppAccess({ gateway: consoleUrl(), app: 'cross-site', containers: [{ name: '_documents', access: ['read'] }], onWaiting: (t) => { ticket(t.id) } })
    const outcome = codeOf(asked).finally(() => { settled = true })
    const id = await shown
    await page.locator('#requests-list li[data-app="cross-site"]').waitFor(PAGE_WAIT)

    // A tiny site on another port of 127.0.0.1 (same site: the SameSite=Strict cookie goes along) and on localhost (another site).
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(ATTACK_PAGE)
    })
    attacker.listen(0, '127.0.0.1')
    await once(attacker, 'listening')
    const port = (attacker.address() as AddressInfo).port
    const target = `${consoleUrl()}/api/app-requests/${id}/approve`
    const statuses: number[] = []
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const evil = await page.context().newPage()
      evil.on('response', (res) => { if (res.url() === target) statuses.push(res.status()) })
      await evil.goto(`${origin}/?target=${encodeURIComponent(target)}`)
      await evil.waitForFunction('window.results.done === true', undefined, PAGE_WAIT)
      const results = await evil.evaluate<Record<string, unknown>>('window.results')
      // The JSON post needs a CORS preflight, which the gateway never grants; the simple one is sent and refused.
      expect(results, origin).toMatchObject({ json: 'blocked', simple: 'opaque' })
      await evil.close()
    }
    expect(statuses.length).toBeGreaterThan(0)
    expect(new Set(statuses)).toEqual(new Set([403]))

    expect(settled, 'the app still waits').toBe(false)
    const item = page.locator('#requests-list li[data-app="cross-site"]')
    expect(await item.getAttribute('data-status')).toBe('pending')
    await page.click('#requests-list li[data-app="cross-site"] button[data-action="deny"]')
    expect(await outcome).toBe('AccessDenied')
    const apps = await inPage<string[]>('fetch(\'/api/account\').then(res => res.json()).then(account => account.apps.map(a => a.app))')
    expect(apps).toEqual(['notes'])
  })

  it('shows a killed node as down within seconds, the others still up', async () => {
    await testnet.kill(5)
    const killed = performance.now()
    await page.locator('#nodes-body tr[data-node-index="5"][data-state="down"]').waitFor(PAGE_WAIT)
    // Reported, not asserted (no timing assertions): the page polls every second.
    console.info(`the page showed node 5 as down ${Math.round(performance.now() - killed)} ms after the kill`)
    await untilCount(UP_ROWS, NODES - 1)
    expect(await page.locator('#nodes-summary').textContent()).toContain(`${NODES - 1} of ${NODES} up`)
    await shot('node-down')
  })
})

/** What a hostile page would try: the approval as JSON (needs a preflight) and as a simple no-cors POST. */
const ATTACK_PAGE = `<!doctype html><html><body><p>an ordinary page</p><script>
window.results = {}
const target = new URL(location.href).searchParams.get('target')
;(async () => {
  try {
    const res = await fetch(target, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: '{}' })
    results.json = res.status
  } catch { results.json = 'blocked' }
  try {
    const res = await fetch(target, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{}' })
    results.simple = res.type
  } catch (err) { results.simple = 'error ' + err.message }
  results.done = true
})()
</script></body></html>`
