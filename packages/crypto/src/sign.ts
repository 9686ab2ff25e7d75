import { checkBytes, checkLength } from './check.js'
import { SIGN_PUBLIC_KEY_BYTES, SIGN_SECRET_KEY_BYTES } from './keys.js'
import { sodium } from './sodium.js'

// libsodium (WASM), not node:crypto: faster here (docs/decisions.md "Signatures") and its verify is
// the strict one (rejects non-canonical signatures and small-order keys).

export const SIGNATURE_BYTES = 64

/**
 * A detached Ed25519 signature (64 bytes) of `message`. Needs cryptoReady().
 * Throws CryptoError 'InvalidKey' unless secretKey is 64 bytes.
 */
export function sign (message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  checkBytes(message, 'sign: message')
  checkLength(secretKey, SIGN_SECRET_KEY_BYTES, 'sign: secret key')
  return sodium('sign').crypto_sign_detached(message, secretKey)
}

/**
 * Whether `signature` is a valid Ed25519 signature of `message` by `publicKey`. Needs cryptoReady().
 * Never throws on malformed input (wrong lengths, non-bytes, invalid points): it returns false,
 * so it is safe to call on anything that came off the wire.
 */
export function verify (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const lib = sodium('verify')
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false
  if (!(message instanceof Uint8Array)) return false
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== SIGN_PUBLIC_KEY_BYTES) return false
  try {
    return lib.crypto_sign_verify_detached(signature, message, publicKey)
  } catch {
    return false
  }
}
