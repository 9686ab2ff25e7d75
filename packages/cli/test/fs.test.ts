import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useCliFolder, type Run } from './support/run-cli.js'
import { FakeNetwork } from '../../client/test/support/fake-network.js'
import { expectSameBytes, pseudoRandomBytes } from '../../client/test/support/helpers.js'

const folder = useCliFolder()
const cli = folder.cli

describe('safemesh fs and app auth --container against the in-memory network', () => {
  const network = new FakeNetwork()
  const owner = { SAFEMESH_SECRET: 'fs secret of the in-memory network', SAFEMESH_PASSWORD: 'fs password: amber tide 93' }
  const run = async (args: string[], env: Record<string, string> = owner): Promise<Run> => await cli(['--json', ...args], { network, env })

  it('--help for every fs command', async () => {
    for (const sub of ['ls', 'put', 'get', 'rm', 'mv', 'mkdir', 'stat', 'history']) {
      const help = await cli(['fs', sub, '--help'])
      expect(help.code, sub).toBe(0)
      expect(help.stdout).toContain(`Usage: safemesh fs ${sub}`)
    }
  })

  it('put -r a nested folder, get -r it back identical; ls, stat, history, get --version, mv, rm', async () => {
    expect((await run(['account', 'create'])).code).toBe(0)
    const ls = await run(['fs', 'ls'])
    expect((ls.json['containers'] as Array<{ name: string }>).map(c => c.name)).toContain('_documents')
    const tree = join(folder.dir, 'tree')
    const files: Record<string, Uint8Array> = {}
    for (let i = 0; i < 12; i++) {
      const rel = join(`d${i % 2}`, `e${i % 3}`, `f${i}.bin`)
      const bytes = pseudoRandomBytes(500 + 300 * i, `file ${i}`)
      files[rel] = bytes
      await mkdir(join(tree, dirname(rel)), { recursive: true })
      await writeFile(join(tree, rel), bytes)
    }
    const put = await run(['fs', 'put', '-r', 'tree', '_documents/tree'])
    expect(put.code, put.stdout).toBe(0)
    expect(put.json).toMatchObject({ files: 12, path: '_documents/tree' })
    const got = await run(['fs', 'get', '-r', '_documents/tree', 'copy'])
    expect(got.code, got.stdout).toBe(0)
    for (const [rel, bytes] of Object.entries(files)) expectSameBytes(new Uint8Array(await readFile(join(folder.dir, 'copy', rel))), bytes)
    const listing = await run(['fs', 'ls', '_documents/tree'])
    expect((listing.json['entries'] as Array<{ path: string, kind: string }>).map(e => `${e.kind}:${e.path}`)).toEqual(['folder:_documents/tree/d0', 'folder:_documents/tree/d1'])

    await writeFile(join(folder.dir, 'note.txt'), 'one')
    for (const text of ['one', 'two', 'three', 'four']) {
      await writeFile(join(folder.dir, 'note.txt'), text)
      expect((await run(['fs', 'put', 'note.txt', '_documents/note.txt'])).code).toBe(0)
    }
    const history = await run(['fs', 'history', '_documents/note.txt'])
    expect((history.json['versions'] as Array<{ version: number }>).map(v => v.version)).toEqual([4, 3, 2, 1])
    const second = await cli(['fs', 'get', '_documents/note.txt', '--version', '2'], { network, env: owner })
    expect(second.stdout).toBe('two')
    expect((await run(['fs', 'stat', '_documents/note.txt'])).json).toMatchObject({ kind: 'file', size: 4, version: 4, mediaType: 'text/plain' })
    expect((await run(['fs', 'mv', '_documents/note.txt', '_documents/old/note.txt'])).code).toBe(0)
    expect((await run(['fs', 'stat', '_documents/note.txt'])).json).toMatchObject({ error: { code: 'NoSuchEntry' } })
    expect((await run(['fs', 'rm', '-r', '_documents/tree'])).json['removed']).toHaveLength(12)
    expect((await run(['fs', 'mkdir', '_documents/empty'])).code).toBe(0)
    const again = await run(['fs', 'mkdir', '_documents/empty'])
    expect(again.code).toBe(3)
    expect(again.json).toMatchObject({ error: { code: 'EntryExists' } })
  })

  it('app auth --container and --own-container; app list shows them; the app acts within them only', async () => {
    const bad = await run(['app', 'auth', 'x', '--container', '_documents:fly'])
    expect(bad.code).toBe(2)
    const auth = await run(['app', 'auth', 'notes', '--container', '_documents:read,insert', '--own-container'])
    expect(auth.code, auth.stdout).toBe(0)
    expect(auth.json['containers']).toEqual([{ name: '_documents', access: ['read', 'insert'] }, { name: 'apps/notes', access: ['read', 'insert', 'update', 'delete', 'manage'] }])
    const list = await run(['app', 'list'])
    expect((list.json['apps'] as Array<{ app: string, containers: unknown }>).find(a => a.app === 'notes')?.containers).toEqual(auth.json['containers'])
    const app = { SAFEMESH_APP: String(auth.json['credentials']) }
    await writeFile(join(folder.dir, 'by-app.txt'), 'from the app')
    expect((await run(['fs', 'put', 'by-app.txt', '_documents/by-app.txt'], app)).code).toBe(0)
    const update = await run(['fs', 'put', 'by-app.txt', '_documents/by-app.txt'], app)
    expect(update.code).toBe(3)
    expect(update.json).toMatchObject({ error: { code: 'AccessDenied' } })
    expect((await run(['fs', 'put', 'by-app.txt', '_pictures/x.txt'], app)).json).toMatchObject({ error: { code: 'AccessDenied' } })
    expect((await run(['fs', 'put', 'by-app.txt', 'apps/notes/mine.txt'], app)).code).toBe(0)
    const revoke = await run(['app', 'revoke', 'notes'])
    expect(revoke.json).toMatchObject({ app: 'notes', revoked: true, reencrypted: ['_documents', 'apps/notes'] })
    expect((await run(['fs', 'put', 'by-app.txt', '_documents/later.txt'], app)).json).toMatchObject({ error: { code: 'AccessDenied' } })
  })
})
