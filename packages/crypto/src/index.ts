/**
 * @safemesh/crypto — pure cryptography for SafeMesh (no I/O).
 *
 * libsodium-backed functions (key generation, sign/verify, seal, symmetric boxes, deriveKey) need
 * `await cryptoReady()` once first; hashing, randomness and self-encryption use Node's native
 * crypto and work at any time.
 *
 * @example
 * ```ts
 * import { cryptoReady, generateClientKeys, selfEncrypt } from '@safemesh/crypto'
 *
 * await cryptoReady()
 * const keys = generateClientKeys()
 * const { dataMap } = await selfEncrypt([new TextEncoder().encode('hello')], { onChunk: async () => {} })
 * ```
 *
 * @packageDocumentation
 */
export type { CryptoErrorCode } from './errors.js'
export { CryptoError, isCryptoError } from './errors.js'
export type { Sha3_256Hasher } from './hash.js'
export { createSha3_256, sha256, sha3_256 } from './hash.js'
export { randomBytes } from './random.js'
export { cryptoReady, isCryptoReady } from './sodium.js'
export type { ClientKeys, EncryptionKeyPair, SigningKeyPair } from './keys.js'
export {
  decodeClientKeys,
  encodeClientKeys,
  ENCRYPT_PUBLIC_KEY_BYTES,
  ENCRYPT_SECRET_KEY_BYTES,
  generateClientKeys,
  generateEncryptionKeyPair,
  generateSigningKeyPair,
  generateSymmetricKey,
  SIGN_PUBLIC_KEY_BYTES,
  SIGN_SECRET_KEY_BYTES,
  SIGN_SEED_BYTES,
  signingKeyPairFromSeed,
  SYMMETRIC_KEY_BYTES
} from './keys.js'
export { sign, SIGNATURE_BYTES, verify } from './sign.js'
export { openSealed, seal, SEAL_OVERHEAD_BYTES } from './seal.js'
export {
  decryptDeterministic,
  decryptSymmetric,
  encryptDeterministic,
  encryptSymmetric,
  SYMMETRIC_OVERHEAD_BYTES
} from './secretbox.js'
export type { DeriveKeyOptions } from './kdf.js'
export { DEFAULT_KDF_MEM_LIMIT, DEFAULT_KDF_OPS_LIMIT, DERIVED_KEY_BYTES, deriveKey } from './kdf.js'
export * from './self-encryption/index.js'
