import { request, type IncomingMessage } from 'node:http'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAccount, type SafeMeshClient } from '@safemesh/client'
import { cryptoReady } from '@safemesh/crypto'
import { FakeNetwork } from '../../client/test/support/fake-network.js'
import { clientOptions, utf8 } from '../../client/test/support/helpers.js'
import { startGateway, type Gateway } from '../src/gateway.js'

interface Got { status: number, headers: IncomingMessage['headers'], body: string }

// The content origins on an in-memory network: names, versions and pins, folders, Range and ETags,
// and the pages a person sees when something is missing or the network does not answer.
describe('the content origins', () => {
  const network = new FakeNetwork()
  let gateway: Gateway
  let owner: SafeMeshClient
  const publicId = 'pinsite'

  const site = (marker: string): Array<{ path: string, content: () => Uint8Array[] }> => [
    { path: 'index.html', content: () => [utf8(`<h1>${marker}</h1>`)] },
    { path: 'style.css', content: () => [utf8(`/* ${marker} */`)] },
    { path: 'docs/index.html', content: () => [utf8('docs')] },
    { path: 'docs/empty/note.txt', content: () => [utf8('0123456789')] }
  ]

  beforeAll(async () => {
    await cryptoReady()
    owner = await createAccount({ secret: `content owner ${Math.random()}`, password: 'content password: ember finch 27' }, clientOptions(network))
    await owner.web().register(publicId)
    await owner.web().publish(site('one'), { publicId })
    gateway = await startGateway({ client: clientOptions(network, { requestTimeout: 300, retry: { attempts: 1 } }), port: 0 })
  })
  afterAll(async () => {
    await gateway?.close()
    await owner?.close()
  })

  const get = async (host: string, path: string, headers: Record<string, string> = {}): Promise<Got> => {
    const req = request({ host: '127.0.0.1', port: gateway.port, path, headers: { ...headers, host: `${host}:${gateway.port}` } })
    req.end()
    const [res] = await once(req, 'response') as [IncomingMessage]
    let body = ''
    for await (const piece of res) body += (piece as Buffer).toString()
    return { status: res.statusCode ?? 0, headers: res.headers, body }
  }
  const pinOf = (got: Got): string => String(got.headers['set-cookie']?.[0]).split(';')[0] as string

  it('serves both URL forms, index.html for folders, redirects to the slash, and a plain 404 page', async () => {
    expect((await get('localhost', `/safe/www.${publicId}/`)).body).toBe('<h1>one</h1>')
    expect((await get(`www.${publicId}.localhost`, '/')).body).toBe('<h1>one</h1>')
    expect((await get(`${publicId}.localhost`, '/style.css')).headers['content-type']).toBe('text/css; charset=utf-8')
    expect(await get('localhost', `/safe/www.${publicId}`)).toMatchObject({ status: 301, headers: { location: `/safe/www.${publicId}/` } })
    // A folder under a name may become a file with the next publish: not a permanent redirect; under @N it is.
    expect(await get('localhost', `/safe/www.${publicId}/docs`)).toMatchObject({ status: 302, headers: { location: `/safe/www.${publicId}/docs/`, 'cache-control': 'no-cache' } })
    expect(await get('localhost', `/safe/www.${publicId}@1/docs?a=1`)).toMatchObject({ status: 301, headers: { location: `/safe/www.${publicId}@1/docs/?a=1`, 'cache-control': 'public, max-age=31536000, immutable' } })
    expect((await get('localhost', `/safe/www.${publicId}/docs/`)).body).toBe('docs')
    const noIndex = await get('localhost', `/safe/www.${publicId}/docs/empty/`)
    expect(noIndex.status).toBe(404)
    expect(noIndex.body).toContain('a folder without index.html')
    const missing = await get('localhost', `/safe/www.${publicId}/nope.html`)
    expect(missing).toMatchObject({ status: 404, headers: { 'content-type': 'text/html; charset=utf-8' } })
    expect(missing.body).toContain('NoSuchEntry')
    expect((await get('localhost', '/safe/www.nobody-here/')).body).toContain('No such site')
    expect((await get('localhost', `/safe/www.${publicId}/a%2F..%2Fx`)).status).toBe(400)
  })

  it('answers Range and If-None-Match by the file\'s content address', async () => {
    const part = await get('localhost', `/safe/www.${publicId}/docs/empty/note.txt`, { range: 'bytes=2-4' })
    expect(part).toMatchObject({ status: 206, body: '234', headers: { 'content-range': 'bytes 2-4/10', 'accept-ranges': 'bytes' } })
    const etag = part.headers.etag as string
    expect((await get('localhost', `/safe/www.${publicId}/docs/empty/note.txt`, { 'if-none-match': etag })).status).toBe(304)
    expect((await get('localhost', `/safe/www.${publicId}/docs/empty/note.txt`, { range: 'bytes=10-' })).status).toBe(416)
    const raw = await get('localhost', `/file/${etag.replaceAll('"', '')}?name=note.txt`)
    expect(raw).toMatchObject({ status: 200, body: '0123456789', headers: { 'cache-control': 'public, max-age=31536000, immutable', 'content-type': 'text/plain; charset=utf-8' } })
    expect((await get('localhost', '/file/abc')).status).toBe(404)
  })

  it('a page\'s subresources come from the version its document came from; @N is always N; a stale pin falls back', async () => {
    const page = await get('localhost', `/safe/www.${publicId}/`, { 'sec-fetch-dest': 'document' })
    const pin = pinOf(page)
    expect(pin).toBe('safemesh_site_version=1')
    await owner.web().publish(site('two'), { publicId })
    // The stylesheet of the page loaded before the publish: still version one.
    expect((await get('localhost', `/safe/www.${publicId}/style.css`, { cookie: pin, 'sec-fetch-dest': 'style' })).body).toBe('/* one */')
    // A new document load gets version two, and pins it.
    const reload = await get('localhost', `/safe/www.${publicId}/`, { cookie: pin, 'sec-fetch-dest': 'document' })
    expect([reload.body, pinOf(reload)]).toEqual(['<h1>two</h1>', 'safemesh_site_version=2'])
    expect((await get('localhost', `/safe/www.${publicId}@1/style.css`)).body).toBe('/* one */')
    expect((await get('localhost', `/safe/www.${publicId}/style.css`, { cookie: 'safemesh_site_version=9', 'sec-fetch-dest': 'style' })).body).toBe('/* two */')
    expect((await get('localhost', `/safe/www.${publicId}@9/`)).status).toBe(404)
  })

  it('says so in a page when the network does not answer', async () => {
    const behaviours = network.nodes.map(node => node.behaviour)
    for (const node of network.nodes) node.behaviour = 'silent'
    try {
      const silent = await get('localhost', '/safe/www.another-site/')
      expect(silent.status).toBeGreaterThanOrEqual(502)
      expect(silent.body).toMatch(/Timeout|NoQuorum/)
    } finally {
      network.nodes.forEach((node, i) => { node.behaviour = behaviours[i] ?? 'honest' })
    }
  })
})
