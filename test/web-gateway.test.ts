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
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'
import type { ProcessRun } from './support/process.js'
import { launchBrowser, type TestBrowser } from './support/browser.js'
import { solidPng } from './support/png.js'

const G = 8
const CLI = fileURLToPath(new URL('../packages/cli/dist/src/bin/safemesh.js', import.meta.url))
const MiB = 2 ** 20
const VIDEO = randomBytes(20 * MiB)
/** Page loads allowed after the publish process exits before the new site must show (a bound for a hang). */
const LOADS_AFTER_PUBLISH = 20

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
  let port: number
  let browser: TestBrowser | undefined
  let page: Page
  const env = { SAFEMESH_SECRET: `site owner ${randomBytes(8).toString('hex')}`, SAFEMESH_PASSWORD: 'site password: amber kestrel 51' }
  const publicId = `site-${randomBytes(4).toString('hex')}`
  /** Every `safemesh` process still running, with how to wait for its end: afterAll stops them. */
  const running = new Map<ChildProcess, Promise<unknown>>()

  function start (args: string[]): { child: ChildProcess, done: Promise<ProcessRun> } {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, ...env, SAFEMESH_NETWORK: testnet.networkFile }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
    const done = new Promise<ProcessRun>(resolve => child.once('close', code => { running.delete(child); resolve({ code, stdout, stderr }) }))
    running.set(child, done)
    return { child, done }
  }
  const cli = async (args: string[]): Promise<ProcessRun> => await start(args).done
  const site = (path = ''): string => `http://localhost:${port}/safe/www.${publicId}/${path}`

  beforeAll(async () => {
    testnet = await startTestnet(12, { groupSize: G })
    dir = await mkdtemp(join(tmpdir(), 'safemesh-site-'))
    await writeSite(join(dir, 'v1'), V1)
    await writeSite(join(dir, 'v2'), V2)
    for (const args of [['account', 'create'], ['dns', 'register', publicId], ['web', 'publish', 'v1', '--as', `www.${publicId}`, '--json']]) {
      const run = await cli(args)
      expect(run.code, `safemesh ${args.join(' ')}: ${run.stderr}`).toBe(0)
    }
    const gateway = start(['gateway', '--port', '0', '--json'])
    const line = await Promise.race([
      once(createInterface({ input: gateway.child.stdout as NodeJS.ReadableStream }), 'line') as Promise<[string]>,
      gateway.done.then(run => { throw new Error(`the gateway exited (${run.code}) before listening: ${run.stderr}`) })
    ])
    port = (JSON.parse(line[0]) as { port: number }).port
    browser = await launchBrowser()
    page = await browser.page()
  })
  afterAll(async () => {
    await browser?.close().catch(() => {})
    // The gateway stops on SIGTERM; a CLI left running only by a failed test needs no grace.
    for (const [child, done] of running) {
      child.kill(child.spawnargs.includes('gateway') ? 'SIGTERM' : 'SIGKILL')
      await done
    }
    await stopTestnet(testnet)
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('opens the site in Chromium: the CSS applies, both images decode, the link navigates (path and host forms)', async () => {
    for (const [form, url] of [['path-form', site()], ['host-form', `http://www.${publicId}.localhost:${port}/`]] as const) {
      const response = await page.goto(url)
      expect(response?.status(), url).toBe(200)
      expect(response?.headers()['x-safemesh-site'], url).toMatch(new RegExp(`^www\\.${publicId}@1 [0-9a-f]{64}$`))
      expect(await shown(page), url).toEqual(V1)
      // decode() waits for each image's load and rejects one that does not decode.
      const sizes = await page.evaluate<number[][]>('Promise.all([...document.images].map(img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])))')
      expect(sizes, url).toEqual([[40, 30], [16, 16]])
      await browser?.screenshot(page, `site-${form}`)
      await Promise.all([page.waitForURL(`${url}page2.html`), page.click('#next')])
      expect(await page.locator('#second').textContent(), url).toBe('the second page')
    }
  })

  it('a Range request into the 20 MiB video returns exactly those bytes; the raw file revalidates by its ETag; a missing page is a 404 page', async () => {
    await page.goto(site())
    const [offset, end] = [10_485_000, 10_486_023]
    const answer = await page.evaluate<{ status: number, contentRange: string | null, bytes: number[] }>(`fetch(${JSON.stringify(site('movie.mp4'))}, { headers: { Range: 'bytes=${offset}-${end}' } })
      .then(async res => ({ status: res.status, contentRange: res.headers.get('content-range'), bytes: Array.from(new Uint8Array(await res.arrayBuffer())) }))`)
    expect(answer.status).toBe(206)
    expect(answer.contentRange).toBe(`bytes ${offset}-${end}/${VIDEO.length}`)
    expect(Buffer.from(answer.bytes).equals(VIDEO.subarray(offset, end + 1))).toBe(true)

    // The site's answer tags the video with its file address: the raw /file/<address> serves the same bytes.
    const head = await get(port, 'localhost', `/safe/www.${publicId}/movie.mp4`, { range: 'bytes=0-0' })
    const etag = head.headers.etag as string
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/)
    expect(head.headers['content-type']).toBe('video/mp4')
    const address = etag.replaceAll('"', '')
    const raw = await get(port, 'localhost', `/file/${address}?name=movie.mp4`, { range: 'bytes=-16' })
    expect(raw.status).toBe(206)
    expect(raw.body.equals(VIDEO.subarray(VIDEO.length - 16))).toBe(true)
    expect(raw.headers['cache-control']).toContain('immutable')
    const revalidated = await get(port, 'localhost', `/file/${address}`, { 'if-none-match': etag })
    expect(revalidated.status).toBe(304)
    expect(revalidated.body.length).toBe(0)

    const missing = await page.goto(site('nothing-here.html'))
    expect(missing?.status()).toBe(404)
    expect(await page.locator('h1').textContent()).toMatch(/not found/i)
    await browser?.screenshot(page, 'site-not-found')
    expect((await get(port, 'evil.example', '/')).status).toBe(421)
  })

  it('publishing a new version while Chromium reloads the page shows each load wholly one version; the old one stays at @1', async () => {
    const publishing = start(['web', 'publish', 'v2', '--as', `www.${publicId}`, '--json']).done
    let published: ProcessRun | undefined
    void publishing.then(run => { published = run })
    /** Each load as `1` or `2`, `|` where the publish process was seen to have exited. */
    let loads = ''
    let afterExit = 0
    while (afterExit < LOADS_AFTER_PUBLISH) {
      const exited = published !== undefined
      if (exited && !loads.includes('|')) loads += '|'
      const response = await page.goto(site())
      const now = await shown(page)
      const version = now.marker === V1.marker && now.color === V1.color ? 1 : now.marker === V2.marker && now.color === V2.color ? 2 : undefined
      expect(version, `a page mixing versions after loads ${loads}: ${JSON.stringify(now)}`).toBeDefined()
      // The gateway says which version it served the document from: the one the page shows.
      expect(response?.headers()['x-safemesh-site']).toMatch(new RegExp(`@${version} `))
      loads += String(version)
      if (exited) {
        afterExit++
        if (version === 2) break
      }
    }
    const run = await publishing
    expect(run.code, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ publicId, service: 'www', version: 2 })
    process.stderr.write(`page loads during and after the publish (1/2: the version shown, |: publish exited): ${loads}\n`)
    expect(loads.at(-1), `the new site within ${LOADS_AFTER_PUBLISH} loads of the publish's end: ${loads}`).toBe('2')
    await browser?.screenshot(page, 'site-version-two')

    await page.goto(`http://localhost:${port}/safe/www.${publicId}@1/`)
    expect(await shown(page)).toEqual(V1)
  })
})
