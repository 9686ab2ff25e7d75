import { checkBytes, checkLength } from './check.js'
import { concatBytes, equalBytes, label } from './bytes.js'
import { CryptoError } from './errors.js'
import { SYMMETRIC_KEY_BYTES } from './keys.js'
import { sodium } from './sodium.js'

// Symmetric authenticated encryption for small private values (session packet, directory entries):
// libsodium XChaCha20-Poly1305-IETF. Its 24-byte nonce can be chosen at random for any number of
// messages under one long-lived key, which a 12-byte nonce (Node's native chacha20-poly1305) can't
// safely do. Measured ~230 MB/s here, plenty for values of at most a few MiB; bulk file data goes
// through self-encryption, which uses the native cipher.
//
// Box layout (both variants): nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes).

const NONCE_BYTES = 24
const TAG_BYTES = 16
/** Bytes a symmetric box adds to its plaintext. */
export const SYMMETRIC_OVERHEAD_BYTES = NONCE_BYTES + TAG_BYTES

const DETERMINISTIC_NONCE_KEY_LABEL = label('safemesh/secretbox/deterministic-nonce/v1')

/**
 * Encrypts with a fresh random nonce (prepended). Needs cryptoReady().
 * Throws CryptoError 'InvalidKey' unless key is 32 bytes.
 */
export function encryptSymmetric (plaintext: Uint8Array, key: Uint8Array): Uint8Array {
  const lib = sodium('encryptSymmetric')
  checkBytes(plaintext, 'encryptSymmetric: plaintext')
  checkLength(key, SYMMETRIC_KEY_BYTES, 'encryptSymmetric: key')
  return boxWithNonce(lib, plaintext, key, lib.randombytes_buf(NONCE_BYTES))
}

/**
 * Decrypts a box from encryptSymmetric (or encryptDeterministic). Needs cryptoReady().
 * Throws CryptoError 'DecryptionFailed' on a wrong key or altered box.
 */
export function decryptSymmetric (box: Uint8Array, key: Uint8Array): Uint8Array {
  const lib = sodium('decryptSymmetric')
  checkBytes(box, 'decryptSymmetric: box')
  checkLength(key, SYMMETRIC_KEY_BYTES, 'decryptSymmetric: key')
  return open(lib, box, key)
}

/**
 * Deterministic encryption: the same (plaintext, key) always gives the same box, so an encrypted
 * value can serve as a lookup key (e.g. encrypted directory entry names). The nonce is a keyed
 * BLAKE2b hash of the plaintext under a sub-key of `key` (the SIV construction): distinct
 * plaintexts get distinct nonces, and the only thing revealed is whether two plaintexts are equal.
 * Needs cryptoReady(). Throws CryptoError 'InvalidKey' unless key is 32 bytes.
 */
export function encryptDeterministic (plaintext: Uint8Array, key: Uint8Array): Uint8Array {
  const lib = sodium('encryptDeterministic')
  checkBytes(plaintext, 'encryptDeterministic: plaintext')
  checkLength(key, SYMMETRIC_KEY_BYTES, 'encryptDeterministic: key')
  return boxWithNonce(lib, plaintext, key, deterministicNonce(lib, plaintext, key))
}

/**
 * Decrypts a box from encryptDeterministic and checks that its nonce is the one derived from the
 * plaintext, so a box made any other way is rejected. Needs cryptoReady().
 * Throws CryptoError 'DecryptionFailed' on a wrong key, an altered box or a foreign nonce.
 */
export function decryptDeterministic (box: Uint8Array, key: Uint8Array): Uint8Array {
  const lib = sodium('decryptDeterministic')
  checkBytes(box, 'decryptDeterministic: box')
  checkLength(key, SYMMETRIC_KEY_BYTES, 'decryptDeterministic: key')
  const plaintext = open(lib, box, key)
  if (!equalBytes(box.subarray(0, NONCE_BYTES), deterministicNonce(lib, plaintext, key))) {
    throw new CryptoError('DecryptionFailed', 'decryptDeterministic: nonce does not match the plaintext')
  }
  return plaintext
}

type Sodium = ReturnType<typeof sodium>

function boxWithNonce (lib: Sodium, plaintext: Uint8Array, key: Uint8Array, nonce: Uint8Array): Uint8Array {
  const ciphertext = lib.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, null, null, nonce, key)
  return concatBytes([nonce, ciphertext])
}

function open (lib: Sodium, box: Uint8Array, key: Uint8Array): Uint8Array {
  if (box.length < SYMMETRIC_OVERHEAD_BYTES) {
    throw new CryptoError('DecryptionFailed', 'symmetric box is too short')
  }
  try {
    return lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, box.subarray(NONCE_BYTES), null, box.subarray(0, NONCE_BYTES), key)
  } catch (error) {
    throw new CryptoError('DecryptionFailed', 'cannot decrypt the symmetric box', { cause: error })
  }
}

function deterministicNonce (lib: Sodium, plaintext: Uint8Array, key: Uint8Array): Uint8Array {
  // A separate nonce key, so the MAC over the plaintext never uses the encryption key itself.
  const nonceKey = lib.crypto_generichash(32, DETERMINISTIC_NONCE_KEY_LABEL, key)
  return lib.crypto_generichash(NONCE_BYTES, plaintext, nonceKey)
}
