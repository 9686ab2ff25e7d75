import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  cryptoReady, decryptDeterministic, decryptSymmetric, encryptDeterministic, encryptSymmetric,
  generateSymmetricKey, SYMMETRIC_OVERHEAD_BYTES
} from '../src/index.js'
import { expectCryptoError, thrown } from './helpers.js'

beforeAll(cryptoReady)

describe('symmetric encryption', () => {
  it('round-trips with a random nonce', () => {
    const key = generateSymmetricKey()
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1000 }), (plaintext) => {
      const box = encryptSymmetric(plaintext, key)
      expect(box).toHaveLength(plaintext.length + SYMMETRIC_OVERHEAD_BYTES)
      expect(decryptSymmetric(box, key)).toEqual(plaintext)
    }), { numRuns: 50 })
    const message = new Uint8Array(5)
    expect(encryptSymmetric(message, key)).not.toEqual(encryptSymmetric(message, key))
  })

  it('deterministic variant: same input, same box; different input, different nonce', () => {
    const key = generateSymmetricKey()
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
      const boxA = encryptDeterministic(a, key)
      expect(encryptDeterministic(a, key)).toEqual(boxA)
      expect(decryptDeterministic(boxA, key)).toEqual(a)
      // Deterministic boxes are ordinary boxes too.
      expect(decryptSymmetric(boxA, key)).toEqual(a)
      if (Buffer.compare(a, b) !== 0) {
        expect(encryptDeterministic(b, key).subarray(0, 24)).not.toEqual(boxA.subarray(0, 24))
      }
    }), { numRuns: 50 })
    expect(encryptDeterministic(new Uint8Array(3), generateSymmetricKey())).not.toEqual(encryptDeterministic(new Uint8Array(3), key))
  })

  it('decryptDeterministic rejects boxes whose nonce was not derived from the plaintext', async () => {
    const key = generateSymmetricKey()
    const randomBox = encryptSymmetric(new Uint8Array(8), key)
    expectCryptoError(await thrown(() => decryptDeterministic(randomBox, key)), 'DecryptionFailed')
  })

  it('fails with DecryptionFailed for the wrong key, a tampered box or a short box', async () => {
    const key = generateSymmetricKey()
    for (const encrypt of [encryptSymmetric, encryptDeterministic]) {
      const box = encrypt(new TextEncoder().encode('directory entry'), key)
      expectCryptoError(await thrown(() => decryptSymmetric(box, generateSymmetricKey())), 'DecryptionFailed')
      for (let i = 0; i < box.length; i++) {
        const altered = new Uint8Array(box)
        altered[i]! ^= 1
        expectCryptoError(await thrown(() => decryptSymmetric(altered, key)), 'DecryptionFailed')
        expectCryptoError(await thrown(() => decryptDeterministic(altered, key)), 'DecryptionFailed')
      }
      expectCryptoError(await thrown(() => decryptSymmetric(box.subarray(0, SYMMETRIC_OVERHEAD_BYTES - 1), key)), 'DecryptionFailed')
    }
  })

  it('rejects keys that are not 32 bytes with InvalidKey', async () => {
    for (const f of [encryptSymmetric, decryptSymmetric, encryptDeterministic, decryptDeterministic]) {
      expectCryptoError(await thrown(() => f(new Uint8Array(40), new Uint8Array(16))), 'InvalidKey')
    }
  })
})
