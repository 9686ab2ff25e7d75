import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { cryptoReady, generateEncryptionKeyPair, openSealed, seal, SEAL_OVERHEAD_BYTES } from '../src/index.js'
import { expectCryptoError, thrown } from './helpers.js'

beforeAll(cryptoReady)

describe('sealed boxes', () => {
  it('round-trip any message to its recipient only', () => {
    const recipient = generateEncryptionKeyPair()
    fc.assert(fc.property(fc.uint8Array({ maxLength: 500 }), (message) => {
      const box = seal(message, recipient.publicKey)
      expect(box).toHaveLength(message.length + SEAL_OVERHEAD_BYTES)
      expect(openSealed(box, recipient)).toEqual(message)
    }), { numRuns: 50 })
  })

  it('are randomised: the same message seals differently each time', () => {
    const recipient = generateEncryptionKeyPair()
    const message = new Uint8Array(10)
    expect(seal(message, recipient.publicKey)).not.toEqual(seal(message, recipient.publicKey))
  })

  it('fail with DecryptionFailed for the wrong key or any altered byte', async () => {
    const recipient = generateEncryptionKeyPair()
    const stranger = generateEncryptionKeyPair()
    const box = seal(new TextEncoder().encode('secret'), recipient.publicKey)
    expectCryptoError(await thrown(() => openSealed(box, stranger)), 'DecryptionFailed')
    for (let i = 0; i < box.length; i++) {
      const altered = new Uint8Array(box)
      altered[i]! ^= 0x80
      expectCryptoError(await thrown(() => openSealed(altered, recipient)), 'DecryptionFailed')
    }
    expectCryptoError(await thrown(() => openSealed(box.subarray(0, 10), recipient)), 'DecryptionFailed')
    expectCryptoError(await thrown(() => openSealed(new Uint8Array(0), recipient)), 'DecryptionFailed')
  })

  it('reject keys of the wrong length with InvalidKey', async () => {
    const recipient = generateEncryptionKeyPair()
    expectCryptoError(await thrown(() => seal(new Uint8Array(1), new Uint8Array(31))), 'InvalidKey')
    const box = seal(new Uint8Array(1), recipient.publicKey)
    expectCryptoError(await thrown(() => openSealed(box, { publicKey: recipient.publicKey, secretKey: new Uint8Array(64) })), 'InvalidKey')
  })
})
