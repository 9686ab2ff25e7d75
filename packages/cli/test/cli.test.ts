import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useCliFolder, type Run } from './support/run-cli.js'
import { parseActions } from '../src/arguments.js'
import { FakeNetwork } from '../../client/test/support/fake-network.js'
import { expectSameBytes, pseudoRandomBytes } from '../../client/test/support/helpers.js'

const folder = useCliFolder()
const cli = folder.cli

describe('safemesh: usage (no network needed)', () => {
  it('--help everywhere, exit 0', async () => {
    for (const args of [['--help'], ['md', '--help'], ['md', 'set-perms', '--help'], ['app', 'auth', '--help'], ['put', '--help'], ['get', '--help'], ['account', 'create', '--help'], ['keys', '--help']]) {
      const run = await cli(args)
      expect(run.code, args.join(' ')).toBe(0)
      expect(run.stdout).toContain('Usage: safemesh')
    }
  })

  it('bad usage is exit 2, and a JSON error with --json', async () => {
    const name = 'ab'.repeat(32)
    const cases = [
      [], ['nonsense'], ['md'], ['put'], ['get', 'abc'], ['get', name.slice(2)], ['md', 'get', name, 'x'], ['md', 'get', name, '-1'],
      ['md', 'set-perms', name, '1', 'anyone', 'bogus'], ['md', 'set-perms', name, '1', 'nobody', 'insert'],
      ['md', 'set-perms', name, '1', 'anyone', 'insert,-insert'], ['md', 'create'], ['md', 'create', '--tag', '0'],
      ['md', 'update', name, '1', 'k', 'v', '--version', 'x'], ['md', 'owner', name, '1', 'notakey'], ['put', '--nope', 'x']
    ]
    const network = new FakeNetwork()
    for (const args of cases) {
      const run = await cli([...args, '--json'], { network, env: { SAFEMESH_SECRET: 's', SAFEMESH_PASSWORD: 'p' } })
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.json, args.join(' ')).toMatchObject({ error: { code: 'Usage' } })
    }
    expect(network.log).toHaveLength(0)
  })

  it('missing credentials without a terminal: exit 2, nothing sent', async () => {
    const network = new FakeNetwork()
    for (const args of [['account', 'create'], ['account', 'info'], ['put', '-'], ['app', 'list'], ['keys']]) {
      const run = await cli(args, { network, env: { SAFEMESH_SECRET: 'only the secret' } })
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toContain('SAFEMESH_PASSWORD')
    }
    expect(network.log).toHaveLength(0)
  })

  it('no network: exit 2 naming the file looked for', async () => {
    const run = await cli(['--json', 'get', 'ab'.repeat(32)])
    expect(run.code).toBe(2)
    expect(run.json).toMatchObject({ error: { code: 'Usage' } })
    expect(String((run.json['error'] as { message: string }).message)).toContain(join('.testnet', 'network.json'))
    const other = await cli(['get', 'ab'.repeat(32), '--network', 'x.json', '--bootstrap', '/ip4/127.0.0.1/tcp/1'])
    expect(other.code).toBe(2)
    await writeFile(join(folder.dir, 'bad.json'), '{"bootstrap": []}')
    expect((await cli(['get', 'ab'.repeat(32)], { env: { SAFEMESH_NETWORK: 'bad.json' } })).code).toBe(2)
  })

  it('--salt goes with --bootstrap only, and must be 64 hex digits: exit 2', async () => {
    const bootstrap = ['--bootstrap', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN']
    const badSalt = await cli(['--json', ...bootstrap, '--salt', 'abc', 'get', 'ab'.repeat(32)])
    expect(badSalt.code).toBe(2)
    expect(String((badSalt.json['error'] as { message: string }).message)).toContain('"salt" must be 32 bytes as 64 hex digits')
    await writeFile(join(folder.dir, 'salted.json'), JSON.stringify({ bootstrap: [bootstrap[1]], salt: 'ab'.repeat(32) }))
    const withFile = await cli(['--json', '--network', 'salted.json', '--salt', 'ab'.repeat(32), 'get', 'ab'.repeat(32)])
    expect(withFile.code).toBe(2)
    expect(String((withFile.json['error'] as { message: string }).message)).toContain('--salt goes with --bootstrap')
  })

  it('parses ACTIONS like insert,update,-delete', () => {
    expect(parseActions('insert,update,-delete')).toEqual({ Insert: true, Update: true, Delete: false })
    expect(parseActions('manage-permissions,-Insert')).toEqual({ ManagePermissions: true, Insert: false })
  })
})

describe('safemesh against the in-memory network', () => {
  const network = new FakeNetwork()
  const owner = { SAFEMESH_SECRET: 'cli secret of the in-memory network', SAFEMESH_PASSWORD: 'cli password: quiet harbour 48' }
  const run = async (args: string[], env: Record<string, string> = owner, stdin?: Uint8Array): Promise<Run> =>
    await cli(['--json', ...args], { network, env, ...(stdin !== undefined ? { stdin } : {}) })

  it('account create refuses a weak password or secret with a clear message (exit 3, InvalidRequest), nothing sent', async () => {
    const before = network.log.length
    const weak = await run(['account', 'create'], { ...owner, SAFEMESH_PASSWORD: 'password123' })
    expect(weak.code).toBe(3)
    expect(weak.json).toEqual({ error: { code: 'InvalidRequest', message: expect.stringMatching(/^the password is too weak: .*four or more uncommon words/) } })
    const human = await cli(['account', 'create'], { network, env: { ...owner, SAFEMESH_SECRET: 'my secret' } })
    expect(human.code).toBe(3)
    expect(human.stderr).toMatch(/InvalidRequest.*the secret is too weak: it is similar to a commonly used password/)
    expect(network.log.length).toBe(before)
  })

  it('account create, then account info; taken credentials and a wrong password are refusals (exit 3)', async () => {
    const created = await run(['account', 'create'])
    expect(created.code).toBe(0)
    expect(created.json).toEqual({ account: expect.stringMatching(/^[0-9a-f]{64}$/), mutationsAvailable: expect.any(Number) })
    const info = await run(['account', 'info'])
    expect(info.json).toEqual({ account: created.json['account'], mutationsDone: expect.any(Number), mutationsAvailable: created.json['mutationsAvailable'], creditsReceived: 0, creditsSent: 0 })

    const again = await run(['account', 'create'])
    expect(again.code).toBe(3)
    expect(again.json).toEqual({ error: { code: 'AccountExists', message: expect.any(String) } })
    const wrong = await run(['account', 'info'], { ...owner, SAFEMESH_PASSWORD: 'nope' })
    expect(wrong.code).toBe(3)
    expect(wrong.json).toMatchObject({ error: { code: 'InvalidCredentials' } })
    const human = await cli(['account', 'info'], { network, env: { ...owner, SAFEMESH_PASSWORD: 'nope' } })
    expect(human.code).toBe(3)
    expect(human.stderr).toContain('InvalidCredentials')
  })

  it('put a file and get it back, to a file and to stdout', async () => {
    const content = pseudoRandomBytes(200_000, 'cli file')
    await writeFile(join(folder.dir, 'in.bin'), content)
    const put = await run(['put', 'in.bin'])
    expect(put.code).toBe(0)
    expect(put.json).toEqual({ address: expect.stringMatching(/^[0-9a-f]{64}$/), size: 200_000, chunks: 3 })
    const address = put.json['address'] as string

    const got = await run(['get', address, '-o', 'out.bin'])
    expect(got.code).toBe(0)
    expect(got.json).toMatchObject({ size: 200_000 })
    expectSameBytes(new Uint8Array(await readFile(join(folder.dir, 'out.bin'))), content)

    const toStdout = await cli(['get', address], { network })
    expect(toStdout.code).toBe(0)
    expectSameBytes(toStdout.stdoutBytes, content)

    const fromStdin = await run(['put', '-'], owner, content)
    expect(fromStdin.json['address']).toBe(address)

    const missing = await run(['get', 'ab'.repeat(32), '-o', 'never.bin'])
    expect(missing.code).toBe(3)
    expect(missing.json).toMatchObject({ error: { code: 'NoSuchData' } })
    await expect(readFile(join(folder.dir, 'never.bin'))).rejects.toThrow()
  })

  it('md: create, insert, get, update, list, delete, with versions defaulting to current + 1', async () => {
    const created = await run(['md', 'create', '--tag', '15000'])
    expect(created.json).toEqual({ name: expect.stringMatching(/^[0-9a-f]{64}$/), tag: 15000 })
    const name = created.json['name'] as string
    expect((await run(['md', 'insert', name, '15000', 'greeting', 'hello'])).json).toEqual({ name, tag: 15000, key: 'greeting', version: 0 })
    expect((await run(['md', 'get', name, '15000', 'greeting'])).json).toEqual({ key: 'greeting', value: 'hello', version: 0 })
    expect((await run(['md', 'update', name, '15000', 'greeting', 'héllo wörld'])).json).toMatchObject({ version: 1 })
    expect((await run(['md', 'get', name, '15000', 'greeting'])).json).toEqual({ key: 'greeting', value: 'héllo wörld', version: 1 })
    await run(['md', 'insert', name, '15000', 'other', 'x'])
    expect((await run(['md', 'list', name, '15000'])).json).toEqual({
      entries: [{ key: 'greeting', value: 'héllo wörld', version: 1 }, { key: 'other', value: 'x', version: 0 }]
    })
    expect((await run(['md', 'delete', name, '15000', 'other'])).json).toMatchObject({ version: 1 })
    expect((await run(['md', 'list', name, '15000'])).json).toEqual({ entries: [{ key: 'greeting', value: 'héllo wörld', version: 1 }] })
    // Inserting a deleted key re-creates it.
    expect((await run(['md', 'insert', name, '15000', 'other', 'back'])).json).toMatchObject({ version: 2 })

    const exists = await run(['md', 'insert', name, '15000', 'greeting', 'again'])
    expect(exists.code).toBe(3)
    expect(exists.json).toMatchObject({ error: { code: 'InvalidEntryActions' } })
    const stale = await run(['md', 'update', name, '15000', 'greeting', 'v', '--version', '1'])
    expect(stale.json).toMatchObject({ error: { code: 'InvalidEntryActions' } })
    const none = await run(['md', 'get', name, '15000', 'missing'])
    expect(none.json).toMatchObject({ error: { code: 'NoSuchEntry' } })

    const whole = await run(['md', 'get', name, '15000'])
    expect(whole.json).toMatchObject({ name, tag: 15000, private: false, entries: expect.any(Array), permissions: [] })
  })

  it('md permissions and owner', async () => {
    const name = (await run(['md', 'create', '--tag', '20001'])).json['name'] as string
    expect((await run(['md', 'set-perms', name, '20001', 'anyone', 'insert,-delete'])).json).toEqual({ name, tag: 20001, user: 'anyone', allow: ['insert'], deny: ['delete'], version: 1 })
    expect((await run(['md', 'perms', name, '20001'])).json).toEqual({ permissions: [{ user: 'anyone', allow: ['insert'], deny: ['delete'] }] })
    expect((await run(['md', 'del-perms', name, '20001', 'anyone'])).json).toMatchObject({ version: 2 })
    expect((await run(['md', 'del-perms', name, '20001', 'anyone'])).json).toMatchObject({ error: { code: 'NoSuchKey' } })
    const newOwner = 'cd'.repeat(32)
    expect((await run(['md', 'owner', name, '20001', newOwner])).json).toEqual({ name, tag: 20001, owner: newOwner, version: 3 })
    const denied = await run(['md', 'insert', name, '20001', 'k', 'v'])
    expect(denied.code).toBe(3)
    expect(denied.json).toMatchObject({ error: { code: 'AccessDenied' } })
  })

  it('private md: entries encrypted on the network, readable with the keys', async () => {
    const name = (await run(['md', 'create', '--tag', '20002', '--private'])).json['name'] as string
    await run(['md', 'insert', name, '20002', 'secret key', 'secret value'])
    expect((await run(['md', 'get', name, '20002', 'secret key'])).json).toEqual({ key: 'secret key', value: 'secret value', version: 0 })
    expect((await run(['md', 'list', name, '20002'])).json).toEqual({ entries: [{ key: 'secret key', value: 'secret value', version: 0 }] })
    const raw = network.nodes[0]?.data.get(`${name}:20002`)
    expect([...(raw?.entries.values() ?? [])].some(e => Buffer.from(e.content).toString().includes('secret value'))).toBe(false)
    // Without the owner's credentials it cannot be read.
    expect((await run(['md', 'get', name, '20002', 'secret key'], {})).code).toBe(2)
  })

  it('apps: auth, act as the app, list, revoke', async () => {
    const auth = await run(['app', 'auth', 'my-app'])
    expect(auth.code).toBe(0)
    expect(auth.json).toEqual({ app: 'my-app', key: expect.stringMatching(/^[0-9a-f]{64}$/), credentials: expect.any(String), containers: [] })
    const app = { SAFEMESH_APP: auth.json['credentials'] as string }
    expect((await run(['keys'], app)).json).toEqual({ sign: auth.json['key'], encrypt: expect.stringMatching(/^[0-9a-f]{64}$/) })
    const ownerKeys = (await run(['keys'])).json
    expect(ownerKeys['sign']).not.toBe(auth.json['key'])

    const put = await run(['put', '-'], app, pseudoRandomBytes(5000, 'app file'))
    expect(put.code).toBe(0)
    const md = await run(['md', 'create', '--tag', '20003'], app)
    expect(md.code).toBe(0)
    expect((await run(['md', 'insert', md.json['name'] as string, '20003', 'k', 'v'], app)).code).toBe(0)
    expect((await run(['account', 'info'], app)).json['account']).toBe((await run(['account', 'info'])).json['account'])
    expect((await run(['app', 'list'], app)).code).toBe(2)

    expect((await run(['app', 'list'])).json).toEqual({ apps: [{ app: 'my-app', key: auth.json['key'], authorised: true, containers: [] }] })
    expect((await run(['app', 'revoke', 'my-app'])).json).toEqual({ app: 'my-app', key: auth.json['key'], revoked: true, reencrypted: [] })
    expect((await run(['app', 'list'])).json).toEqual({ apps: [] })
    const refused = await run(['put', '-'], app, pseudoRandomBytes(5000, 'after revoke'))
    expect(refused.code).toBe(3)
    expect(refused.json).toEqual({ error: { code: 'AccessDenied', message: expect.any(String) } })
  })

  it('human output without --json', async () => {
    const account = await cli(['account', 'info'], { network, env: owner })
    expect(account.code).toBe(0)
    expect(account.stdout).toMatch(/mutations available\s+\d+/)
  })
})
