/* eslint-disable camelcase -- seed 002's JSON fields are snake_case (data_hash, expires_at, require_payment) */
import { createHash, randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClientOptions, type SafeMeshClient, createAccount } from '@safemesh/client'
import { inboxAddress, sealInboxItem } from '@safemesh/client/internals'
import type { ClientKeys } from '@safemesh/crypto'
import { startGateway, type Gateway } from '@safemesh/gateway'
import { bytesToHex, xorNameFromHex } from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'

// Seed 002's REST API through the gateway (issue 16), for two accounts logged in through it.
const NODES = 12
const G = 8
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }
const PASSWORD = 'rest api password: copper meadow 58'

/** A JSON answer's body: the shapes the API documents (openapi.json), read field by field. */
type Body = Record<string, any>

interface Answer {
  status: number
  body: Body
  headers: Record<string, string | string[] | undefined>
}

interface CallOptions {
  token?: string
  cookie?: string
  body?: unknown
  headers?: Record<string, string>
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

describe(`seed 002's sharing REST API through the gateway on a ${NODES}-node testnet (G = ${G})`, () => {
  let testnet: Testnet
  let gateway: Gateway
  let owner: SafeMeshClient
  let recipient: SafeMeshClient
  let stranger: SafeMeshClient
  let ownerId: string
  let recipientId: string
  let ownerToken: string
  let recipientToken: string
  let recipientCookie: string
  const secrets = { owner: `rest owner ${randomBytes(8).toString('hex')}`, recipient: `rest recipient ${randomBytes(8).toString('hex')}` }

  /** One HTTP call to the console origin (node:http: it sends Origin as given). */
  async function call (method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
    const headers: Record<string, string> = {
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.cookie !== undefined ? { cookie: options.cookie } : {}),
      ...options.headers
    }
    return await new Promise((resolve, reject) => {
      const req = request(new URL(path, gateway.consoleUrl), { method, headers }, (res) => {
        const parts: Buffer[] = []
        res.on('data', (part: Buffer) => parts.push(part))
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8')
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Body, headers: res.headers })
          } catch {
            reject(new Error(`${method} ${path}: ${res.statusCode ?? 0} not JSON: ${text.slice(0, 200)}`))
          }
        })
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(payload)
    })
  }

  async function login (secret: string): Promise<Answer> {
    const answer = await call('POST', '/api/session', { body: { secret, password: PASSWORD, bearer: true } })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    return answer
  }

  beforeAll(async () => {
    testnet = await startTestnet(NODES, { groupSize: G })
    const options: ClientOptions = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt }, kdf: KDF }
    ;[owner, recipient, stranger] = await Promise.all([
      createAccount({ secret: secrets.owner, password: PASSWORD }, options),
      createAccount({ secret: secrets.recipient, password: PASSWORD }, options),
      createAccount({ secret: `rest stranger ${randomBytes(8).toString('hex')}`, password: PASSWORD }, options)
    ])
    ownerId = bytesToHex(owner.publicKeys?.sign as Uint8Array)
    recipientId = bytesToHex(recipient.publicKeys?.sign as Uint8Array)
    // The gateway logs in with its own client options: the same cheap key derivation as the accounts'.
    gateway = await startGateway({ client: options, port: 0 })
    ownerToken = (await login(secrets.owner)).body.token as string
    const answer = await login(secrets.recipient)
    recipientToken = answer.body.token as string
    const cookie = [answer.headers['set-cookie'] ?? []].flat()[0] ?? ''
    recipientCookie = cookie.split(';')[0] ?? ''
  })
  afterAll(async () => {
    await gateway?.close()
    for (const client of [owner, recipient, stranger]) await client?.close()
    await stopTestnet(testnet)
  })

  const HASH = 'sha256:' + 'ab'.repeat(32)

  it('without a session every call is refused (401) and nothing is done; a cross-origin or form POST is refused', async () => {
    const share = { data: 'not to be shared', recipient: recipientId, encrypt: true }
    for (const options of [{}, { token: 'not-a-session' }, { cookie: 'safemesh_session=forged' }]) {
      const calls = [
        await call('POST', '/share_data', { ...options, body: share }),
        await call('GET', `/data/${HASH}`, options),
        await call('GET', `/verify_data/${HASH}`, options),
        await call('GET', '/data/list', options)
      ]
      for (const answer of calls) expect(answer).toMatchObject({ status: 401, body: { error: { code: 'AccessDenied' } } })
    }
    const evil = await call('POST', '/share_data', { token: ownerToken, body: share, headers: { origin: 'http://evil.example' } })
    expect(evil).toMatchObject({ status: 403, body: { error: { code: 'AccessDenied', message: expect.stringMatching(/cross-origin/) } } })
    const site = await call('POST', '/share_data', { token: ownerToken, body: share, headers: { 'sec-fetch-site': 'cross-site' } })
    expect(site.status).toBe(403)
    const form = await call('POST', '/share_data', { token: ownerToken, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(form.status).toBe(415)
    const unencrypted = await call('POST', '/share_data', { token: ownerToken, body: { ...share, encrypt: false } })
    expect(unencrypted).toMatchObject({ status: 400, body: { error: { code: 'InvalidRequest', message: expect.stringMatching(/always encrypted/) } } })

    // Nothing was shared: the owner's share log has no share, the recipient's inbox is empty.
    expect((await owner.shareLog().read()).filter(r => r.event.kind === 'share')).toEqual([])
    expect((await recipient.sharing().inbox()).shares).toEqual([])
    expect((await call('GET', '/data/list', { token: ownerToken })).body).toMatchObject({ account: ownerId, shared: [], received: [] })
  })

  const text = 'Sensitive enterprise data… quarterly figures ✓ (ünïcödé)\n'
  const textHash = sha256(utf8(text))
  let textShare: Body

  it('the owner shares text with POST /share_data; the recipient reads exactly it with GET /data/{hash}', async () => {
    const expires = new Date(Date.now() + 3_600_000).toISOString()
    const answer = await call('POST', '/share_data', { token: ownerToken, body: { data: text, recipient: recipientId, encrypt: true, require_payment: false, expires_at: expires } })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    textShare = answer.body
    expect(textShare).toMatchObject({
      status: 'shared',
      data_hash: `sha256:${textHash}`,
      path: `_documents/shared/${textHash}`,
      recipients: [recipientId],
      updated: false,
      expires_at: expires,
      encryption: { algorithm: 'aes-256-gcm', key_wrap: 'xchacha20-poly1305', key_exchange: 'x25519-sealed-box', key_version: 1 },
      compliance: { log: ownerId, recorded: true, record: { index: 0, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } }
    })
    expect(textShare.price).toBeUndefined()

    // It is what `safemesh share` made: in the recipient's inbox with the hash as its note, and readable as `fs get share:…`.
    const inbox = (await recipient.sharing().inbox()).shares
    expect(inbox).toEqual([expect.objectContaining({ share: textShare.share, from: ownerId, kind: 'file', note: `sha256:${textHash}`, expires: Date.parse(expires) })])

    for (const hash of [`sha256:${textHash}`, textHash.toUpperCase()]) {
      const read = await call('GET', `/data/${hash}`, { token: recipientToken })
      expect(read.status, JSON.stringify(read.body)).toBe(200)
      expect(read.body).toMatchObject({ data: text, data_hash: `sha256:${textHash}`, sender: ownerId, verified: true, share: textShare.share, size: utf8(text).length })
      expect(Date.parse(read.body.timestamp as string)).toBeGreaterThan(0)
    }
    // The sharer reads its own too; a hash nobody shared is not found.
    expect((await call('GET', `/data/sha256:${textHash}`, { token: ownerToken })).body).toMatchObject({ data: text, sender: ownerId, verified: true, recipients: [recipientId] })
    expect(await call('GET', `/data/${HASH}`, { token: recipientToken })).toMatchObject({ status: 404, body: { error: { code: 'NoSuchData' } } })
    expect(await call('GET', '/data/sha256:nothex', { token: recipientToken })).toMatchObject({ status: 400, body: { error: { code: 'InvalidRequest' } } })
  })

  const binary = new Uint8Array(randomBytes(5000))
  binary.set([0xff, 0xfe, 0xc0, 0x80], 0) // never UTF-8
  const binaryHash = sha256(binary)
  let binaryShare: Body

  it('a file of the drive (path) shared for a price arrives byte-exact, as dataBase64', async () => {
    await owner.fs.write('_documents/scan.bin', [binary])
    const answer = await call('POST', '/share_data', { token: ownerToken, body: { path: '_documents/scan.bin', recipients: [recipientId], encrypt: true, require_payment: true, price: 2 } })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    binaryShare = answer.body
    expect(binaryShare).toMatchObject({ data_hash: `sha256:${binaryHash}`, source: '_documents/scan.bin', path: `_documents/shared/${binaryHash}`, size: binary.length, price: 2 })

    const before = await recipient.getAccountInfo()
    const read = await call('GET', `/data/${binaryHash}`, { token: recipientToken })
    expect(read.status, JSON.stringify(read.body)).toBe(200)
    expect(read.body).toMatchObject({ verified: true, sender: ownerId, share: binaryShare.share, price: 2 })
    expect(read.body.data).toBeUndefined()
    expect(Buffer.from(read.body.dataBase64 as string, 'base64').equals(Buffer.from(binary))).toBe(true)
    // Read as `fs get share:…` reads a priced share: paid to the sharer first.
    expect((await recipient.getAccountInfo()).creditsSent - before.creditsSent).toBe(2)
  })

  it('sharing the same data with the same recipient again updates that share', async () => {
    const answer = await call('POST', '/share_data', { token: ownerToken, body: { data: text, recipient: recipientId } })
    expect(answer.body).toMatchObject({ status: 'shared', share: textShare.share, updated: true, data_hash: `sha256:${textHash}` })
    expect(answer.body.expires_at, 'the new terms: no expiry').toBeUndefined()
    expect(answer.body.compliance.record.index).toBeGreaterThan(textShare.compliance.record.index as number)
  })

  it('GET /verify_data/{hash}: the share\'s records in the owner\'s share log, the log verified from the network', async () => {
    for (const token of [recipientToken, ownerToken]) {
      const answer = await call('GET', `/verify_data/sha256:${textHash}`, { token })
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      const body = answer.body
      expect(body).toMatchObject({ data_hash: `sha256:${textHash}`, shared: true, hash_recorded: true, shares: [{ share: textShare.share, sender: ownerId }] })
      expect(body.verification).toMatchObject({ ok: true, problems: [], logs: [{ id: ownerId, ok: true }] })
      expect(body.verification.logs[0].agreed, 'Data-Managers holding exactly the log').toBeGreaterThanOrEqual(1)
      expect(body.records).toEqual([
        expect.objectContaining({ log: ownerId, kind: 'share', share: textShare.share, path: `_documents/shared/${textHash}`, recipients: [recipientId], ...textShare.compliance.record }),
        expect.objectContaining({ log: ownerId, kind: 'share', share: textShare.share, expires_at: null })
      ])
    }
    const unknown = await call('GET', `/verify_data/${HASH}`, { token: recipientToken })
    expect(unknown.body).toMatchObject({ shared: false, records: [], verification: { ok: false } })
  })

  it('GET /data/list shows the shares on both sides, filtered by date, recipient and sender', async () => {
    const mine = (await call('GET', '/data/list', { token: ownerToken })).body
    expect(mine).toMatchObject({ account: ownerId, received: [] })
    expect(mine.shared).toEqual([
      expect.objectContaining({ share: textShare.share, data_hash: `sha256:${textHash}`, recipients: [recipientId], revoked: [], expires_at: null, price: null }),
      expect.objectContaining({ share: binaryShare.share, data_hash: `sha256:${binaryHash}`, recipients: [recipientId], price: 2 })
    ])
    // The recipient by its cookie this time, as the page would.
    const theirs = (await call('GET', '/data/list', { cookie: recipientCookie })).body
    expect(theirs).toMatchObject({ account: recipientId, shared: [], skipped: 0 })
    expect(theirs.received).toEqual([
      expect.objectContaining({ share: textShare.share, data_hash: `sha256:${textHash}`, sender: ownerId, kind: 'file' }),
      expect.objectContaining({ share: binaryShare.share, data_hash: `sha256:${binaryHash}`, sender: ownerId, price: 2 })
    ])

    const shares = async (token: string, query: string): Promise<string[]> => {
      const answer = await call('GET', `/data/list?${query}`, { token })
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      return [...answer.body.shared, ...answer.body.received].map((s: Body) => s.share as string)
    }
    const both = [textShare.share as string, binaryShare.share as string]
    const day = 86_400_000
    const tomorrow = new Date(Date.now() + day).toISOString()
    const yesterday = new Date(Date.now() - day).toISOString()
    expect(await shares(ownerToken, `recipient=${recipientId}`)).toEqual(both)
    expect(await shares(ownerToken, `recipient=${ownerId}`)).toEqual([])
    expect(await shares(recipientToken, `sender=${ownerId}`)).toEqual(both)
    expect(await shares(recipientToken, `sender=${recipientId}`)).toEqual([])
    expect(await shares(recipientToken, `recipient=${recipientId}&from=${yesterday}&to=${tomorrow}`)).toEqual(both)
    expect(await shares(ownerToken, `from=${encodeURIComponent(tomorrow)}`)).toEqual([])
    expect(await shares(recipientToken, `to=${encodeURIComponent(yesterday)}`)).toEqual([])
    // From the second share's time on: only it (each side by its own timestamps).
    const second = (mine.shared as Body[])[1]?.timestamp as string
    expect(await shares(ownerToken, `from=${encodeURIComponent(second)}`)).toEqual([binaryShare.share])
    const received = (theirs.received as Body[])[1]?.timestamp as string
    expect(await shares(recipientToken, `from=${encodeURIComponent(received)}`)).toEqual([binaryShare.share])
    expect(await call('GET', '/data/list?since=2026-01-01', { token: ownerToken })).toMatchObject({ status: 400, body: { error: { code: 'InvalidRequest' } } })
  })

  it('a stranger claiming the share in the recipient\'s inbox is not taken for its sender: the envelope\'s signature says who sent it', async () => {
    // Share ids and data hashes are public (share logs are); anyone may add an item to an inbox.
    const profile = { sign: recipient.publicKeys?.sign as Uint8Array, encrypt: recipient.publicKeys?.encrypt as Uint8Array }
    const item = sealInboxItem({ share: xorNameFromHex(textShare.share as string), kind: 'file', path: `_documents/shared/${textHash}`, note: `sha256:${textHash}`, at: Date.now() + 60_000 }, stranger.keys as ClientKeys, profile)
    await stranger.mutateMDataEntries(inboxAddress(profile.sign), [{ key: item.key, action: { kind: 'Insert', content: item.content } }])
    const strangerId = bytesToHex(stranger.publicKeys?.sign as Uint8Array)
    expect((await recipient.sharing().inbox()).shares.filter(s => s.share === textShare.share).map(s => s.from).sort()).toEqual([ownerId, strangerId].sort())

    const read = await call('GET', `/data/sha256:${textHash}`, { token: recipientToken })
    expect(read.body).toMatchObject({ data: text, sender: ownerId, verified: true, share: textShare.share })
    const verified = (await call('GET', `/verify_data/sha256:${textHash}`, { token: recipientToken })).body
    expect(verified).toMatchObject({ shared: true, shares: [{ share: textShare.share, sender: ownerId }], verification: { ok: true, logs: [{ id: ownerId }] } })
    expect(verified.records.every((r: Body) => r.log === ownerId)).toBe(true)
  })

  it('once the owner revokes the recipient, the network refuses it the data (403 AccessDenied) and the records say so', async () => {
    await owner.sharing().revoke(binaryShare.share as string, recipientId)
    expect(await call('GET', `/data/${binaryHash}`, { token: recipientToken })).toMatchObject({ status: 403, body: { error: { code: 'AccessDenied' } } })
    const mine = (await call('GET', `/data/list?recipient=${recipientId}`, { token: ownerToken })).body
    expect(mine.shared).toContainEqual(expect.objectContaining({ share: binaryShare.share, recipients: [], revoked: [recipientId] }))
    const verified = (await call('GET', `/verify_data/${binaryHash}`, { token: ownerToken })).body
    expect(verified).toMatchObject({ shared: true, verification: { ok: true } })
    expect(verified.records.map((r: Body) => r.kind)).toEqual(['share', 'payment', 'revoke'])
  })
})
