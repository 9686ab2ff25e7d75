import { beforeAll, describe, expect, it } from 'vitest'
import { cryptoReady } from '@safemesh/crypto'
import { TYPE_TAG_PUBLIC_ID, TYPE_TAG_WEB_SERVICE, publicIdName, xorNameToHex } from '@safemesh/protocol'
import type { SafeMeshClient, SiteEntry, SiteFile } from '../src/index.js'
import { FakeNetwork } from './support/fake-network.js'
import { accountClient, collect, connectedClient, expectCode, pseudoRandomBytes, utf8 } from './support/helpers.js'

beforeAll(cryptoReady)

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

function siteOf (files: Record<string, string | Uint8Array>): SiteFile[] {
  return Object.entries(files).map(([path, content]) => {
    const bytes = typeof content === 'string' ? utf8(content) : content
    return { path, size: bytes.length, content: () => [bytes] }
  })
}

async function readAll (client: SafeMeshClient, publicId: string, version?: number): Promise<Record<string, string>> {
  const record = await client.web().resolve(publicId, 'www', version !== undefined ? { version } : {})
  const site = client.web().site(record.directory)
  const out: Record<string, string> = {}
  for await (const entry of site.list()) {
    if (entry.kind === 'file') out[entry.path] = text(await collect(site.read(entry)))
  }
  return out
}

describe('DNS and sites through the in-memory network', () => {
  const network = new FakeNetwork()
  let owner: SafeMeshClient
  let other: SafeMeshClient
  let reader: SafeMeshClient

  beforeAll(async () => {
    owner = (await accountClient(network)).client
    other = (await accountClient(network)).client
    reader = await connectedClient(network)
  })

  it('registers a public id at SHA3-256 of it, first come first served, recorded in _publicNames', async () => {
    const registered = await owner.web().register('mysite')
    expect(xorNameToHex(registered.name)).toBe(xorNameToHex(publicIdName('mysite')))
    expect(registered.services).toEqual([])
    const md = await reader.getMData({ name: registered.name, tag: TYPE_TAG_PUBLIC_ID })
    expect(md.owners).toEqual([owner.owner])
    expect(md.permissions.size).toBe(0)
    await expectCode(other.web().register('mysite'), 'DataExists')
    // Registering one's own id again only finishes what is missing.
    await owner.web().register('mysite')
    expect((await owner.web().list()).map(p => p.publicId)).toEqual(['mysite'])
    expect(await owner.fs.stat('_publicNames/mysite')).toMatchObject({ kind: 'file', mediaType: 'application/json' })
    await expectCode(owner.web().register('Not-Valid'), 'InvalidRequest')
    await expectCode(reader.web().register('readers-cannot'), 'AccessDenied')
  })

  it('publishes a site, which a connected client resolves and reads, folders and ranges included', async () => {
    const video = pseudoRandomBytes(50_000, 'video')
    const result = await owner.web().publish([
      ...siteOf({ 'index.html': '<h1>v1</h1>', 'css/site.css': 'h1 { color: red }', 'docs/a/b.txt': 'deep' }),
      { path: 'media/clip.mp4', size: video.length, content: () => [video] }
    ], { publicId: 'mysite' })
    expect(result).toMatchObject({ service: 'www', version: 1, files: 4, bytes: 11 + 17 + 4 + video.length })

    const resolved = await reader.web().resolve('mysite')
    expect(xorNameToHex(resolved.directory)).toBe(xorNameToHex(result.directory))
    const head = await reader.getMDataShell({ name: resolved.directory, tag: TYPE_TAG_WEB_SERVICE })
    expect(head.owners).toEqual([owner.owner])
    expect(head.permissions.size).toBe(0)

    const site = reader.web().site(resolved.directory)
    const index = await site.lookup('index.html')
    expect(index).toMatchObject({ kind: 'file', path: 'index.html', size: 11, mediaType: 'text/html; charset=utf-8' })
    expect(await site.lookup('css/site.css')).toMatchObject({ mediaType: 'text/css; charset=utf-8' })
    expect(await site.lookup('')).toEqual({ kind: 'folder', path: '' })
    expect(await site.lookup('docs/a/')).toEqual({ kind: 'folder', path: 'docs/a' })
    expect(await site.lookup('docs')).toEqual({ kind: 'folder', path: 'docs' })
    expect(await site.lookup('missing.html')).toBeUndefined()
    await expectCode(site.lookup('../x'), 'InvalidRequest')

    const clip = await site.lookup('media/clip.mp4') as SiteEntry & { kind: 'file' }
    expect(clip.mediaType).toBe('video/mp4')
    const part = await collect(site.read(clip, { range: { offset: 40_000, length: 5_000 } }))
    expect(Buffer.from(part).equals(Buffer.from(video.subarray(40_000, 45_000)))).toBe(true)
    expect(await reader.fileSize(clip.file)).toBe(video.length)
    expect(await reader.fileSize(xorNameToHex(clip.file))).toBe(video.length)

    const listed = []
    for await (const entry of site.list()) listed.push(entry.path)
    expect(listed.sort()).toEqual(['css', 'css/site.css', 'docs', 'docs/a', 'docs/a/b.txt', 'index.html', 'media', 'media/clip.mp4'])
  })

  it('republishes as a new version; earlier versions stay readable through history', async () => {
    await owner.web().publish(siteOf({ 'index.html': '<h1>v2</h1>', 'about.html': 'about v2' }), { publicId: 'mysite', service: 'www' })
    expect(await readAll(reader, 'mysite')).toEqual({ 'index.html': '<h1>v2</h1>', 'about.html': 'about v2' })
    expect((await readAll(reader, 'mysite', 1))['index.html']).toBe('<h1>v1</h1>')
    const history = await reader.web().history('mysite')
    expect(history.map(r => r.version)).toEqual([1, 2])
    expect((await reader.web().resolve('mysite')).version).toBe(2)
    await expectCode(reader.web().resolve('mysite', 'www', { version: 3 }), 'NoSuchEntry')
    const [listed] = await owner.web().list()
    expect(listed?.services.map(s => [s.service, s.version])).toEqual([['www', 2]])
  })

  it('lets only the owner change services; a removed service resolves to NoSuchEntry and keeps its history', async () => {
    const current = await reader.web().resolve('mysite')
    await expectCode(other.web().addService('mysite', 'www', current.directory), 'AccessDenied')
    await expectCode(other.web().removeService('mysite', 'www'), 'AccessDenied')
    await expectCode(other.web().publish(siteOf({ 'index.html': 'not mine' }), { publicId: 'mysite' }), 'AccessDenied')
    await expectCode(owner.web().publish(siteOf({ 'index.html': 'x' }), { publicId: 'unregistered' }), 'NoSuchData')
    await expectCode(owner.web().publish(siteOf({ 'a.html': 'x', 'A.html/../a.html': 'y' }), { publicId: 'mysite' }), 'InvalidRequest')

    const blog = await owner.web().addService('mysite', 'blog', current.directory)
    expect(blog).toMatchObject({ service: 'blog', version: 1 })
    expect((await reader.web().resolve('mysite', 'blog')).version).toBe(1)
    await owner.web().removeService('mysite', 'blog')
    await expectCode(reader.web().resolve('mysite', 'blog'), 'NoSuchEntry')
    await expectCode(owner.web().removeService('mysite', 'blog'), 'NoSuchEntry')
    expect((await reader.web().history('mysite', 'blog')).map(r => r.version)).toEqual([1])
    // Pointed again after removal, the service goes on counting.
    expect((await owner.web().addService('mysite', 'blog', current.directory)).version).toBe(2)
    await expectCode(reader.web().resolve('nobody-here'), 'NoSuchData')
  })
})
