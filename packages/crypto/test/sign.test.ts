import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { cryptoReady, generateSigningKeyPair, sign, signingKeyPairFromSeed, verify } from '../src/index.js'
import { expectCryptoError, hex, thrown } from './helpers.js'

beforeAll(cryptoReady)

describe('sign / verify', () => {
  it('matches RFC 8032 test 2 (one-byte message)', () => {
    const pair = signingKeyPairFromSeed(Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex'))
    const signature = sign(Uint8Array.of(0x72), pair.secretKey)
    expect(hex(signature)).toBe('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da' +
      '085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00')
    expect(verify(signature, Uint8Array.of(0x72), pair.publicKey)).toBe(true)
  })

  it('verifies its own signatures and rejects any change', () => {
    const pair = generateSigningKeyPair()
    const other = generateSigningKeyPair()
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (message, where) => {
      const signature = sign(message, pair.secretKey)
      expect(signature).toHaveLength(64)
      expect(verify(signature, message, pair.publicKey)).toBe(true)
      expect(verify(signature, message, other.publicKey)).toBe(false)
      const badSignature = new Uint8Array(signature)
      badSignature[where % 64]! ^= 1
      expect(verify(badSignature, message, pair.publicKey)).toBe(false)
      if (message.length > 0) {
        const badMessage = new Uint8Array(message)
        badMessage[where % message.length]! ^= 1
        expect(verify(signature, badMessage, pair.publicKey)).toBe(false)
      }
    }), { numRuns: 50 })
  })

  it('verify returns false for garbage, never throws', () => {
    const pair = generateSigningKeyPair()
    const message = Uint8Array.of(1, 2, 3)
    const signature = sign(message, pair.secretKey)
    expect(verify(new Uint8Array(0), message, pair.publicKey)).toBe(false)
    expect(verify(signature.subarray(1), message, pair.publicKey)).toBe(false)
    expect(verify(signature, message, pair.publicKey.subarray(1))).toBe(false)
    expect(verify(signature, message, new Uint8Array(32))).toBe(false) // small-order point
    expect(verify(new Uint8Array(64).fill(0xff), message, pair.publicKey)).toBe(false) // non-canonical S
    // Wrong types from untyped callers.
    const loose = verify as (...args: unknown[]) => boolean
    expect(loose('sig', message, pair.publicKey)).toBe(false)
    expect(loose(signature, null, pair.publicKey)).toBe(false)
    expect(loose(signature, message, undefined)).toBe(false)
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 32, maxLength: 32 }),
      (sig, msg, key) => { expect(verify(sig, msg, key)).toBe(false) }), { numRuns: 200 })
  })

  it('sign rejects a secret key of the wrong length', async () => {
    expectCryptoError(await thrown(() => sign(new Uint8Array(1), new Uint8Array(32))), 'InvalidKey')
  })
})
