import { checkBytes } from './check.js'
import { concatBytes, label } from './bytes.js'
import { CryptoError } from './errors.js'
import { sha3_256 } from './hash.js'
import { sodium } from './sodium.js'

// Memory-hard password hashing (SPEC §8): Argon2id v1.3 through libsodium's crypto_pwhash.
// Defaults are part of the account format (changing them moves every account); figures: docs/decisions.md "Login KDF".

export const DEFAULT_KDF_OPS_LIMIT = 3
export const DEFAULT_KDF_MEM_LIMIT = 256 * 1024 * 1024
export const DERIVED_KEY_BYTES = 32

// libsodium.js reports its *_MAX constants through signed 32-bit ints (OPSLIMIT_MAX reads as −1),
// so the upper bounds are stated here: 2^32 − 1 passes, and 2 GiB, which the 32-bit WASM heap can
// actually hold beside libsodium itself.
const MAX_OPS_LIMIT = 0xffffffff
const MAX_MEM_LIMIT = 2 * 1024 * 1024 * 1024

const SALT_LABEL = label('safemesh/kdf/salt/v1')
const ARGON2_SALT_BYTES = 16

export interface DeriveKeyOptions {
  /** Argon2id passes over memory (default 3). */
  opsLimit?: number
  /** Argon2id memory in bytes (default 256 MiB). Small values are for tests only. */
  memLimit?: number
}

/**
 * A 32-byte key derived from `password` and `salt` with Argon2id. Needs cryptoReady().
 *
 * - A string password is Unicode-NFC-normalised and UTF-8 encoded, so the same typed password gives
 *   the same key on every platform (macOS input methods may produce decomposed forms).
 * - `salt` may be any length (e.g. a user's secret): Argon2id in libsodium takes exactly 16 bytes,
 *   so the salt used is the first 16 bytes of SHA3-256(domain label ‖ salt).
 *
 * Throws CryptoError 'InvalidInput' for limits outside libsodium's Argon2id bounds.
 */
export function deriveKey (password: Uint8Array | string, salt: Uint8Array, options: DeriveKeyOptions = {}): Uint8Array {
  const lib = sodium('deriveKey')
  checkBytes(salt, 'deriveKey: salt')
  const opsLimit = options.opsLimit ?? DEFAULT_KDF_OPS_LIMIT
  const memLimit = options.memLimit ?? DEFAULT_KDF_MEM_LIMIT
  checkLimit('opsLimit', opsLimit, lib.crypto_pwhash_argon2id_OPSLIMIT_MIN, MAX_OPS_LIMIT)
  checkLimit('memLimit', memLimit, lib.crypto_pwhash_argon2id_MEMLIMIT_MIN, MAX_MEM_LIMIT)
  const passwordBytes = typeof password === 'string'
    ? new TextEncoder().encode(password.normalize('NFC'))
    : password
  checkBytes(passwordBytes, 'deriveKey: password')
  const argonSalt = sha3_256(concatBytes([SALT_LABEL, salt])).subarray(0, ARGON2_SALT_BYTES)
  return lib.crypto_pwhash(DERIVED_KEY_BYTES, passwordBytes, argonSalt, opsLimit, memLimit,
    lib.crypto_pwhash_ALG_ARGON2ID13)
}

function checkLimit (name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CryptoError('InvalidInput', `deriveKey: ${name} must be an integer in [${min}, ${max}], got ${value}`)
  }
}
