import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useCliFolder, type Run } from './support/run-cli.js'
import { FakeNetwork } from '../../client/test/support/fake-network.js'

const folder = useCliFolder()
const cli = folder.cli

describe('safemesh id, share, inbox: usage', () => {
  it('--help everywhere says what a reader keeps', async () => {
    for (const args of [['share', '--help'], ['share', 'revoke', '--help'], ['share', 'expiry', '--help'], ['share', 'cancel-link', '--help']]) {
      const run = await cli(args)
      expect(run.code, args.join(' ')).toBe(0)
      expect(run.stdout, args.join(' ')).toContain('What a reader already read or downloaded, it keeps')
    }
    for (const args of [['id', '--help'], ['inbox', '--help'], ['share', 'log', '--help']]) expect((await cli(args)).code, args.join(' ')).toBe(0)
  })

  it('bad usage is exit 2 before anything is sent', async () => {
    const network = new FakeNetwork()
    const id = 'ab'.repeat(32)
    for (const args of [
      ['share'], ['share', '_documents/a'], ['share', '_documents/a', '--with', 'nothex'], ['share', '_documents/a', '--with', id, '--expires', 'soon'],
      ['share', '_documents/a', '--with', id, '--price', '0'], ['share', '_documents/a', '--link', '--price', '2'], ['share', 'revoke', id],
      ['share', 'revoke', 'x', '--from', id], ['share', 'expiry', id], ['share', 'expiry', id, '--never', '--expires', '1h'], ['share', 'cancel-link', id]
    ]) {
      const run = await cli([...args, '--json'], { network, env: { SAFEMESH_SECRET: 's', SAFEMESH_PASSWORD: 'p' } })
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.json, args.join(' ')).toMatchObject({ error: { code: 'Usage' } })
    }
    expect(network.log).toHaveLength(0)
  })
})

describe('safemesh id, share, inbox against the in-memory network', () => {
  const network = new FakeNetwork()
  const patient = { SAFEMESH_SECRET: 'cli patient of the in-memory network', SAFEMESH_PASSWORD: 'patient password: amber lantern 61' }
  const doctor = { SAFEMESH_SECRET: 'cli doctor of the in-memory network', SAFEMESH_PASSWORD: 'doctor password: silver meadow 73' }
  const run = async (args: string[], env: Record<string, string>): Promise<Run> => await cli(['--json', ...args], { network, env })

  it('id; share a folder until a time; the recipient\'s inbox; expiry changed; revoke', async () => {
    expect((await run(['account', 'create'], patient)).code).toBe(0)
    expect((await run(['account', 'create'], doctor)).code).toBe(0)
    const id = await run(['id'], doctor)
    expect(id.code, id.stderr).toBe(0)
    expect(Object.keys(id.json).sort()).toEqual(['account', 'encrypt', 'id', 'inbox', 'profile', 'shareLog'])
    const doctorId = id.json['id'] as string

    await writeFile(join(folder.dir, 'r1.txt'), 'record one')
    expect((await run(['fs', 'put', 'r1.txt', '_documents/records/r1.txt'], patient)).code).toBe(0)
    const shared = await run(['share', '_documents/records', '--with', doctorId, '--expires', '24h', '--note', 'my records'], patient)
    expect(shared.code, JSON.stringify(shared.json)).toBe(0)
    expect(shared.json).toEqual({ share: expect.stringMatching(/^[0-9a-f]{64}$/), path: '_documents/records', kind: 'folder', recipients: [doctorId], expires: expect.any(String), price: null })
    const share = shared.json['share'] as string
    expect(Date.parse(shared.json['expires'] as string) - Date.now()).toBeGreaterThan(23 * 3_600_000)

    const inbox = await run(['inbox'], doctor)
    expect(inbox.json).toEqual({ shares: [{ share, from: expect.stringMatching(/^[0-9a-f]{64}$/), kind: 'folder', path: '_documents/records', note: 'my records', at: expect.any(String), expires: shared.json['expires'], price: null }], skipped: 0 })
    const human = await cli(['inbox'], { network, env: doctor })
    expect(human.stdout).toContain(`share:${share}  folder _documents/records`)

    // --expires after the subcommand belongs to `share` in commander's eyes: it still reaches `expiry`.
    const later = await run(['share', 'expiry', share, '--expires', '2025-01-01T00:00:00Z'], patient)
    expect(later.code).toBe(2) // in the past
    const moved = await run(['share', 'expiry', share, '--expires', '48h'], patient)
    expect(moved.json).toEqual({ share, expires: expect.any(String) })
    expect((await run(['share', 'expiry', share, '--never'], patient)).json).toEqual({ share, expires: null })

    const linked = await run(['share', '_documents/records/r1.txt', '--link', '--expires', '1h'], patient)
    expect(linked.json).toMatchObject({ kind: 'file', recipients: [], link: expect.stringMatching(/^safemesh-link-1\./) })
    const cancelled = await run(['share', 'cancel-link', linked.json['share'] as string, linked.json['link'] as string], patient)
    expect(cancelled.json).toEqual({ share: linked.json['share'], link: expect.stringMatching(/^[0-9a-f]{64}$/), cancelled: true })

    const revoked = await run(['share', 'revoke', share, '--from', doctorId], patient)
    expect(revoked.json).toEqual({ share, path: '_documents/records', kind: 'folder', revoked: doctorId, readers: [], rotated: true })
    const text = await cli(['share', 'revoke', share, '--from', doctorId], { network, env: patient })
    expect(text.code).toBe(3) // no longer a reader
    expect(text.stderr).toContain('NoSuchEntry')

    const patientId = (await run(['id'], patient)).json['id'] as string
    const log = await run(['share', 'log', patientId], doctor)
    expect(log.code, log.stderr).toBe(0)
    expect(JSON.stringify(log.json)).toContain('revoke')
  })
})
