import { beforeAll, describe, expect, it } from 'vitest'
import { cryptoReady, decryptDeterministic, generateClientKeys, type ClientKeys } from '@safemesh/crypto'
import { TYPE_TAG_NFS_DIRECTORY, keyUser, randomXorName } from '@safemesh/protocol'
import { AccessContainer, FileSystem, RootContainer, deriveSessionSecrets, derivedContainerKey, newSessionPacket } from '../src/internals.js'
import { networkSaltFrom } from '../src/session/session-packet.js'
import { type ContainerAccess, type FsEntry, type SafeMeshClient, DEFAULT_CONTAINERS, createAccount, createClient, login } from '../src/index.js'
import { FakeNetwork } from './support/fake-network.js'
import { FAST_KDF, TEST_NETWORK_SALT, clientOptions, collect, expectCode, pseudoRandomBytes, utf8 } from './support/helpers.js'

beforeAll(cryptoReady)

async function all<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

describe('containers and NFS through the in-memory network (entry limit 10)', () => {
  // A MutableData holds 10 entries here, so directories grow into trees after nine files.
  const network = new FakeNetwork({ maxMutableDataEntries: 10 })
  const secret = 'nfs secret of the in-memory network'
  const password = 'nfs password: copper kite 27'
  let owner: SafeMeshClient

  beforeAll(async () => {
    owner = await createAccount({ secret, password }, clientOptions(network))
  })

  it('account creation makes the root containers, and a login on another client finds them', async () => {
    const names = (await owner.fs.containers()).map(c => c.name).sort()
    expect(names).toEqual(DEFAULT_CONTAINERS.map(c => c.name).sort())
    expect((await owner.fs.containers()).find(c => c.name === '_public')?.private).toBe(false)
    await owner.fs.write('_documents/hello.txt', [utf8('hello from the first client')])
    const again = await login({ secret, password }, clientOptions(network))
    try {
      expect((await again.fs.containers()).map(c => c.name).sort()).toEqual(names)
      expect(text(await collect(again.fs.read('_documents/hello.txt')))).toBe('hello from the first client')
    } finally {
      await again.close()
    }
  })

  it('a login makes nothing twice, and gives an account made before containers its containers', async () => {
    const before = network.sent('PutMData').length
    const relogin = await login({ secret, password }, clientOptions(network))
    await relogin.close()
    expect(network.sent('PutMData').length).toBe(before) // everything existed: nothing made twice

    // An account as they were made before containers: a session packet and nothing else.
    const keys = generateClientKeys()
    const secrets = deriveSessionSecrets('old secret', 'old password', networkSaltFrom(TEST_NETWORK_SALT), FAST_KDF)
    const old = await createClient({ ...clientOptions(network), keys })
    await old.putMData(newSessionPacket(secrets, { keys, root: randomXorName() }))
    await expectCode(old.fs.containers(), 'InvalidOperation') // keys alone: no session, no root
    await old.close()
    const upgraded = await login({ secret: 'old secret', password: 'old password' }, clientOptions(network))
    try {
      expect((await upgraded.fs.containers()).map(c => c.name).sort()).toEqual(DEFAULT_CONTAINERS.map(c => c.name).sort())
      expect((await upgraded.getAccountInfo()).mutationsDone).toBe(10)
    } finally {
      await upgraded.close()
    }
  })

  it('files keep every version; a directory outgrows one MutableData and still lists completely', async () => {
    for (let i = 1; i <= 4; i++) await owner.fs.write('_documents/notes/plan.txt', [utf8(`plan v${i}`)])
    const history = await owner.fs.history('_documents/notes/plan.txt')
    expect(history.map(h => h.version)).toEqual([4, 3, 2, 1])
    for (let v = 1; v <= 4; v++) expect(text(await collect(owner.fs.read('_documents/notes/plan.txt', { version: v })))).toBe(`plan v${v}`)

    const items = Array.from({ length: 60 }, (_, i) => ({ path: `_music/album${i % 3}/track${i}.ogg`, size: 100 + i, content: () => [pseudoRandomBytes(100 + i, `t${i}`)] }))
    const { written, conflicts } = await owner.fs.writeMany(items)
    expect(written).toHaveLength(60)
    expect(conflicts).toEqual([])
    const listed = (await all(owner.fs.list('_music', { recursive: true }))).filter(e => e.kind === 'file')
    expect(listed.map(e => e.path).sort()).toEqual(items.map(i => i.path).sort())
    expect((await all(owner.fs.list('_music'))).map(e => `${e.kind}:${e.path}`)).toEqual(['folder:_music/album0', 'folder:_music/album1', 'folder:_music/album2'])
    // Nodes below the head exist: the directory became a tree.
    const nodes = network.sent('PutMData').filter(m => m.message.data.tag === TYPE_TAG_NFS_DIRECTORY).length
    expect(nodes).toBeGreaterThan(DEFAULT_CONTAINERS.length)
    // A file deep in the tree reads back and takes a new version.
    const deep = items[59] as typeof items[number]
    expect(await collect(owner.fs.read(deep.path))).toEqual(pseudoRandomBytes(159, 't59'))
    await owner.fs.write(deep.path, [utf8('replaced')])
    expect((await owner.fs.stat(deep.path)).version).toBe(2)
  })

  it('mkdir, move and remove', async () => {
    await owner.fs.mkdir('_documents/empty')
    await expectCode(owner.fs.mkdir('_documents/empty'), 'EntryExists')
    expect((await owner.fs.stat('_documents/empty')).kind).toBe('folder')
    await owner.fs.write('_documents/a.txt', [utf8('a')])
    await owner.fs.write('_documents/a.txt', [utf8('a2')])
    await owner.fs.move('_documents/a.txt', '_documents/moved/b.txt')
    await expectCode(owner.fs.stat('_documents/a.txt'), 'NoSuchEntry')
    expect((await owner.fs.history('_documents/moved/b.txt')).map(h => h.version)).toEqual([2, 1])
    await expectCode(owner.fs.remove('_documents/moved'), 'InvalidOperation')
    expect(await owner.fs.remove('_documents/moved', { recursive: true })).toEqual(['_documents/moved/b.txt'])
    await owner.fs.remove('_documents/empty')
    await expectCode(all(owner.fs.list('_documents/moved')), 'NoSuchEntry')
    await owner.fs.mkdir('_documents/hollow')
    expect(await all(owner.fs.list('_documents/hollow'))).toEqual([])
    expect((await all(owner.fs.list('_documents/hello.txt'))).map(e => e.path)).toEqual(['_documents/hello.txt'])
    const left = (await all(owner.fs.list('_documents'))).map((e: FsEntry) => e.path)
    expect(left).not.toContain('_documents/moved')
    expect(left).not.toContain('_documents/empty')
    // A path written again after its delete starts a new history.
    await owner.fs.write('_documents/a.txt', [utf8('again')])
    expect((await owner.fs.stat('_documents/a.txt')).version).toBe(1)
  })

  it('two writers of one path at once: one wins, the other gets a conflict and writes nothing', async () => {
    await owner.fs.write('_documents/shared.txt', [utf8('v1')])
    const other = await login({ secret, password }, clientOptions(network))
    try {
      const results = await Promise.allSettled([
        owner.fs.write('_documents/shared.txt', [utf8('from owner')]),
        other.fs.write('_documents/shared.txt', [utf8('from other')])
      ])
      const ok = results.filter(r => r.status === 'fulfilled')
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      expect(ok).toHaveLength(1)
      expect(failed).toHaveLength(1)
      expect(failed[0]?.reason.code).toBe('InvalidSuccessor')
      expect(failed[0]?.reason.message).toMatch(/conflict/)
      const history = await owner.fs.history('_documents/shared.txt')
      expect(history.map(h => h.version)).toEqual([2, 1])
    } finally {
      await other.close()
    }
  })

  it('a BASIC app reads and inserts in _documents, cannot update, delete or touch _pictures; revocation re-encrypts', async () => {
    const { credentials, containers } = await owner.authoriseApp('editor', { containers: [{ name: '_documents', access: ['read', 'insert'] }], ownContainer: true })
    expect(containers).toEqual([{ name: '_documents', access: ['read', 'insert'] }, { name: 'apps/editor', access: ['read', 'insert', 'update', 'delete', 'manage'] }])
    const app = await createClient({ ...clientOptions(network), app: credentials })
    try {
      expect(text(await collect(app.fs.read('_documents/hello.txt')))).toBe('hello from the first client')
      await app.fs.write('_documents/by-app.txt', [utf8('inserted by the app')])
      await expectCode(app.fs.write('_documents/by-app.txt', [utf8('updated by the app')]), 'AccessDenied')
      await expectCode(app.fs.remove('_documents/by-app.txt'), 'AccessDenied')
      await expectCode(app.fs.write('_pictures/x.jpg', [utf8('x')]), 'AccessDenied')
      await app.fs.write('apps/editor/own.txt', [utf8('mine')])
      await app.fs.write('apps/editor/own.txt', [utf8('mine, v2')])
      await app.fs.remove('apps/editor/own.txt')
      await expectCode(app.authoriseApp('other'), 'AccessDenied')
      expect((await owner.listApps()).find(a => a.app === 'editor')?.containers.map(c => c.name)).toEqual(['_documents', 'apps/editor'])

      const held = (await app.fs.containers()).find(c => c.name === '_documents')
      expect(held).toBeDefined()
      const before = await owner.fs.stat('_documents/by-app.txt')
      // Another app keeps _documents through the revocation.
      const keeper = await createClient({ ...clientOptions(network), app: (await owner.authoriseApp('keeper', { containers: [{ name: '_documents', access: ['read', 'insert'] }] })).credentials })
      const revoked = await owner.revokeApp('editor')
      expect(revoked.reencrypted.sort()).toEqual(['_documents', 'apps/editor'])
      await expectCode(app.fs.write('_documents/after.txt', [utf8('too late')]), 'AccessDenied')
      await owner.fs.write('_documents/after-revoke.txt', [utf8('secret after revocation')])
      // Everything is still there for the owner, in the new place.
      expect((await owner.fs.stat('_documents/by-app.txt')).address).toBe(before.address)
      expect(text(await collect(owner.fs.read('_documents/after-revoke.txt')))).toBe('secret after revocation')
      // The key the app held opens no entry written after the revocation, and no entry of the new directory.
      const ownerKeys = owner.keys
      if (ownerKeys === undefined) throw new Error('no owner keys')
      const oldKey = derivedContainerKey(ownerKeys.symmetric, '_documents')
      const opensWithOldKey = (key: Uint8Array): string | undefined => { try { return text(decryptDeterministic(key, oldKey)) } catch { return undefined } }
      const everywhere = network.nodes.flatMap(n => [...n.data.values()]).filter(md => md.tag === TYPE_TAG_NFS_DIRECTORY)
      const opened = everywhere.flatMap(md => [...md.entries.values()].map(e => opensWithOldKey(e.key))).filter(k => k !== undefined)
      expect(opened).toContain('by-app.txt') // the old, frozen directory: what the app could read before
      expect(opened).not.toContain('after-revoke.txt')
      expect((await owner.listApps()).map(a => a.app)).not.toContain('editor')
      // The new _documents grants the revoked app nothing, and the keeper what it had.
      const containers = await new RootContainer(owner, ownerKeys, owner.session?.root ?? new Uint8Array(32)).read()
      const documents = containers?.containers.get('_documents')
      if (documents === undefined) throw new Error('no _documents')
      const granted = [...(await owner.getMData({ name: documents.head, tag: TYPE_TAG_NFS_DIRECTORY })).permissions.values()]
      expect(granted).toEqual([{ user: keyUser((keeper.keys as ClientKeys).sign.publicKey), permissions: { Insert: true } }])
      expect(text(await collect(keeper.fs.read('_documents/after-revoke.txt')))).toBe('secret after revocation')
      await keeper.fs.write('_documents/by-keeper.txt', [utf8('the keeper still inserts')])
      expect(text(await collect(owner.fs.read('_documents/by-keeper.txt')))).toBe('the keeper still inserts')
      await keeper.close()
    } finally {
      await app.close()
    }
  })

  it('an app that finds its container frozen by a re-encryption reads its access entry again and writes to the new place', async () => {
    const grant = { containers: [{ name: '_documents', access: ['read', 'insert'] as ContainerAccess[] }] }
    const keeper = await createClient({ ...clientOptions(network), app: (await owner.authoriseApp('late-keeper', grant)).credentials })
    const leaving = await owner.authoriseApp('leaving', grant)
    try {
      const keeperKeys = keeper.keys as ClientKeys
      const session = owner.session
      const ownerKeys = owner.keys
      if (session === undefined || ownerKeys === undefined) throw new Error('no session')
      const access = (await new RootContainer(owner, ownerKeys, session.root).read())?.access
      if (access === undefined) throw new Error('no access container')
      // The keeper's view before the revocation, as if it had read it just before.
      const stale = (await new AccessContainer(keeper, access).read(keeperKeys)).grants
      expect((await owner.revokeApp(leaving.app)).reencrypted).toEqual(['_documents'])
      let reads = 0
      const fs = new FileSystem(keeper, ownerKeys.sign.publicKey, {
        mayMove: true,
        containers: async () => (reads++ === 0 ? stale : (await new AccessContainer(keeper, access).read(keeperKeys)).grants)
      })
      await fs.write('_documents/written-late.txt', [utf8('after the move')])
      expect(reads).toBe(2)
      expect(text(await collect(owner.fs.read('_documents/written-late.txt')))).toBe('after the move')
    } finally {
      await keeper.close()
      await owner.revokeApp('late-keeper')
    }
  })

  it('any access to a private container includes read (its key seals entries too); a public one is as asked', async () => {
    const { containers } = await owner.authoriseApp('inserter', { containers: [{ name: '_pictures', access: ['insert'] }, { name: '_public', access: ['insert'] }] })
    expect(containers).toEqual([{ name: '_pictures', access: ['read', 'insert'] }, { name: '_public', access: ['insert'] }])
    await expectCode(owner.authoriseApp('inserter', { containers: [{ name: '_nowhere', access: ['read'] }] }), 'NoSuchEntry')
    const spent = (await owner.getAccountInfo()).mutationsDone
    await owner.authoriseApp('inserter', { containers: [{ name: '_pictures', access: ['insert'] }] })
    expect((await owner.getAccountInfo()).mutationsDone, 'asking again for what it has').toBe(spent)
    expect((await owner.revokeApp('inserter')).reencrypted).toEqual(['_pictures'])
  })

  it('private directories seal paths and records; the public one does not', async () => {
    await owner.fs.write('_documents/marker-file-name.txt', [utf8('x')])
    await owner.fs.write('_public/visible-name.txt', [utf8('y')])
    const stored = network.nodes.flatMap(n => [...n.data.values()]).filter(md => md.tag === TYPE_TAG_NFS_DIRECTORY)
    const keys = stored.flatMap(md => [...md.entries.values()].map(e => Buffer.from(e.key).toString('latin1')))
    expect(keys.some(k => k.includes('marker-file-name'))).toBe(false)
    expect(keys.some(k => k.includes('visible-name'))).toBe(true)
    const chunks = network.nodes.flatMap(n => [...n.chunks.values()]).map(c => Buffer.from(c).toString('latin1'))
    expect(chunks.some(c => c.includes('secret after revocation'))).toBe(false)
  })
})
