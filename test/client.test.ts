import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeDataMap } from '@safemesh/crypto'
import { type SafeMeshClient, type ClientOptions, createAccount, login } from '@safemesh/client'
import { bytes, decodeWith, literal, object, uint, xorNameFromHex, xorNameToHex, type XorName } from '@safemesh/protocol'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Testnet } from '@safemesh/testnet'
import { eventually, startTestnet, stopTestnet } from './support/testnet.js'
import { RawClient } from './support/raw-client.js'
import { runNode, type ProcessRun } from './support/process.js'

const G = 8
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'packages', 'cli', 'dist', 'src', 'bin', 'safemesh.js')
/** Fast Argon2id limits for the library's tests; the CLI runs with its defaults. */
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }
const MiB = 2 ** 20

function sha (data: Uint8Array): string {
  return createHash('sha3-256').update(data).digest('hex')
}

async function * pieces (data: Uint8Array, size = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size)
}

async function collect (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return new Uint8Array(Buffer.concat(parts))
}

describe(`the client and the safemesh CLI on a 12-node testnet (G = ${G})`, () => {
  let testnet: Testnet
  let probe: RawClient
  let options: ClientOptions
  let dir: string

  beforeAll(async () => {
    testnet = await startTestnet(12, { groupSize: G })
    probe = await RawClient.connect(testnet)
    options = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G }, kdf: KDF }
    dir = await mkdtemp(join(tmpdir(), 'safemesh-cli-'))
  })
  afterAll(async () => {
    await probe?.close()
    await stopTestnet(testnet)
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  const storedItems = async (): Promise<number> => (await testnet.status()).reduce((n, v) => n + (v.status?.storedItems ?? 0), 0)

  /**
   * The stored item count once it reaches `expected` (or after 30 s): a put succeeds when Q
   * Data-Managers have the chunk, and the rest of its group may store it moments later.
   */
  const storedItemsReaching = async (expected: number): Promise<number> => {
    let count = 0
    await eventually(async () => (count = await storedItems()) >= expected, 30_000).catch(() => {})
    return count
  }

  /** How many nodes answer GetIData for `name` with its bytes. */
  const holders = async (name: XorName): Promise<number> => {
    const answers = await Promise.allSettled(testnet.records().map(async r => await probe.send(peerIdFromString(r.peerId as string), { type: 'GetIData', name })))
    return answers.filter(a => a.status === 'fulfilled' && a.value.type === 'GetIData').length
  }

  /** The names of a file's chunks (and its top chunk), read from its data map. */
  const chunkNames = async (client: SafeMeshClient, address: string): Promise<XorName[]> => {
    const top = decodeWith(object({ v: literal(1), depth: uint(8), map: bytes() }), await client.getIData(xorNameFromHex(address)))
    expect(top.depth).toBe(0)
    const map = decodeDataMap(top.map)
    return [xorNameFromHex(address), ...(map.kind === 'chunks' ? map.chunks.map(c => c.name) : [])]
  }

  const cli = async (args: string[], env: Record<string, string> = {}): Promise<ProcessRun> =>
    await runNode([CLI, '--network', testnet.networkFile, ...args], { cwd: dir, env })

  it('stores files of 0 B, 2 KiB, 5 MiB and 64 MiB through the library, each chunk on exactly G nodes, and gives them back byte-identical', async () => {
    const initial = await storedItems()
    const client = await createAccount({ secret: `secret ${randomBytes(8).toString('hex')}`, password: 'e2e password: amber kite 51' }, options)
    try {
      // The new account's record (on its G Maid-Managers), its session packet, the nine
      // MutableData of its containers and its profile, inbox and share log (each on G
      // Data-Managers) may still be landing on the last replicas; count files only once they have.
      expect(await storedItemsReaching(initial + 14 * G) - initial, 'items of a new account').toBe(14 * G)
      for (const size of [0, 2 * 1024, 5 * MiB, 64 * MiB]) {
        const data = new Uint8Array(randomBytes(size))
        const before = await storedItems()
        const started = performance.now()
        const put = await client.putFile(pieces(data), { size })
        const upload = performance.now() - started
        const back = await collect(client.getFile(put.address))
        const download = performance.now() - started - upload
        expect(sha(back), `${size} bytes`).toBe(sha(data))
        expect(put.size).toBe(size)
        const names = await chunkNames(client, put.address)
        expect(await storedItemsReaching(before + G * names.length) - before, `new items for ${size} bytes`).toBe(G * names.length)
        if (size <= 5 * MiB) for (const name of names) expect(await holders(name), xorNameToHex(name)).toBe(G)
        console.info(`${size} B: ${names.length} chunk(s); up ${(upload / 1000).toFixed(2)} s, down ${(download / 1000).toFixed(2)} s`)
      }
    } finally {
      await client.close()
    }
  })

  it('logs in from a fresh process and refuses a wrong password and an unknown secret with the same error', async () => {
    const secret = `secret ${randomBytes(8).toString('hex')}`
    const created = await createAccount({ secret, password: 'right password' }, options)
    const account = (await created.getAccountInfo())
    await created.close()
    const wrongPassword = await login({ secret, password: 'wrong password' }, options).then(() => undefined, (e: unknown) => e as { code: string, message: string })
    const unknownSecret = await login({ secret: `no such ${secret}`, password: 'right password' }, options).then(() => undefined, (e: unknown) => e as { code: string, message: string })
    expect(wrongPassword?.code).toBe('InvalidCredentials')
    expect(unknownSecret?.code).toBe('InvalidCredentials')
    expect(wrongPassword?.message).toBe(unknownSecret?.message)
    const again = await login({ secret, password: 'right password' }, options)
    expect(await again.getAccountInfo()).toEqual(account)
    await again.close()
  })

  it('runs the CLI end to end: account, put and get of files, login errors, exit codes and JSON', async () => {
    const env = { SAFEMESH_SECRET: `cli secret ${randomBytes(8).toString('hex')}`, SAFEMESH_PASSWORD: 'cli password: quiet harbour 48' }
    const created = await cli(['account', 'create', '--json'], env)
    expect(created.code, created.stderr).toBe(0)
    const account = JSON.parse(created.stdout) as { account: string, mutationsAvailable: number }
    expect(account.account).toMatch(/^[0-9a-f]{64}$/)

    for (const size of [0, 2 * 1024, 5 * MiB, 64 * MiB]) {
      const source = join(dir, `in-${size}`)
      const target = join(dir, `out-${size}`)
      const data = new Uint8Array(randomBytes(size))
      await writeFile(source, data)
      const put = await cli(['put', source, '--json'], env)
      expect(put.code, put.stderr).toBe(0)
      const stored = JSON.parse(put.stdout) as { address: string, size: number, chunks: number }
      expect(stored.size).toBe(size)
      const got = await cli(['get', stored.address, '-o', target, '--json'])
      expect(got.code, got.stderr).toBe(0)
      expect(sha(await readFile(target))).toBe(sha(data))
    }

    // A fresh process with the right secret and password is the same account.
    const info = await cli(['account', 'info', '--json'], env)
    expect(info.code, info.stderr).toBe(0)
    expect((JSON.parse(info.stdout) as { account: string }).account).toBe(account.account)

    const wrong = await cli(['account', 'info', '--json'], { ...env, SAFEMESH_PASSWORD: 'nope' })
    const unknown = await cli(['account', 'info', '--json'], { ...env, SAFEMESH_SECRET: 'nobody has this secret' })
    expect(wrong.code).toBe(3)
    expect(unknown.code).toBe(3)
    expect(JSON.parse(wrong.stdout)).toEqual(JSON.parse(unknown.stdout))
    expect((JSON.parse(wrong.stdout) as { error: { code: string } }).error.code).toBe('InvalidCredentials')

    const usage = await cli(['put'], env)
    expect(usage.code).toBe(2)
  })
})
