/**
 * Transferable credit (issue 15) end to end: an account's allowance moves to another account on
 * the agreement of both accounts' Maid-Managers, never created or lost, never both spent and kept.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAccount, type ClientOptions, type SafeMeshClient } from '@safemesh/client'
import { bytesToHex, isSafeMeshError, randomXorName, xorNameToHex, type RequestOf, type WireReply, type XorName } from '@safemesh/protocol'
import type { PeerId } from '@libp2p/interface'
import { useNetwork } from './support/fixture.js'
import { eventually } from './support/testnet.js'
import { messageId, openAccount, outcome } from './support/accounts.js'
import { honestMembers } from './support/replicas.js'
import { runNode, type ProcessRun } from './support/process.js'
import type { RawClient } from './support/raw-client.js'

const G = 8
const ALLOWANCE = 40
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'packages', 'cli', 'dist', 'src', 'bin', 'safemesh.js')
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }

interface Balance { mutationsDone: number, mutationsAvailable: number, creditsReceived: number, creditsSent: number }

describe(`transferable credit on a 12-node testnet (G = ${G}, allowance ${ALLOWANCE})`, () => {
  const net = useNetwork(12, { groupSize: G, accountOps: ALLOWANCE })

  function transfer (from: RawClient, to: XorName, amount: number, memo?: XorName): RequestOf<'TransferCredit'> {
    return { type: 'TransferCredit', account: from.account, requester: from.key, messageId: messageId(), to, amount, ...(memo != null ? { memo } : {}) }
  }

  /** The account read by quorum, retried as the client library retries a read that got no quorum in time. */
  async function balance (client: RawClient): Promise<Balance> {
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await client.quorum(client.account, { type: 'GetAccountInfo', account: client.account, requester: client.key })
        if (reply.type !== 'GetAccountInfo') throw new Error(`unexpected ${reply.type}`)
        const { type: _type, ...rest } = reply
        return rest
      } catch (err) {
        if (attempt >= 4 || !isSafeMeshError(err) || (err.code !== 'Timeout' && err.code !== 'NoQuorum')) throw err
        await sleep(500 * attempt)
      }
    }
  }

  /** What each of the account's Maid-Managers, asked directly, reports. */
  async function balancesAt (client: RawClient): Promise<string[]> {
    return await Promise.all(honestMembers(net.testnet, client.account).map(async (peer: PeerId) => {
      try {
        const reply = await client.send(peer, { type: 'GetAccountInfo', account: client.account, requester: client.key })
        return JSON.stringify(reply)
      } catch (err) {
        return isSafeMeshError(err) ? err.code : (err as Error).message
      }
    }))
  }

  /** Waits (bounded) until all G Maid-Managers report the same: the last words may still be on their way. */
  async function settled (client: RawClient): Promise<string[]> {
    await eventually(async () => new Set(await balancesAt(client)).size === 1, 20_000).catch(() => {})
    return await balancesAt(client)
  }

  async function newAccount (): Promise<RawClient> {
    const client = await net.connect()
    await openAccount(client)
    return client
  }

  const total = async (...clients: RawClient[]): Promise<number> => {
    let sum = 0
    for (const c of clients) sum += (await balance(c)).mutationsAvailable
    return sum
  }

  it('moves exactly N from one account to another, on every Maid-Manager of both; a retry never pays twice; the total is unchanged', async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    const before = await total(payer, payee)
    const memo = randomXorName()
    const request = transfer(payer, payee.account, 12, memo)
    const started = performance.now()
    expect(await payer.quorum(payer.account, request)).toEqual({ type: 'TransferCredit' })
    console.info(`a transfer took ${(performance.now() - started).toFixed(0)} ms`)
    // The same request again (a retry after a lost answer), twice at once: its first outcome, nothing more.
    const retries = await Promise.all([payer.quorum(payer.account, request), payer.quorum(payer.account, request)])
    expect(retries).toEqual([{ type: 'TransferCredit' }, { type: 'TransferCredit' }])
    expect(await balance(payer)).toEqual({ mutationsDone: 1, mutationsAvailable: ALLOWANCE - 1 - 12, creditsReceived: 0, creditsSent: 12 })
    expect(await balance(payee)).toEqual({ mutationsDone: 1, mutationsAvailable: ALLOWANCE - 1 + 12, creditsReceived: 12, creditsSent: 0 })
    expect(await total(payer, payee)).toBe(before)
    expect(new Set(await settled(payer)).size, 'the payer\'s Maid-Managers agree').toBe(1)
    expect(new Set(await settled(payee)).size, 'the payee\'s Maid-Managers agree').toBe(1)

    const listed = await payee.quorum(payee.account, { type: 'ListCredits', account: payee.account, requester: payee.key })
    expect(listed).toEqual({ type: 'ListCredits', credits: [{ payer: payer.account, amount: 12, memo, messageId: request.messageId }] })
    // Only the owner lists its credits.
    expect(await outcome(payer.quorum(payee.account, { type: 'ListCredits', account: payee.account, requester: payer.key }))).toBe('AccessDenied')
  })

  it('refuses a transfer beyond the balance (LowBalance, nothing moves), and of two at once that each take it all, at most one moves', async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    const third = await newAccount()
    const before = await total(payer, payee, third)
    expect(await outcome(payer.quorum(payer.account, transfer(payer, payee.account, ALLOWANCE)))).toBe('LowBalance')
    expect(await balance(payer)).toMatchObject({ creditsSent: 0, mutationsAvailable: ALLOWANCE - 1 })
    expect(await balance(payee)).toMatchObject({ creditsReceived: 0 })

    const all = ALLOWANCE - 1
    const outcomes = await Promise.all([
      outcome(payer.quorum(payer.account, transfer(payer, payee.account, all))),
      outcome(payer.quorum(payer.account, transfer(payer, third.account, all)))
    ])
    console.info(`two transfers of the whole balance at once: ${JSON.stringify(outcomes)}`)
    expect(outcomes.filter(o => o === 'ok').length).toBeLessThanOrEqual(1)
    await settled(payer)
    const sent = (await balance(payer)).creditsSent
    expect(sent).toBe(outcomes.filter(o => o === 'ok').length * all)
    expect((await balance(payee)).creditsReceived + (await balance(third)).creditsReceived).toBe(sent)
    expect(await total(payer, payee, third)).toBe(before)
  })

  it('charges a Maid-Manager the client never reached on the executors\' word, so all G agree', async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    const [missed, ...reached] = honestMembers(net.testnet, payer.account)
    const request = transfer(payer, payee.account, 5)
    const answers: Array<WireReply | string> = await Promise.all(reached.map(async peer => await payer.send(peer, request).catch((err: unknown) => isSafeMeshError(err) ? err.code : String(err))))
    expect(answers.filter(a => typeof a !== 'string' && a.type === 'TransferCredit').length).toBeGreaterThanOrEqual(G - 2)
    const counts = await settled(payer)
    expect(counts, `the missed one (${missed?.toString() ?? '?'}) too`).toEqual(Array(G).fill(JSON.stringify({ type: 'GetAccountInfo', mutationsDone: 1, mutationsAvailable: ALLOWANCE - 1 - 5, creditsReceived: 0, creditsSent: 5 })))
    expect(new Set(await settled(payee)).size).toBe(1)
    expect(await balance(payee)).toMatchObject({ creditsReceived: 5 })
  })

  describe('through the library and the CLI', () => {
    let dir: string
    let options: ClientOptions
    const clients: SafeMeshClient[] = []
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'safemesh-credits-'))
      options = { network: { bootstrap: net.testnet.bootstrapAddresses(), groupSize: G }, kdf: KDF }
    })
    afterAll(async () => {
      for (const c of clients) await c.close().catch(() => {})
      if (dir != null) await rm(dir, { recursive: true, force: true })
    })
    const cli = async (args: string[], env: Record<string, string>): Promise<ProcessRun> =>
      await runNode([CLI, '--network', net.testnet.networkFile, ...args], { cwd: dir, env })
    const account = async (): Promise<SafeMeshClient> => {
      const client = await createAccount({ secret: `secret ${randomBytes(8).toString('hex')}`, password: 'credit password: mossy lantern 62' }, options)
      clients.push(client)
      return client
    }

    it('client.transferCredit and listCredits; a retry under the same message id pays once', async () => {
      const payer = await account()
      const payee = await account()
      const [p0, q0] = [await payer.getAccountInfo(), await payee.getAccountInfo()]
      const memo = randomXorName()
      const { messageId: id } = await payer.transferCredit(payee.account as XorName, 3, { memo })
      await payer.transferCredit(payee.account as XorName, 3, { memo, messageId: id })
      const [p1, q1] = [await payer.getAccountInfo(), await payee.getAccountInfo()]
      expect(p1).toEqual({ ...p0, mutationsAvailable: p0.mutationsAvailable - 3, creditsSent: 3 })
      expect(q1).toEqual({ ...q0, mutationsAvailable: q0.mutationsAvailable + 3, creditsReceived: 3 })
      expect(await payee.listCredits()).toEqual([{ payer: payer.account, amount: 3, memo, messageId: id }])
      await expect(payer.transferCredit(payee.account as XorName, p1.mutationsAvailable + 1)).rejects.toMatchObject({ code: 'LowBalance' })
      expect(await payer.getAccountInfo()).toEqual(p1)
    })

    // Each CLI run logs in with the real Argon2id (256 MiB, 3 passes): minutes on a loaded machine.
    it('safemesh account transfer --to ID --amount N, and account info with the credits', async () => {
      const env = { SAFEMESH_SECRET: `cli secret ${randomBytes(8).toString('hex')}`, SAFEMESH_PASSWORD: 'cli password: amber fjord 73' }
      const created = await cli(['account', 'create', '--json'], env)
      expect(created.code, created.stderr).toBe(0)
      const from = JSON.parse(created.stdout) as { account: string, mutationsAvailable: number }
      const payee = await account()
      const id = bytesToHex(payee.keys?.sign.publicKey as Uint8Array)
      const before = await payee.getAccountInfo()
      const moved = await cli(['account', 'transfer', '--to', id, '--amount', '4', '--json'], env)
      expect(moved.code, moved.stderr).toBe(0)
      expect(JSON.parse(moved.stdout)).toEqual({ from: from.account, to: xorNameToHex(payee.account as XorName), amount: 4, mutationsAvailable: from.mutationsAvailable - 4 })
      const info = await cli(['account', 'info', '--json'], env)
      expect(JSON.parse(info.stdout)).toMatchObject({ account: from.account, creditsSent: 4, creditsReceived: 0, mutationsAvailable: from.mutationsAvailable - 4 })
      expect(await payee.getAccountInfo()).toEqual({ ...before, mutationsAvailable: before.mutationsAvailable + 4, creditsReceived: 4 })
      const broke = await cli(['account', 'transfer', '--to', id, '--amount', String(from.mutationsAvailable), '--json'], env)
      expect(broke.code).toBe(3)
      expect(JSON.parse(broke.stdout)).toMatchObject({ error: { code: 'LowBalance' } })
      const usage = await cli(['account', 'transfer', '--to', 'nothex', '--amount', '1', '--json'], env)
      expect(usage.code).toBe(2)
    }, 600_000)
  })
})
