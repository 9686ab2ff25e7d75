import { checkBytes, checkLength } from './check.js'
import { CryptoError } from './errors.js'
import type { EncryptionKeyPair } from './keys.js'
import { ENCRYPT_PUBLIC_KEY_BYTES, ENCRYPT_SECRET_KEY_BYTES } from './keys.js'
import { sodium } from './sodium.js'

// Sealed boxes (libsodium crypto_box_seal): anonymous public-key encryption to an X25519 key.
// An ephemeral key pair per message, so the sender needs no keys and can't be identified.

/** Bytes a sealed box adds to its message (ephemeral public key + MAC). */
export const SEAL_OVERHEAD_BYTES = 48

/**
 * Encrypts `message` so only the holder of the X25519 secret key of `recipientPublicKey` can read
 * it. Needs cryptoReady(). Throws CryptoError 'InvalidKey' unless the public key is 32 bytes.
 */
export function seal (message: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  checkBytes(message, 'seal: message')
  checkLength(recipientPublicKey, ENCRYPT_PUBLIC_KEY_BYTES, 'seal: recipient public key')
  return sodium('seal').crypto_box_seal(message, recipientPublicKey)
}

/**
 * Opens a sealed box. Needs cryptoReady(). Throws CryptoError 'DecryptionFailed' when the box was
 * not sealed to this key pair or was altered, 'InvalidKey' when the key pair has wrong lengths.
 */
export function openSealed (box: Uint8Array, keyPair: EncryptionKeyPair): Uint8Array {
  const lib = sodium('openSealed')
  checkBytes(box, 'openSealed: box')
  checkLength(keyPair.publicKey, ENCRYPT_PUBLIC_KEY_BYTES, 'openSealed: public key')
  checkLength(keyPair.secretKey, ENCRYPT_SECRET_KEY_BYTES, 'openSealed: secret key')
  if (box.length < SEAL_OVERHEAD_BYTES) {
    throw new CryptoError('DecryptionFailed', 'openSealed: box is too short')
  }
  try {
    return lib.crypto_box_seal_open(box, keyPair.publicKey, keyPair.secretKey)
  } catch (error) {
    throw new CryptoError('DecryptionFailed', 'openSealed: cannot open the sealed box', { cause: error })
  }
}
