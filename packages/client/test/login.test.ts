import { Writable } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { cryptoReady, generateClientKeys } from '@safemesh/crypto'
import { bytesToHex, randomXorName } from '@safemesh/protocol'
import { pino } from 'pino'
import { type Network, MIN_CREDENTIAL_SCORE, checkNewCredentials, createAccount, createClient, libp2pNetwork, login } from '../src/index.js'
import { SESSION_PACKET_TAG, deriveSessionSecrets, newSessionPacket } from '../src/internals.js'
import { credentialStrength } from '../src/session/credential-strength.js'
import { FALLBACK_NETWORK_SALT, networkSaltFrom } from '../src/session/session-packet.js'
import { FakeNetwork } from './support/fake-network.js'
import { FAST_KDF, TEST_NETWORK_SALT, clientOptions, connectedClient, expectCode } from './support/helpers.js'

beforeAll(cryptoReady)

const SALT = networkSaltFrom(TEST_NETWORK_SALT)
const OTHER_SALT = networkSaltFrom('cd'.repeat(32))
const SECRET = 'a quiet owl over harbour 1937'
const PASSWORD = 'violet tango spoons drift'

/** A network that counts how often it was joined. */
function counting (network: FakeNetwork): { network: Network, joins: () => number } {
  let joins = 0
  return {
    network: { connect: async (identity) => { joins++; return await network.connect(identity) } },
    joins: () => joins
  }
}

describe('login derivation: one Argon2id over secret and password, salted by the network', () => {
  it('the same secret and password on two networks give unrelated locations and keys', () => {
    const here = deriveSessionSecrets(SECRET, PASSWORD, SALT, FAST_KDF)
    const there = deriveSessionSecrets(SECRET, PASSWORD, OTHER_SALT, FAST_KDF)
    expect(bytesToHex(here.location)).not.toBe(bytesToHex(there.location))
    expect(bytesToHex(here.key)).not.toBe(bytesToHex(there.key))
  })

  it('is deterministic, and any change of secret, password or salt moves both location and key (property)', () => {
    const text = fc.string({ minLength: 1, maxLength: 24 })
    fc.assert(fc.property(text, text, fc.uint8Array({ minLength: 32, maxLength: 32 }), text, (secret, password, salt, other) => {
      const a = deriveSessionSecrets(secret, password, salt, FAST_KDF)
      expect(deriveSessionSecrets(secret, password, salt, FAST_KDF)).toEqual(a)
      expect(a.location).toHaveLength(32)
      expect(a.key).toHaveLength(32)
      expect(bytesToHex(a.location)).not.toBe(bytesToHex(a.key))
      const moved = [
        ...(other.normalize('NFC') !== secret.normalize('NFC') ? [deriveSessionSecrets(other, password, salt, FAST_KDF)] : []),
        ...(other.normalize('NFC') !== password.normalize('NFC') ? [deriveSessionSecrets(secret, other, salt, FAST_KDF)] : []),
        deriveSessionSecrets(secret, password, salt.map((b, i) => i === 0 ? b ^ 1 : b), FAST_KDF)
      ]
      for (const b of moved) {
        expect(bytesToHex(b.location)).not.toBe(bytesToHex(a.location))
        expect(bytesToHex(b.key)).not.toBe(bytesToHex(a.key))
      }
    }), { numRuns: 40 })
  })

  it('keeps the secret and the password apart: moving characters between them changes everything', () => {
    const a = deriveSessionSecrets('ab', 'c', SALT, FAST_KDF)
    const b = deriveSessionSecrets('a', 'bc', SALT, FAST_KDF)
    expect(bytesToHex(a.location)).not.toBe(bytesToHex(b.location))
    expect(deriveSessionSecrets('caf\u00e9', 'pw', SALT, FAST_KDF)).toEqual(deriveSessionSecrets('cafe\u0301', 'pw', SALT, FAST_KDF))
  })

  it('a network salt is 32 bytes, as bytes or 64 hex digits; anything else is InvalidRequest', async () => {
    expect(networkSaltFrom(TEST_NETWORK_SALT)).toEqual(new Uint8Array(32).fill(0xab))
    expect(networkSaltFrom(SALT)).toEqual(SALT)
    for (const bad of ['ab'.repeat(31), 'xy'.repeat(32), 'abc', new Uint8Array(16)]) {
      expect(() => networkSaltFrom(bad)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))
    }
    await expectCode(login({ secret: SECRET, password: PASSWORD }, clientOptions(new FakeNetwork(), { networkSalt: 'nope' })), 'InvalidRequest')
  })
})

describe('the secret cannot be confirmed without the password', () => {
  const network = new FakeNetwork()

  it('a wrong password looks at another location, where nothing is: the same InvalidCredentials as an unknown secret', async () => {
    const owner = await createAccount({ secret: SECRET, password: PASSWORD }, clientOptions(network))
    const right = deriveSessionSecrets(SECRET, PASSWORD, SALT, FAST_KDF)
    const wrong = deriveSessionSecrets(SECRET, 'another guess', SALT, FAST_KDF)
    expect(owner.session?.location).toEqual(right.location)
    expect(bytesToHex(wrong.location)).not.toBe(bytesToHex(right.location))
    const reader = await connectedClient(network)
    await expectCode(reader.getMData({ name: wrong.location, tag: SESSION_PACKET_TAG }), 'NoSuchData')
    expect((await reader.getMData({ name: right.location, tag: SESSION_PACKET_TAG })).owners).toEqual([owner.keys?.sign.publicKey])
    const wrongPassword = await expectCode(login({ secret: SECRET, password: 'another guess' }, clientOptions(network)), 'InvalidCredentials')
    const unknownSecret = await expectCode(login({ secret: 'no one has this secret 9137', password: PASSWORD }, clientOptions(network)), 'InvalidCredentials')
    expect(wrongPassword.message).toBe(unknownSecret.message)
    // The same credentials with another network's salt are another account.
    await expectCode(login({ secret: SECRET, password: PASSWORD }, clientOptions(network, { networkSalt: OTHER_SALT })), 'InvalidCredentials')
    await reader.close()
    await owner.close()
  })
})

describe('the strength rule at account creation', () => {
  it(`refuses a weak password, saying which and why, before any network work (zxcvbn score < ${MIN_CREDENTIAL_SCORE})`, async () => {
    const fake = new FakeNetwork()
    const { network, joins } = counting(fake)
    const err = await expectCode(createAccount({ secret: SECRET, password: 'password' }, clientOptions(fake, { network })), 'InvalidRequest')
    expect(err.message).toMatch(/^the password is too weak: it is one of the ten most used passwords \(zxcvbn rates it 0 of 4/)
    expect(err.message).toContain('four or more uncommon words')
    expect(joins()).toBe(0)
    expect(fake.log).toHaveLength(0)
  })

  it('refuses a weak secret, and a password that repeats the secret', async () => {
    const network = new FakeNetwork()
    const weakSecret = await expectCode(createAccount({ secret: 'my secret', password: PASSWORD }, clientOptions(network)), 'InvalidRequest')
    expect(weakSecret.message).toMatch(/^the secret is too weak: it is similar to a commonly used password/)
    const same = await expectCode(createAccount({ secret: SECRET, password: SECRET }, clientOptions(network)), 'InvalidRequest')
    expect(same.message).toMatch(/^the password is too weak: it contains the secret/)
    expect(() => { checkNewCredentials(SECRET, PASSWORD) }).not.toThrow()
    expect(credentialStrength(PASSWORD, { name: 'secret', value: SECRET }).score).toBeGreaterThanOrEqual(MIN_CREDENTIAL_SCORE)
    expect(credentialStrength(SECRET, { name: 'secret', value: SECRET }).score).toBe(0)
    expect(network.log).toHaveLength(0)
  })

  it('does not apply at login: an account made with weak credentials before the rule still logs in', async () => {
    const network = new FakeNetwork()
    const keys = generateClientKeys()
    const old = await createClient({ ...clientOptions(network), keys })
    await old.putMData(newSessionPacket(deriveSessionSecrets('secret', 'password', SALT, FAST_KDF), { keys, root: randomXorName() }))
    await old.close()
    const client = await login({ secret: 'secret', password: 'password' }, clientOptions(network))
    expect(client.keys).toEqual(keys)
    await client.close()
    await expectCode(login({ secret: 'secret', password: 'passwords' }, clientOptions(network)), 'InvalidCredentials')
  })
})

describe('a network without a salt', () => {
  it('uses the fixed fallback salt and says so in the log', async () => {
    const network = new FakeNetwork()
    const lines: string[] = []
    const log = pino({ level: 'warn' }, new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done() } }))
    const { networkSalt: _salt, ...withoutSalt } = clientOptions(network, { log })
    const owner = await createAccount({ secret: SECRET, password: PASSWORD }, withoutSalt)
    expect(owner.session?.location).toEqual(deriveSessionSecrets(SECRET, PASSWORD, FALLBACK_NETWORK_SALT, FAST_KDF).location)
    expect(lines.join('')).toContain('the network gives no salt')
    await owner.close()
    await expectCode(login({ secret: SECRET, password: PASSWORD }, clientOptions(network)), 'InvalidCredentials')
  })

  it('takes the salt a Network object carries (libp2pNetwork(file) keeps its config\'s), not the fallback', async () => {
    const network = new FakeNetwork()
    const { networkSalt: _salt, ...withoutSalt } = clientOptions(network)
    const salted: Network = { connect: async (identity) => await network.connect(identity), salt: 'cd'.repeat(32) }
    const owner = await createAccount({ secret: SECRET, password: PASSWORD }, { ...withoutSalt, network: salted })
    expect(owner.session?.location).toEqual(deriveSessionSecrets(SECRET, PASSWORD, OTHER_SALT, FAST_KDF).location)
    await owner.close()
    expect(libp2pNetwork({ bootstrap: [], salt: 'cd'.repeat(32) }).salt).toBe('cd'.repeat(32))
  })
})
