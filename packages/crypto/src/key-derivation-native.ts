import { createPrivateKey, createPublicKey } from 'node:crypto'
import { asPlainBytes, concatBytes } from './bytes.js'

// Public keys recomputed from secret keys with Node's native crypto, so that decoding stored keys
// can check their consistency without needing libsodium to be initialised. Raw keys are wrapped in
// the fixed DER prefixes of RFC 8410 (PKCS#8 for private keys); the raw public key is the last
// 32 bytes of the exported SubjectPublicKeyInfo.

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')

function publicFromPkcs8 (prefix: Uint8Array, secret: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({ key: Buffer.from(concatBytes([prefix, secret])), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  return asPlainBytes(spki.subarray(spki.length - 32))
}

/** The Ed25519 public key of a 32-byte seed. */
export function ed25519PublicKeyFromSeed (seed: Uint8Array): Uint8Array {
  return publicFromPkcs8(ED25519_PKCS8_PREFIX, seed)
}

/** The X25519 public key of a 32-byte secret scalar (clamped as libsodium does). */
export function x25519PublicKeyFromSecret (secretKey: Uint8Array): Uint8Array {
  return publicFromPkcs8(X25519_PKCS8_PREFIX, secretKey)
}
