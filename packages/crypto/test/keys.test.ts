import { beforeAll, describe, expect, it } from 'vitest'
import { encode } from 'cborg'
import {
  cryptoReady, decodeClientKeys, encodeClientKeys, generateClientKeys, signingKeyPairFromSeed
} from '../src/index.js'
import type { ClientKeys } from '../src/index.js'
import { expectCryptoError, hex, thrown } from './helpers.js'

beforeAll(cryptoReady)

function corrupt (keys: ClientKeys, change: (k: ClientKeys) => void): ClientKeys {
  const copy = decodeClientKeys(encodeClientKeys(keys))
  change(copy)
  return copy
}

describe('client keys', () => {
  it('have the SPEC §1 shapes', () => {
    const keys = generateClientKeys()
    expect(keys.sign.publicKey).toHaveLength(32)
    expect(keys.sign.secretKey).toHaveLength(64)
    expect(keys.encrypt.publicKey).toHaveLength(32)
    expect(keys.encrypt.secretKey).toHaveLength(32)
    expect(keys.symmetric).toHaveLength(32)
    expect(hex(generateClientKeys().symmetric)).not.toBe(hex(keys.symmetric))
  })

  it('signing key pairs from a seed are deterministic (RFC 8032 test 1)', async () => {
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex')
    const pair = signingKeyPairFromSeed(seed)
    expect(hex(pair.publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
    expect(hex(pair.secretKey)).toBe(hex(seed) + hex(pair.publicKey))
    expect(signingKeyPairFromSeed(seed)).toEqual(pair)
    expectCryptoError(await thrown(() => signingKeyPairFromSeed(new Uint8Array(31))), 'InvalidKey')
  })

  it('round-trip through their encoding', () => {
    const keys = generateClientKeys()
    const bytes = encodeClientKeys(keys)
    expect(decodeClientKeys(bytes)).toEqual(keys)
    expect(encodeClientKeys(decodeClientKeys(bytes))).toEqual(bytes)
  })

  it('reject malformed encodings with InvalidKey', async () => {
    const keys = generateClientKeys()
    const good = encodeClientKeys(keys)
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, good.length - 1),
      encode([1, 2, 3]),
      encode({ v: 2, signPk: keys.sign.publicKey }),
      encode({ v: 1, signPk: keys.sign.publicKey, signSk: keys.sign.secretKey, encPk: keys.encrypt.publicKey, encSk: keys.encrypt.secretKey, sym: keys.symmetric.subarray(1) }),
      encode({ v: 1, signPk: keys.sign.publicKey, signSk: keys.sign.secretKey, encPk: keys.encrypt.publicKey, encSk: keys.encrypt.secretKey, sym: keys.symmetric, extra: 1 }),
      encode({ v: 1, signPk: keys.sign.publicKey, signSk: keys.sign.secretKey, encPk: keys.encrypt.publicKey, encSk: keys.encrypt.secretKey, sym: 'text' })
    ]
    for (const bytes of cases) expectCryptoError(await thrown(() => decodeClientKeys(bytes)), 'InvalidKey')
  })

  it('reject public keys that do not belong to their secret keys', async () => {
    const keys = generateClientKeys()
    const other = generateClientKeys()
    const mixed: ClientKeys[] = [
      corrupt(keys, (k) => { k.sign.publicKey = other.sign.publicKey }),
      corrupt(keys, (k) => { k.encrypt.publicKey = other.encrypt.publicKey }),
      // Embedded public half of the Ed25519 secret key agrees with publicKey, but not with the seed.
      corrupt(keys, (k) => { k.sign.secretKey = new Uint8Array([...other.sign.secretKey.subarray(0, 32), ...k.sign.publicKey]) })
    ]
    for (const bad of mixed) expectCryptoError(await thrown(() => encodeClientKeys(bad)), 'InvalidKey')
  })
})
