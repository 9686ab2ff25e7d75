import { decode, encode } from 'cborg'
import { asPlainBytes, copyBytes, equalBytes } from './bytes.js'
import { checkLength } from './check.js'
import { CryptoError } from './errors.js'
import { ed25519PublicKeyFromSeed, x25519PublicKeyFromSecret } from './key-derivation-native.js'
import { randomBytes } from './random.js'
import { sodium } from './sodium.js'

export const SIGN_PUBLIC_KEY_BYTES = 32
/** libsodium's Ed25519 secret key: the 32-byte seed followed by the 32-byte public key. */
export const SIGN_SECRET_KEY_BYTES = 64
export const SIGN_SEED_BYTES = 32
export const ENCRYPT_PUBLIC_KEY_BYTES = 32
export const ENCRYPT_SECRET_KEY_BYTES = 32
export const SYMMETRIC_KEY_BYTES = 32

/** An Ed25519 key pair. publicKey: 32 bytes; secretKey: 64 bytes (seed ‖ publicKey, libsodium layout). */
export interface SigningKeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** An X25519 key pair for sealed boxes. publicKey: 32 bytes; secretKey: 32 bytes. */
export interface EncryptionKeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** A client's keys (SPEC §1): signing pair, encryption pair and a 32-byte symmetric key. */
export interface ClientKeys {
  sign: SigningKeyPair
  encrypt: EncryptionKeyPair
  symmetric: Uint8Array
}

/** A fresh random Ed25519 key pair. Needs cryptoReady(). */
export function generateSigningKeyPair (): SigningKeyPair {
  const pair = sodium('generateSigningKeyPair').crypto_sign_keypair()
  return { publicKey: pair.publicKey, secretKey: pair.privateKey }
}

/** The Ed25519 key pair of a 32-byte seed (deterministic). Needs cryptoReady(). */
export function signingKeyPairFromSeed (seed: Uint8Array): SigningKeyPair {
  checkLength(seed, SIGN_SEED_BYTES, 'signing seed')
  const pair = sodium('signingKeyPairFromSeed').crypto_sign_seed_keypair(seed)
  return { publicKey: pair.publicKey, secretKey: pair.privateKey }
}

/** A fresh random X25519 key pair. Needs cryptoReady(). */
export function generateEncryptionKeyPair (): EncryptionKeyPair {
  const pair = sodium('generateEncryptionKeyPair').crypto_box_keypair()
  return { publicKey: pair.publicKey, secretKey: pair.privateKey }
}

/** A fresh random 32-byte symmetric key (no libsodium needed). */
export function generateSymmetricKey (): Uint8Array {
  return randomBytes(SYMMETRIC_KEY_BYTES)
}

/** A fresh set of client keys. Needs cryptoReady(). */
export function generateClientKeys (): ClientKeys {
  return {
    sign: generateSigningKeyPair(),
    encrypt: generateEncryptionKeyPair(),
    symmetric: generateSymmetricKey()
  }
}

// Serialised form: a canonical CBOR map with a format version, so the layout can change later
// without guessing. Short keys keep the encrypted Login entry (SPEC §8) small.
const KEYS_FORMAT_VERSION = 1
const KEY_FIELDS = ['encPk', 'encSk', 'signPk', 'signSk', 'sym', 'v'] as const

/** Serialises client keys (canonical CBOR). The result is secret: encrypt it before storing it. */
export function encodeClientKeys (keys: ClientKeys): Uint8Array {
  checkClientKeys(keys)
  return asPlainBytes(encode({
    v: KEYS_FORMAT_VERSION,
    signPk: keys.sign.publicKey,
    signSk: keys.sign.secretKey,
    encPk: keys.encrypt.publicKey,
    encSk: keys.encrypt.secretKey,
    sym: keys.symmetric
  }))
}

/**
 * Parses and fully validates client keys made by encodeClientKeys: lengths, and that each public
 * key really belongs to its secret key (recomputed natively, so no cryptoReady() needed).
 * Throws CryptoError 'InvalidKey' on any problem.
 */
export function decodeClientKeys (bytes: Uint8Array): ClientKeys {
  let value: unknown
  try {
    value = decode(bytes, { strict: true, rejectDuplicateMapKeys: true, allowUndefined: false, allowIndefinite: false })
  } catch (error) {
    throw new CryptoError('InvalidKey', 'client keys: not valid CBOR', { cause: error })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CryptoError('InvalidKey', 'client keys: expected a map')
  }
  const record = value as Record<string, unknown>
  const fields = Object.keys(record).sort()
  if (fields.length !== KEY_FIELDS.length || fields.some((field, i) => field !== KEY_FIELDS[i])) {
    throw new CryptoError('InvalidKey', `client keys: unexpected fields ${fields.join(',')}`)
  }
  if (record['v'] !== KEYS_FORMAT_VERSION) {
    throw new CryptoError('InvalidKey', `client keys: unsupported format version ${String(record['v'])}`)
  }
  const keys: ClientKeys = {
    sign: { publicKey: bytesField(record, 'signPk'), secretKey: bytesField(record, 'signSk') },
    encrypt: { publicKey: bytesField(record, 'encPk'), secretKey: bytesField(record, 'encSk') },
    symmetric: bytesField(record, 'sym')
  }
  checkClientKeys(keys)
  return keys
}

function bytesField (record: Record<string, unknown>, field: string): Uint8Array {
  const value = record[field]
  if (!(value instanceof Uint8Array)) {
    throw new CryptoError('InvalidKey', `client keys: ${field} must be bytes`)
  }
  // Copy: decoded byte strings may be views into the caller's buffer (and may be Buffers, whose
  // slice() does not copy).
  return copyBytes(value)
}

function checkClientKeys (keys: ClientKeys): void {
  checkLength(keys.sign.publicKey, SIGN_PUBLIC_KEY_BYTES, 'signing public key')
  checkLength(keys.sign.secretKey, SIGN_SECRET_KEY_BYTES, 'signing secret key')
  checkLength(keys.encrypt.publicKey, ENCRYPT_PUBLIC_KEY_BYTES, 'encryption public key')
  checkLength(keys.encrypt.secretKey, ENCRYPT_SECRET_KEY_BYTES, 'encryption secret key')
  checkLength(keys.symmetric, SYMMETRIC_KEY_BYTES, 'symmetric key')
  const seed = keys.sign.secretKey.subarray(0, SIGN_SEED_BYTES)
  const embeddedPublic = keys.sign.secretKey.subarray(SIGN_SEED_BYTES)
  if (!equalBytes(embeddedPublic, keys.sign.publicKey) ||
      !equalBytes(ed25519PublicKeyFromSeed(seed), keys.sign.publicKey)) {
    throw new CryptoError('InvalidKey', 'client keys: signing public key does not match its secret key')
  }
  if (!equalBytes(x25519PublicKeyFromSecret(keys.encrypt.secretKey), keys.encrypt.publicKey)) {
    throw new CryptoError('InvalidKey', 'client keys: encryption public key does not match its secret key')
  }
}
