import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClientOptions, type SafeMeshClient, createAccount, createClient, login } from '@safemesh/client'
import { PUBLIC_ID_ENTRY, TYPE_TAG_PUBLIC_ID, newMutableData, publicIdName, randomXorName, xorNameToHex } from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'
import { runNode, type ProcessRun } from './support/process.js'
import { codeOf } from './support/error-code.js'
import { collect, utf8 } from './support/text.js'

const G = 8
const CLI = fileURLToPath(new URL('../packages/cli/dist/src/bin/safemesh.js', import.meta.url))

type SiteFiles = Record<string, string>

/** Two versions of one site: every file changes, one goes, one comes. */
const V1: SiteFiles = {
  'index.html': '<h1>version one</h1><a href="about.html">about</a>',
  'about.html': '<p>about, version one</p>',
  'css/site.css': 'h1 { color: rgb(1, 1, 1) }',
  'img/old.txt': 'only in version one'
}
const V2: SiteFiles = {
  'index.html': '<h1>version two</h1><a href="about.html">about</a>',
  'about.html': '<p>about, version two</p>',
  'css/site.css': 'h1 { color: rgb(2, 2, 2) }',
  'img/new.txt': 'only in version two'
}

async function writeSite (root: string, files: SiteFiles): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), content)
  }
  // Left out by default: never published by accident.
  await mkdir(join(root, '.git'), { recursive: true })
  await writeFile(join(root, '.git', 'HEAD'), 'ref: refs/heads/main')
}

/** One snapshot as a reader sees it: resolve the service, then list and read every file of that site. */
async function snapshot (reader: SafeMeshClient, publicId: string, version?: number): Promise<SiteFiles> {
  const record = await reader.web().resolve(publicId, 'www', version !== undefined ? { version } : {})
  const site = reader.web().site(record.directory)
  const out: SiteFiles = {}
  for await (const entry of site.list()) {
    if (entry.kind === 'file') out[entry.path] = await collect(site.read(entry))
  }
  return out
}

describe(`DNS and site publishing on a 12-node testnet (G = ${G})`, () => {
  let testnet: Testnet
  let options: ClientOptions
  let dir: string
  let reader: SafeMeshClient
  const password = 'web password: cobalt heron 62'
  const ownerEnv = { SAFEMESH_SECRET: `web owner ${randomBytes(8).toString('hex')}`, SAFEMESH_PASSWORD: password }
  const otherEnv = { SAFEMESH_SECRET: `web other ${randomBytes(8).toString('hex')}`, SAFEMESH_PASSWORD: password }
  let publicId: string
  let v1Directory: string

  beforeAll(async () => {
    testnet = await startTestnet(12, { groupSize: G })
    options = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt } }
    dir = await mkdtemp(join(tmpdir(), 'safemesh-web-'))
    await writeSite(join(dir, 'site1'), V1)
    await writeSite(join(dir, 'site2'), V2)
    // The command line logs in with the default (memory-hard) KDF: the accounts are made with it too.
    for (const env of [ownerEnv, otherEnv]) await (await createAccount({ secret: env.SAFEMESH_SECRET, password }, options)).close()
    reader = await createClient(options)
    publicId = `site-${randomBytes(4).toString('hex')}`
  })
  afterAll(async () => {
    await reader?.close()
    await stopTestnet(testnet)
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  const cli = async (args: string[], env: Record<string, string> = {}): Promise<ProcessRun> =>
    await runNode([CLI, '--network', testnet.networkFile, ...args], { cwd: dir, env })
  const json = <T>(run: ProcessRun): T => JSON.parse(run.stdout) as T

  it('registers a public id through the CLI; another account can neither take it nor change it', async () => {
    const registered = await cli(['dns', 'register', publicId, '--json'], ownerEnv)
    expect(registered.code, registered.stderr).toBe(0)
    expect(json(registered)).toEqual({ publicId, name: xorNameToHex(publicIdName(publicId)), tag: TYPE_TAG_PUBLIC_ID })

    const taken = await cli(['dns', 'register', publicId], otherEnv)
    expect(taken.code).toBe(3)
    expect(taken.stderr).toContain('DataExists')

    const published = await cli(['web', 'publish', 'site1', '--as', `www.${publicId}`, '--json'], ownerEnv)
    expect(published.code, published.stderr).toBe(0)
    const result = json<{ publicId: string, service: string, directory: string, version: number, files: number, bytes: number }>(published)
    expect(result).toMatchObject({ publicId, service: 'www', version: 1, files: 4, bytes: Object.values(V1).reduce((n, c) => n + utf8(c).length, 0) })
    v1Directory = result.directory

    const changed = await cli(['dns', 'add-service', publicId, 'www', v1Directory, '--json'], otherEnv)
    expect(changed.code).toBe(3)
    expect(json<{ error: { code: string } }>(changed).error.code).toBe('AccessDenied')
    const removed = await cli(['dns', 'rm-service', publicId, 'www', '--json'], otherEnv)
    expect(removed.code).toBe(3)
    expect(json<{ error: { code: string } }>(removed).error.code).toBe('AccessDenied')
  })

  it('refuses a public id\'s data anywhere but at SHA3-256 of the id (the network\'s rule)', async () => {
    const client = await login({ secret: otherEnv.SAFEMESH_SECRET, password }, options)
    try {
      const owner = client.owner as Uint8Array
      const entries = [{ key: utf8(PUBLIC_ID_ENTRY), content: utf8('elsewhere') }]
      expect(await codeOf(client.putMData(newMutableData({ name: randomXorName(), tag: TYPE_TAG_PUBLIC_ID, owners: [owner], entries })))).toBe('InvalidOperation')
      expect(await codeOf(client.putMData(newMutableData({ name: publicIdName('elsewhere'), tag: TYPE_TAG_PUBLIC_ID, owners: [owner] })))).toBe('InvalidOperation')
    } finally {
      await client.close()
    }
  })

  it('a connected client (no account) resolves and reads the site; `dns ls` shows it without credentials', async () => {
    expect(await snapshot(reader, publicId)).toEqual(V1)
    const site = reader.web().site((await reader.web().resolve(publicId)).directory)
    expect(await site.lookup('index.html')).toMatchObject({ kind: 'file', mediaType: 'text/html; charset=utf-8' })
    expect(await site.lookup('css')).toEqual({ kind: 'folder', path: 'css' })
    expect(await site.lookup('.git/HEAD')).toBeUndefined()

    const ls = await cli(['dns', 'ls', publicId, '--json'])
    expect(ls.code, ls.stderr).toBe(0)
    expect(json<{ services: Array<{ service: string, directory: string, version: number }> }>(ls).services).toEqual([
      expect.objectContaining({ service: 'www', directory: v1Directory, version: 1 })
    ])
  })

  it('republishing while a reader reads: every snapshot is wholly the old site or wholly the new one', async () => {
    const publish = { done: false }
    const publishing = cli(['web', 'publish', 'site2', '--as', publicId, '--json'], ownerEnv).finally(() => { publish.done = true })
    const seen = { v1: 0, v2: 0 }
    // Read until the publish has finished and the new site has been seen (bounded, no sleeps).
    for (let afterDone = 0; !publish.done || (seen.v2 === 0 && afterDone < 50); afterDone += publish.done ? 1 : 0) {
      const files = await snapshot(reader, publicId)
      if (isDeepStrictEqual(files, V1)) seen.v1++
      else if (isDeepStrictEqual(files, V2)) seen.v2++
      else expect.fail(`a mixed snapshot: ${JSON.stringify(files)}`)
    }
    const published = await publishing
    expect(published.code, published.stderr).toBe(0)
    expect(json<{ version: number }>(published).version).toBe(2)
    expect(seen.v1, 'the old site was read while publishing').toBeGreaterThan(0)
    expect(seen.v2, 'the new site was read once published').toBeGreaterThan(0)

    // The earlier version stays readable, by version and through the history.
    expect(await snapshot(reader, publicId, 1)).toEqual(V1)
    expect((await reader.web().history(publicId)).map(r => [r.version, xorNameToHex(r.directory) === v1Directory])).toEqual([[1, true], [2, false]])
    const ls = await cli(['dns', 'ls', publicId, '--json'])
    expect(json<{ history: Array<{ version: number }> }>(ls).history.map(h => h.version)).toEqual([1, 2])
  })

  it('dns rm-service: the service no longer resolves (NoSuchEntry); the owner\'s `dns ls` lists the id without it', async () => {
    const removed = await cli(['dns', 'rm-service', publicId, 'www', '--json'], ownerEnv)
    expect(removed.code, removed.stderr).toBe(0)
    expect(await codeOf(reader.web().resolve(publicId))).toBe('NoSuchEntry')
    expect(await codeOf(reader.web().resolve(`unknown-${publicId}`))).toBe('NoSuchData')
    const ls = await cli(['dns', 'ls', '--json'], ownerEnv)
    expect(ls.code, ls.stderr).toBe(0)
    expect(json<{ publicIds: unknown[] }>(ls).publicIds).toEqual([{ publicId, name: xorNameToHex(publicIdName(publicId)), services: [] }])
  })
})
