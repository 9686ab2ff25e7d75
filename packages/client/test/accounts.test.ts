import { beforeAll, describe, expect, it } from 'vitest'
import { cryptoReady, decryptSymmetric } from '@safemesh/crypto'
import { bytesToHex, entryKeyId, sha3_256, type MutableData } from '@safemesh/protocol'
import { type SafeMeshClient, decodeAppCredentials, encodeAppCredentials, createClient, createAccount, login, userOf } from '../src/index.js'
import { APPS_ENTRY_KEY, LOGIN_ENTRY_KEY, SESSION_PACKET_TAG, deriveSessionSecrets } from '../src/internals.js'
import { networkSaltFrom } from '../src/session/session-packet.js'
import { FakeNetwork } from './support/fake-network.js'
import { FAST_KDF, TEST_NETWORK_SALT, clientOptions, connectedClient, expectCode, freshKeys, pseudoRandomBytes, rejectionOf, utf8 } from './support/helpers.js'

beforeAll(cryptoReady)

describe('session secrets (SPEC §8)', () => {
  const salt = networkSaltFrom(TEST_NETWORK_SALT)

  it('the location and the key both depend on the secret and the password', () => {
    const a = deriveSessionSecrets('secret', 'password', salt, FAST_KDF)
    const b = deriveSessionSecrets('secret', 'other password', salt, FAST_KDF)
    const c = deriveSessionSecrets('other secret', 'password', salt, FAST_KDF)
    for (const other of [b, c]) {
      expect(bytesToHex(a.location)).not.toBe(bytesToHex(other.location))
      expect(bytesToHex(a.key)).not.toBe(bytesToHex(other.key))
    }
    expect(bytesToHex(a.location)).not.toBe(bytesToHex(a.key))
    expect(deriveSessionSecrets('secret', 'password', salt, FAST_KDF)).toEqual(a)
  })
})

describe('accounts and login through the in-memory network', () => {
  const network = new FakeNetwork()
  const secret = 'correct horse battery staple'
  const password = 'hunter2 plus seven quiet lanterns'
  let owner: SafeMeshClient

  beforeAll(async () => {
    owner = await createAccount({ secret, password }, clientOptions(network))
  })

  it('creating an account stores its session packet through its own Maid-Managers and opens the account', async () => {
    expect(owner.mode).toBe('account')
    const keys = owner.keys
    if (keys === undefined) throw new Error('no keys')
    expect(owner.account).toEqual(sha3_256(keys.sign.publicKey))
    const put = network.sent('PutMData').filter(m => m.message.data.tag === SESSION_PACKET_TAG)
    expect(put.map(m => m.to).sort()).toEqual(network.closeGroup(owner.account as Uint8Array).map(n => n.id).sort())
    expect(put[0]?.from).toBe(bytesToHex(keys.sign.publicKey))
    const info = await owner.getAccountInfo()
    expect(info.mutationsDone + info.mutationsAvailable).toBe(network.params.accountAllowance)

    const { location } = deriveSessionSecrets(secret, password, networkSaltFrom(TEST_NETWORK_SALT), FAST_KDF)
    const packet: MutableData = await owner.getMData({ name: location, tag: SESSION_PACKET_TAG })
    expect(packet.owners).toEqual([keys.sign.publicKey])
    const login = packet.entries.get(entryKeyId(LOGIN_ENTRY_KEY))
    expect(login).toBeDefined()
    // The entry is a box: no key material in the clear.
    expect(Buffer.from(login?.content ?? []).includes(Buffer.from(keys.sign.secretKey))).toBe(false)
  })

  it('logs in with the secret and password, to the same keys, session and root', async () => {
    const again = await login({ secret, password }, clientOptions(network))
    expect(again.mode).toBe('account')
    expect(again.publicKeys).toEqual(owner.publicKeys)
    expect(again.keys).toEqual(owner.keys)
    expect(again.session).toEqual(owner.session)
    expect((await again.getAccountInfo()).mutationsDone).toBeGreaterThan(0)
    await again.close()
  })

  it('a wrong password and an unknown secret give the same InvalidCredentials', async () => {
    const wrongPassword = await expectCode(login({ secret, password: 'hunter3' }, clientOptions(network)), 'InvalidCredentials')
    const unknownSecret = await expectCode(login({ secret: 'nobody has this secret', password }, clientOptions(network)), 'InvalidCredentials')
    expect(wrongPassword.message).toBe(unknownSecret.message)
    expect(wrongPassword.details).toEqual(unknownSecret.details)
  })

  it('taken credentials are AccountExists; the same secret with another password is another account', async () => {
    await expectCode(createAccount({ secret, password }, clientOptions(network)), 'AccountExists')
    const other = await createAccount({ secret, password: 'another password' }, clientOptions(network))
    expect(other.account).not.toEqual(owner.account)
    await other.close()
  })

  it('refuses an empty secret or password', async () => {
    await expectCode(createAccount({ secret: '', password: 'x' }, clientOptions(network)), 'InvalidRequest')
    await expectCode(createAccount({ secret: 'x', password: '' }, clientOptions(network)), 'InvalidRequest')
  })

  it('opens a session packet without changing identity (to read private data while connected)', async () => {
    const reader = await connectedClient(network)
    const session = await reader.openSession({ secret, password }, { kdf: FAST_KDF })
    expect(session.keys).toEqual(owner.keys)
    await expectCode(reader.openSession({ secret, password: 'nope' }, { kdf: FAST_KDF }), 'InvalidCredentials')
    expect(reader.mode).toBe('connected')
  })

  describe('apps', () => {
    it('authorises an app: keys inserted at the Maid-Managers, recorded in the session packet', async () => {
      const before = await owner.listAuthKeysAndVersion()
      const app = await owner.authoriseApp('photos')
      expect(app.app).toBe('photos')
      expect(app.key).toMatch(/^[0-9a-f]{64}$/)
      const after = await owner.listAuthKeysAndVersion()
      expect(after.version).toBe(before.version + 1)
      expect(after.keys.map(bytesToHex)).toContain(app.key)
      expect(await owner.listApps()).toEqual([{ app: 'photos', key: app.key, authorised: true, containers: [] }])
      // The registry entry is encrypted with the account's symmetric key.
      const registry = await owner.getMDataValue({ name: owner.session?.location as Uint8Array, tag: SESSION_PACKET_TAG }, APPS_ENTRY_KEY)
      expect(decryptSymmetric(registry.content, owner.keys?.symmetric as Uint8Array).length).toBeGreaterThan(0)

      const credentials = decodeAppCredentials(app.credentials)
      expect(credentials.app).toBe('photos')
      expect(credentials.owner).toEqual(owner.keys?.sign.publicKey)
      expect(bytesToHex(credentials.keys.sign.publicKey)).toBe(app.key)
    })

    it('authorising the same app again gives the same credentials and costs nothing', async () => {
      const first = await owner.authoriseApp('photos')
      const before = await owner.getAccountInfo()
      const version = (await owner.listAuthKeysAndVersion()).version
      expect(await owner.authoriseApp('photos')).toEqual(first)
      expect(await owner.getAccountInfo()).toEqual(before)
      expect((await owner.listAuthKeysAndVersion()).version).toBe(version)
    })

    it('an app acts for the owner\'s account with its own key', async () => {
      const { credentials, key } = await owner.authoriseApp('editor')
      const app = await createClient({ ...clientOptions(network), app: credentials })
      expect(app.mode).toBe('app')
      expect(app.app).toBe('editor')
      expect(app.account).toEqual(owner.account)
      expect(bytesToHex(app.publicKeys?.sign as Uint8Array)).toBe(key)
      const before = (await owner.getAccountInfo()).mutationsDone

      network.reset()
      const { address } = await app.putFile([pseudoRandomBytes(4000, 'by an app')])
      expect(network.sent('PutIData').every(m => m.from === key && bytesToHex(m.message.requester) === key)).toBe(true)
      expect(network.sent('PutIData').every(m => bytesToHex(m.message.account) === bytesToHex(owner.account as Uint8Array))).toBe(true)
      expect(address).toMatch(/^[0-9a-f]{64}$/)

      // Its MutableData is owned by the owner, and the app may change it.
      const md = await app.createMData({ tag: 30_000, entries: [{ key: utf8('k'), content: utf8('v') }] })
      expect(md.owners).toEqual([owner.keys?.sign.publicKey])
      await app.mutateMDataEntries({ name: md.name, tag: 30_000 }, [{ key: utf8('k'), action: { kind: 'Update', content: utf8('w'), version: 1 } }])
      expect((await owner.getMDataValue({ name: md.name, tag: 30_000 }, utf8('k'))).content).toEqual(utf8('w'))
      // But never change its owner, or manage apps.
      await expectCode(app.changeMDataOwner({ name: md.name, tag: 30_000 }, { newOwner: app.publicKeys?.sign as Uint8Array, version: 1 }), 'AccessDenied')
      await expectCode(app.authoriseApp('another'), 'AccessDenied')
      // Charged to the owner's account.
      expect((await owner.getAccountInfo()).mutationsDone).toBeGreaterThan(before)
      await app.close()
    })

    it('revokes an app: its key is deleted and every later request refused', async () => {
      const { credentials, key } = await owner.authoriseApp('short-lived')
      const app = await createClient({ ...clientOptions(network), app: credentials })
      await app.putIData(utf8('allowed'))
      expect(await owner.revokeApp('short-lived')).toEqual({ app: 'short-lived', key, reencrypted: [] })
      expect((await owner.listApps()).map(a => a.app)).not.toContain('short-lived')
      expect((await owner.listAuthKeysAndVersion()).keys.map(bytesToHex)).not.toContain(key)
      await expectCode(app.putIData(utf8('refused')), 'AccessDenied')
      await expectCode(owner.revokeApp('short-lived'), 'NoSuchKey')
    })

    it('managing apps needs a login, not just the keys', async () => {
      const keysOnly = await createClient({ ...clientOptions(network), keys: owner.keys })
      await expectCode(keysOnly.authoriseApp('x'), 'InvalidOperation')
      await expectCode(keysOnly.listApps(), 'InvalidOperation')
    })

    it('malformed credentials are InvalidCredentials', async () => {
      const keys = await freshKeys()
      const good = encodeAppCredentials({ app: 'a', owner: keys.sign.publicKey, keys })
      expect(decodeAppCredentials(good).app).toBe('a')
      for (const bad of ['', 'nonsense', 'safemesh-app-1.', good.slice(0, -4), good.replace('safemesh-app-1.', 'safemesh-app-2.')]) {
        expect(() => decodeAppCredentials(bad)).toThrow(expect.objectContaining({ code: 'InvalidCredentials' }))
      }
      await expectCode(createClient({ ...clientOptions(network), app: 'nonsense' }), 'InvalidCredentials')
    })
  })

  describe('private MutableData', () => {
    it('encrypts keys and values with the creator\'s key and marks itself private', async () => {
      const md = await owner.createMData({ tag: 40_000, private: true, entries: [{ key: utf8('diary'), content: utf8('dear diary') }] })
      const entries = await owner.listMDataEntries({ name: md.name, tag: 40_000 })
      expect(entries.map(e => Buffer.from(e.key).toString())).toContain('safemesh:private')
      expect(entries.some(e => Buffer.from(e.key).toString() === 'diary')).toBe(false)
      const cipher = owner.privateEntries()
      const marker = entries.find(e => Buffer.from(e.key).toString() === 'safemesh:private')
      cipher.checkMarker(marker?.content as Uint8Array)
      expect(cipher.decryptEntries(entries)).toEqual([{ key: utf8('diary'), content: utf8('dear diary'), version: 0 }])
      const diary = cipher.encryptKey(utf8('diary'))
      const value = await owner.getMDataValue({ name: md.name, tag: 40_000 }, diary)
      expect(cipher.decryptValue(value.content, diary, value.version)).toEqual(utf8('dear diary'))
      // A value is bound to its key and version: moved to another key, or put back at a later version, it is refused.
      expect(() => cipher.decryptValue(value.content, cipher.encryptKey(utf8('other')), value.version)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))
      expect(() => cipher.decryptValue(value.content, diary, value.version + 1)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))

      const stranger = await createClient({ ...clientOptions(network), keys: await freshKeys() })
      expect(() => { stranger.privateEntries().checkMarker(marker?.content as Uint8Array) }).toThrow(expect.objectContaining({ code: 'AccessDenied' }))
    })
  })

  it('a writer without the key who puts an old value back, or moves one, is found out by the reader', async () => {
    const md = await owner.createMData({ tag: 40_001, private: true, permissions: [{ user: userOf('anyone'), permissions: { Update: true } }], entries: [{ key: utf8('balance'), content: utf8('100') }, { key: utf8('limit'), content: utf8('5') }] })
    const cipher = owner.privateEntries()
    const [balance, limit] = [cipher.encryptKey(utf8('balance')), cipher.encryptKey(utf8('limit'))]
    const first = await owner.getMDataValue(md, balance)
    await owner.mutateMDataEntries(md, [{ key: balance, action: { kind: 'Update', content: cipher.encryptValue(utf8('0'), balance, 1), version: 1 } }])
    // Someone with Update permission but not the key puts the first value back (a replay)...
    const stranger = await createAccount({ secret: `stranger ${Math.random()}`, password: 'password of a stranger 8123' }, clientOptions(network))
    await stranger.mutateMDataEntries(md, [{ key: balance, action: { kind: 'Update', content: first.content, version: 2 } }])
    const replayed = await owner.getMDataValue(md, balance)
    expect(() => cipher.decryptValue(replayed.content, balance, replayed.version)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))
    // ...or copies another entry's value onto it.
    const moved = await owner.getMDataValue(md, limit)
    await stranger.mutateMDataEntries(md, [{ key: balance, action: { kind: 'Update', content: moved.content, version: 3 } }])
    const now = await owner.getMDataValue(md, balance)
    expect(() => cipher.decryptValue(now.content, balance, now.version)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))
    // Listings leave such entries out rather than show a value that is not the entry's.
    expect(cipher.decryptEntries(await owner.listMDataEntries(md)).map(e => new TextDecoder().decode(e.key))).toEqual(['limit'])
    await stranger.close()
  })

  it('connected clients cannot create MutableData', async () => {
    const reader = await connectedClient(network)
    const err = await rejectionOf(reader.createMData({ tag: 50_000 }))
    expect(err).toMatchObject({ code: 'AccessDenied' })
  })
})
