/**
 * A site published by the CLI, opened in Chromium through the `safemesh gateway` process (issue 16):
 * styles apply, images decode, links navigate, a Range into a 20 MiB video gives exactly those bytes,
 * and a publish during reading shows each page load wholly one version.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { request, type IncomingMessage } from 'node:http'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { createAccount } from '@safemesh/client'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'
import { runNode, type ProcessRun } from './support/process.js'
import { launchBrowser, type TestBrowser } from './support/browser.js'
import { solidPng } from './support/png.js'

const G = 8
const CLI = fileURLToPath(new URL('../packages/cli/dist/src/bin/safemesh.js', import.meta.url))
const MiB = 2 ** 20
const VIDEO = randomBytes(20 * MiB)

interface Version { marker: string, color: string }
const V1: Version = { marker: 'version one', color: 'rgb(12, 34, 56)' }
const V2: Version = { marker: 'version two', color: 'rgb(65, 43, 21)' }

async function writeSite (root: string, version: Version): Promise<void> {
  const [r, g, b] = version.color.match(/\d+/g)?.map(Number) as [number, number, number]
  const files: Record<string, string | Buffer> = {
    'index.html': `<!doctype html><html><head><title>${version.marker}</title><link rel="stylesheet" href="style.css"></head>
<body><h1>${version.marker}</h1><img id="wide" src="img/wide.png" alt="wide"><img id="small" src="img/small.png" alt="small">
<p><a id="next" href="page2.html">the second page</a> · <a href="movie.mp4">the film</a></p></body></html>`,
    'style.css': `h1 { color: rgb(${r}, ${g}, ${b}); font-family: serif }`,
    'page2.html': '<!doctype html><html><head><link rel="stylesheet" href="style.css"></head><body><p id="second">the second page</p></body></html>',
    'img/wide.png': solidPng(40, 30, [r, g, b]),
    'img/small.png': solidPng(16, 16, [b, g, r]),
    'movie.mp4': VIDEO
  }
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), content)
  }
}

/** A GET to the gateway on 127.0.0.1 with a Host header of our choice (Node does not resolve *.localhost). */
async function get (port: number, host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }> {
  const req = request({ host: '127.0.0.1', port, path, headers: { ...headers, host: `${host}:${port}` } })
  req.end()
  const [res] = await once(req, 'response') as [IncomingMessage]
  const parts: Buffer[] = []
  for await (const part of res) parts.push(part as Buffer)
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }
}

/** What a page shows: its heading's text and colour (the stylesheet's doing). */
async function shown (page: Page): Promise<Version> {
  return await page.evaluate<Version>(`(() => {
    const h1 = document.querySelector('h1')
    return { marker: h1 ? h1.textContent : '', color: h1 ? getComputedStyle(h1).color : '' }
  })()`)
}

describe(`a site in Chromium through the gateway, 12 nodes (G = ${G})`, () => {
  let testnet: Testnet
  let dir: string
  let gateway: ChildProcess | undefined
  let port: number
  let browser: TestBrowser
  let page: Page
  const env = { SAFEMESH_SECRET: `site owner ${randomBytes(8).toString('hex')}`, SAFEMESH_PASSWORD: 'site password: amber kestrel 51' }
  const publicId = `site-${randomBytes(4).toString('hex')}`

  const cli = async (args: string[]): Promise<ProcessRun> => await runNode([CLI, '--network', testnet.networkFile, ...args], { cwd: dir, env })
  const site = (path = ''): string => `http://localhost:${port}/safe/www.${publicId}/${path}`

  beforeAll(async () => {
    testnet = await startTestnet(12, { groupSize: G })
    dir = await mkdtemp(join(tmpdir(), 'safemesh-site-'))
    await writeSite(join(dir, 'v1'), V1)
    await writeSite(join(dir, 'v2'), V2)
    // The CLI logs in with the default (memory-hard) KDF, so the account is made with it.
    await (await createAccount({ secret: env.SAFEMESH_SECRET, password: env.SAFEMESH_PASSWORD }, { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt } })).close()
    for (const args of [['dns', 'register', publicId], ['web', 'publish', 'v1', '--as', `www.${publicId}`, '--json']]) {
      const run = await cli(args)
      expect(run.code, run.stderr).toBe(0)
    }
    gateway = spawn(process.execPath, [CLI, '--network', testnet.networkFile, 'gateway', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
    const [line] = await once(gateway.stdout as NodeJS.ReadableStream, 'data') as [Buffer]
    port = (JSON.parse(line.toString()) as { port: number }).port
    browser = await launchBrowser()
    page = await browser.page()
  })
  afterAll(async () => {
    await browser?.close()
    if (gateway?.exitCode === null) {
      gateway.kill('SIGTERM')
      await once(gateway, 'exit')
    }
    await stopTestnet(testnet)
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('opens the site in Chromium: the CSS applies, both images decode, the link navigates (path and host forms)', async () => {
    for (const url of [site(), `http://www.${publicId}.localhost:${port}/`]) {
      await page.goto(url)
      expect(await shown(page), url).toEqual(V1)
      const widths = await page.evaluate<number[]>('Promise.all([...document.images].map(img => img.decode().then(() => img.naturalWidth)))')
      expect(widths).toEqual([40, 16])
      await browser.screenshot(page, url.includes('/safe/') ? 'site-path-form' : 'site-host-form')
      await page.click('#next')
      await expect.poll(async () => await page.locator('#second').textContent()).toBe('the second page')
    }
  })

  it('a Range request into the 20 MiB video returns exactly those bytes; the raw file revalidates by its ETag', async () => {
    await page.goto(site())
    const [offset, end] = [10_485_000, 10_486_023]
    const answer = await page.evaluate<{ status: number, contentRange: string | null, bytes: number[] }>(`fetch(${JSON.stringify(site('movie.mp4'))}, { headers: { Range: 'bytes=${offset}-${end}' } })
      .then(async res => ({ status: res.status, contentRange: res.headers.get('content-range'), bytes: Array.from(new Uint8Array(await res.arrayBuffer())) }))`)
    expect(answer.status).toBe(206)
    expect(answer.contentRange).toBe(`bytes ${offset}-${end}/${VIDEO.length}`)
    expect(Buffer.from(answer.bytes).equals(VIDEO.subarray(offset, end + 1))).toBe(true)

    const head = await get(port, 'localhost', `/safe/www.${publicId}/movie.mp4`, { range: 'bytes=0-0' })
    const etag = head.headers.etag as string
    expect(head.headers['content-type']).toBe('video/mp4')
    const raw = await get(port, 'localhost', `/file/${etag.replaceAll('"', '')}?name=movie.mp4`, { range: 'bytes=-16' })
    expect(raw.status).toBe(206)
    expect(raw.body.equals(VIDEO.subarray(VIDEO.length - 16))).toBe(true)
    expect(raw.headers['cache-control']).toContain('immutable')
    expect((await get(port, 'localhost', `/file/${etag.replaceAll('"', '')}`, { 'if-none-match': etag })).status).toBe(304)

    const missing = await get(port, 'localhost', `/safe/www.${publicId}/nothing-here.html`)
    expect(missing.status).toBe(404)
    expect(missing.body.toString()).toContain('Not found')
    expect((await get(port, 'evil.example', '/')).status).toBe(421)
  })

  it('publishing a new version while Chromium reloads the page shows each load wholly one version; the old one stays at @1', async () => {
    const publish = { done: false }
    const publishing = cli(['web', 'publish', 'v2', '--as', `www.${publicId}`, '--json']).finally(() => { publish.done = true })
    const seen = { v1: 0, v2: 0 }
    for (let afterDone = 0; !publish.done || (seen.v2 === 0 && afterDone < 20); afterDone += publish.done ? 1 : 0) {
      await page.goto(site())
      const now = await shown(page)
      if (now.marker === V1.marker && now.color === V1.color) seen.v1++
      else if (now.marker === V2.marker && now.color === V2.color) seen.v2++
      else expect.fail(`a page mixing versions: ${JSON.stringify(now)}`)
    }
    const published = await publishing
    expect(published.code, published.stderr).toBe(0)
    expect(seen.v1, 'the old site was shown while publishing').toBeGreaterThan(0)
    expect(seen.v2, 'the new site was shown once published').toBeGreaterThan(0)
    await browser.screenshot(page, 'site-version-two')

    await page.goto(`http://localhost:${port}/safe/www.${publicId}@1/`)
    expect(await shown(page)).toEqual(V1)
  })
})
