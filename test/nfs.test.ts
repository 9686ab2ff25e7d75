import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decryptDeterministic, type ClientKeys } from '@safemesh/crypto'
import { type ClientOptions, type FsEntry, type SafeMeshClient, createAccount, createClient, login } from '@safemesh/client'
import { AccessContainer, Directory, RootContainer } from '@safemesh/client/internals'
import { TYPE_TAG_NFS_DIRECTORY, randomXorName } from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'
import { runNode, type ProcessRun } from './support/process.js'
import { codeOf } from './support/error-code.js'

const G = 8
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'packages', 'cli', 'dist', 'src', 'bin', 'safemesh.js')
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
const sha = (bytes: Uint8Array): string => createHash('sha3-256').update(bytes).digest('hex')

async function collect (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return new Uint8Array(Buffer.concat(parts))
}

async function all<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

/** Every file under `dir`, recursively. */
async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter(e => e.isFile()).map(e => join(e.parentPath, e.name))
}

describe(`containers and NFS on a 12-node testnet (G = ${G})`, () => {
  let testnet: Testnet
  let options: ClientOptions
  let dir: string
  let owner: SafeMeshClient
  const secret = `nfs secret ${randomBytes(8).toString('hex')}`
  const password = 'nfs password: copper kite 27'

  beforeAll(async () => {
    // The 5,000-file directory needs more than the default allowance of 1000 mutations.
    testnet = await startTestnet(12, { groupSize: G, accountOps: 20_000 })
    options = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt }, kdf: KDF }
    dir = await mkdtemp(join(tmpdir(), 'safemesh-nfs-'))
    owner = await createAccount({ secret, password }, options)
  })
  afterAll(async () => {
    await owner?.close()
    await stopTestnet(testnet)
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  const cli = async (args: string[], env: Record<string, string>): Promise<ProcessRun> =>
    await runNode([CLI, '--network', testnet.networkFile, ...args], { cwd: dir, env })

  /** The owner's keys and its containers as the root container records them. */
  const rootContainers = async (): Promise<{ keys: ClientKeys, containers: NonNullable<Awaited<ReturnType<RootContainer['read']>>> }> => {
    const keys = owner.keys
    const session = owner.session
    if (keys === undefined || session === undefined) throw new Error('the owner has no session')
    const containers = await new RootContainer(owner, keys, session.root).read()
    if (containers === undefined) throw new Error('no root container')
    return { keys, containers }
  }

  it('a new account has its containers; a second process that logs in lists them and reads back a file the first wrote', async () => {
    expect((await owner.fs.containers()).map(c => c.name).sort()).toEqual(['_documents', '_downloads', '_music', '_pictures', '_public', '_publicNames', '_videos'])
    await owner.fs.write('_documents/hello.txt', [utf8('written by the first process')], { mediaType: 'text/plain' })
    // The CLI logs in with the default (memory-hard) KDF: create the account it logs in to with it too.
    const env = { SAFEMESH_SECRET: `cli ${secret}`, SAFEMESH_PASSWORD: password }
    const creator = await createAccount({ secret: env.SAFEMESH_SECRET, password }, { network: options.network })
    try {
      await creator.fs.write('_documents/from-library.txt', [utf8('the library wrote this')])
    } finally {
      await creator.close()
    }
    const ls = await cli(['fs', 'ls', '--json'], env)
    expect(ls.code, ls.stderr).toBe(0)
    expect((JSON.parse(ls.stdout) as { containers: Array<{ name: string }> }).containers.map(c => c.name)).toContain('_documents')
    const got = await cli(['fs', 'get', '_documents/from-library.txt'], env)
    expect(got.code, got.stderr).toBe(0)
    expect(got.stdout).toBe('the library wrote this')
    const again = await login({ secret, password }, options)
    try {
      expect(text(await collect(again.fs.read('_documents/hello.txt')))).toBe('written by the first process')
    } finally {
      await again.close()
    }
  })

  describe('a BASIC app on _documents with its own container (through the network)', () => {
    let app: SafeMeshClient
    let appKeys: ClientKeys
    let heldDocumentsKey: Uint8Array | undefined

    beforeAll(async () => {
      await owner.fs.write('_documents/owner.txt', [utf8('the owner\'s file')])
      const { credentials } = await owner.authoriseApp('matrix', { containers: [{ name: '_documents', access: ['read', 'insert'] }], ownContainer: true })
      app = await createClient({ ...options, app: credentials })
      appKeys = app.keys as ClientKeys
      const { containers } = await rootContainers()
      heldDocumentsKey = (await new AccessContainer(app, containers.access).read(appKeys)).grants.find(g => g.name === '_documents')?.key
    })
    afterAll(async () => { await app?.close() })

    it('reads _documents and inserts into it', async () => {
      expect(text(await collect(app.fs.read('_documents/owner.txt')))).toBe('the owner\'s file')
      await app.fs.write('_documents/by-app.txt', [utf8('inserted by the app')])
      expect(text(await collect(owner.fs.read('_documents/by-app.txt')))).toBe('inserted by the app')
    })

    it('its update of an entry is AccessDenied', async () => {
      expect(await codeOf(app.fs.write('_documents/owner.txt', [utf8('overwritten by the app')]))).toBe('AccessDenied')
      expect(text(await collect(owner.fs.read('_documents/owner.txt')))).toBe('the owner\'s file')
    })

    it('its delete of an entry is AccessDenied', async () => {
      expect(await codeOf(app.fs.remove('_documents/owner.txt'))).toBe('AccessDenied')
      expect((await owner.fs.stat('_documents/owner.txt')).kind).toBe('file')
    })

    it('it cannot touch _pictures, even knowing where it is', async () => {
      expect(await codeOf(app.fs.write('_pictures/x.jpg', [utf8('x')]))).toBe('AccessDenied')
      const { containers } = await rootContainers()
      const pictures = containers.containers.get('_pictures')
      if (pictures === undefined) throw new Error('no _pictures')
      const insert = app.mutateMDataEntries({ name: pictures.head, tag: TYPE_TAG_NFS_DIRECTORY }, [{ key: utf8('planted'), action: { kind: 'Insert', content: utf8('x') } }])
      expect(await codeOf(insert)).toBe('AccessDenied')
    })

    it('it owns apps/matrix: inserts, updates and deletes there', async () => {
      await app.fs.write('apps/matrix/own.txt', [utf8('v1')])
      await app.fs.write('apps/matrix/own.txt', [utf8('v2')])
      expect((await app.fs.history('apps/matrix/own.txt')).map(v => v.version)).toEqual([2, 1])
      expect(await app.fs.remove('apps/matrix/own.txt')).toEqual(['apps/matrix/own.txt'])
    })

    it('it cannot authorise another app or change an owner', async () => {
      const { version } = await owner.listAuthKeysAndVersion()
      expect(await codeOf(app.insAuthKey(randomBytes(32), version + 1))).toBe('AccessDenied')
      const { containers } = await rootContainers()
      const own = containers.containers.get('apps/matrix')
      if (own === undefined) throw new Error('no own container')
      const md = { name: own.head, tag: TYPE_TAG_NFS_DIRECTORY }
      const shell = await app.getMDataShell(md)
      expect(await codeOf(app.changeMDataOwner(md, { newOwner: appKeys.sign.publicKey, version: shell.version + 1 }))).toBe('AccessDenied')
    })

    it('after app revoke its next mutation is AccessDenied, and an entry written after does not open with the keys it held', async () => {
      expect(heldDocumentsKey).toBeDefined()
      const revoked = await owner.revokeApp('matrix')
      expect(revoked.reencrypted.sort()).toEqual(['_documents', 'apps/matrix'])
      expect(await codeOf(app.fs.write('_documents/too-late.txt', [utf8('x')]))).toBe('AccessDenied')
      expect(await codeOf(app.createMData({ tag: 20_000 }))).toBe('AccessDenied')
      await owner.fs.write('_documents/after-revoke.txt', [utf8('written after the revocation')])
      expect(text(await collect(owner.fs.read('_documents/by-app.txt')))).toBe('inserted by the app')
      const { containers } = await rootContainers()
      const documents = containers.containers.get('_documents')
      if (documents === undefined) throw new Error('no _documents')
      const head = await owner.getMData({ name: documents.head, tag: TYPE_TAG_NFS_DIRECTORY })
      const opens = [...head.entries.values()].filter(e => {
        try { decryptDeterministic(e.key, heldDocumentsKey as Uint8Array); return true } catch { return false }
      })
      expect(head.entries.size).toBeGreaterThan(3)
      expect(opens).toEqual([])
    })
  })

  it('a node\'s store holds no plaintext name or content of a private directory (a public one shows its own)', async () => {
    const hidden = `hidden-${randomBytes(12).toString('hex')}`
    const shown = `shown-${randomBytes(12).toString('hex')}`
    await owner.fs.write(`_documents/${hidden}.txt`, [utf8(`content ${hidden}`)])
    await owner.fs.write(`_documents/big-${hidden}.bin`, [utf8(`${hidden} `.repeat(1000))])
    await owner.fs.write(`_public/${shown}.txt`, [utf8(`content ${shown}`)])
    let foundShown = false
    let foundHidden: string[] = []
    for (const file of await filesUnder(testnet.dir)) {
      if (file.endsWith('.log')) continue
      const bytes = await readFile(file)
      if (bytes.includes(shown)) foundShown = true
      if (bytes.includes(hidden)) foundHidden = [...foundHidden, file]
    }
    expect(foundShown, 'the public container\'s name is in the store (the search works)').toBe(true)
    expect(foundHidden).toEqual([])
  })

  it('fs put -r of 200 files nested 3 deep, and fs get -r, give back an identical tree', async () => {
    const env = { SAFEMESH_SECRET: `cli ${secret}`, SAFEMESH_PASSWORD: password }
    const tree = join(dir, 'tree')
    const digests = new Map<string, string>()
    for (let i = 0; i < 200; i++) {
      const rel = join(`a${i % 2}`, `b${i % 3}`, `c${i % 5}`, `file-${i}.bin`)
      const bytes = new Uint8Array(randomBytes(1024 + (i * 97) % (19 * 1024)))
      digests.set(rel, sha(bytes))
      await mkdir(join(tree, dirname(rel)), { recursive: true })
      await writeFile(join(tree, rel), bytes)
    }
    const put = await cli(['fs', 'put', '-r', tree, '_documents/tree', '--json'], env)
    expect(put.code, put.stderr).toBe(0)
    expect(JSON.parse(put.stdout)).toMatchObject({ files: 200, path: '_documents/tree' })
    const got = await cli(['fs', 'get', '-r', '_documents/tree', join(dir, 'copy'), '--json'], env)
    expect(got.code, got.stderr).toBe(0)
    const copied = await filesUnder(join(dir, 'copy'))
    expect(copied).toHaveLength(200)
    for (const [rel, digest] of digests) expect(sha(new Uint8Array(await readFile(join(dir, 'copy', rel)))), rel).toBe(digest)
  })

  it('the history of a file overwritten 3 times gives the 3 earlier versions byte-identical', async () => {
    const versions = [0, 1, 2, 3].map(i => new Uint8Array(randomBytes(2000 + i * 5000)))
    for (const v of versions) await owner.fs.write('_documents/versions.bin', [v])
    const history = await owner.fs.history('_documents/versions.bin')
    expect(history.map(h => h.version)).toEqual([4, 3, 2, 1])
    for (let n = 1; n <= 4; n++) expect(sha(await collect(owner.fs.read('_documents/versions.bin', { version: n }))), `version ${n}`).toBe(sha(versions[n - 1] as Uint8Array))
  })

  it('a directory of 5,000 files lists completely', async () => {
    // The directory is what is under test here, not upload speed (npm run bench:nfs uploads 5,000
    // files for real): one file is stored, and 5,000 entries that all describe it are placed in
    // batches, which makes the directory a tree of MutableData of up to 1000 entries each.
    const stored = await owner.fs.write('_downloads/many/original.txt', [utf8('one small file')])
    const { keys, containers } = await rootContainers()
    const downloads = containers.containers.get('_downloads')
    if (downloads === undefined) throw new Error('no _downloads')
    const directory = new Directory(owner, downloads, keys.sign.publicKey)
    const record = (await directory.lookup('many/original.txt'))?.record
    if (record === undefined) throw new Error('the original is not there')
    const items = Array.from({ length: 4999 }, (_, i) => ({ path: `many/file-${i}.txt`, record }))
    expect((await directory.insertMany(items)).conflicts).toEqual([])
    const nodes = (await all(directory.nodes())).length
    expect(nodes, 'MutableData in the directory').toBeGreaterThan(5)
    const started = performance.now()
    const listed = await all(owner.fs.list('_downloads/many'))
    console.info(`listing 5,000 files in ${nodes} MutableData took ${((performance.now() - started) / 1000).toFixed(2)} s`)
    expect(listed).toHaveLength(5000)
    expect(new Set(listed.map(e => e.path))).toEqual(new Set([stored.path, ...items.map(i => `_downloads/${i.path}`)]))
    expect(text(await collect(owner.fs.read('_downloads/many/file-4321.txt')))).toBe('one small file')
  })

  it('two clients, 50 different files each into one directory at once: all 100 are listed', async () => {
    const other = await login({ secret, password }, options)
    try {
      const batch = (who: string, client: SafeMeshClient): Array<Promise<FsEntry>> =>
        Array.from({ length: 50 }, async (_, i) => await client.fs.write(`_music/both/${who}-${i}.txt`, [utf8(`${who} ${i}`)]))
      await Promise.all([...batch('first', owner), ...batch('second', other)])
      const listed = await all(owner.fs.list('_music/both'))
      expect(listed).toHaveLength(100)
    } finally {
      await other.close()
    }
  })

  it('two clients overwriting one path at once: one succeeds, the other gets a conflict, nothing else changes', async () => {
    await owner.fs.write('_videos/contested.txt', [utf8('first')])
    const before = (await all(owner.fs.list('_videos'))).map(e => `${e.path}@${e.version}`)
    const other = await login({ secret, password }, options)
    try {
      const results = await Promise.allSettled([
        owner.fs.write('_videos/contested.txt', [utf8('from the owner')]),
        other.fs.write('_videos/contested.txt', [utf8('from the other')])
      ])
      const won = results.filter((r): r is PromiseFulfilledResult<FsEntry> => r.status === 'fulfilled')
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      expect(won).toHaveLength(1)
      expect(lost).toHaveLength(1)
      expect(['InvalidSuccessor', 'EntryExists']).toContain((lost[0]?.reason as { code: string }).code)
      expect(String((lost[0]?.reason as Error).message)).toMatch(/conflict/)
      expect(before).toEqual(['_videos/contested.txt@1'])
      const after = await all(owner.fs.list('_videos'))
      expect(after.map(e => `${e.path}@${e.version}`)).toEqual(['_videos/contested.txt@2'])
      const content = text(await collect(owner.fs.read('_videos/contested.txt')))
      expect(content).toBe(results[0]?.status === 'fulfilled' ? 'from the owner' : 'from the other')
      expect((await owner.fs.history('_videos/contested.txt')).map(h => h.version)).toEqual([2, 1])
    } finally {
      await other.close()
    }
  })

  it('unknown containers and malformed paths are typed errors', async () => {
    expect(await codeOf(owner.fs.write('_nowhere/x.txt', [utf8('x')]))).toBe('NoSuchEntry')
    expect(await codeOf(owner.fs.write('_documents/../x.txt', [utf8('x')]))).toBe('InvalidRequest')
    expect(await codeOf(owner.fs.stat(`_documents/${randomXorName().join('')}`))).toBe('NoSuchEntry')
  })
})
