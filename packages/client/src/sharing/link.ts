/**
 * Capability links (`share … --link`): whoever holds the string reads the share until it expires
 * or its owner cancels it. The string carries a 32-byte seed and where the share is:
 *
 *     safemesh-link-1.<base64url(seed ‖ share name ‖ sharer's signing key)>
 *
 * The seed gives the link its own client keys: an Ed25519 key (the seed as libsodium's signing
 * seed), named among the gate's readers, that the holder's client runs as (the Data-Managers check
 * the requester's authenticated key), and an X25519 key derived from the seed under its own label,
 * to which the link's envelope is sealed. The string is a secret, like a password.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { randomBytes, sha3_256, signingKeyPairFromSeed, type ClientKeys, type EncryptionKeyPair } from '@safemesh/crypto'
import { SafeMeshError, concatBytes, type XorName } from '@safemesh/protocol'

export const LINK_PREFIX = 'safemesh-link-1.'
const SEED_BYTES = 32
const PART_BYTES = 32
const utf8 = new TextEncoder()
const ENCRYPT_LABEL = utf8.encode('safemesh/link/encrypt/v1')
const SYMMETRIC_LABEL = utf8.encode('safemesh/link/symmetric/v1')
// RFC 8410's PKCS#8 prefix for a raw X25519 private key: node:crypto computes the public key.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')

/** What a link string holds. */
export interface Link {
  seed: Uint8Array
  /** The share's name (its envelope MutableData). */
  share: XorName
  /** The sharer's signing key: what the envelope's signature is checked against. */
  sharer: Uint8Array
}

export function newLinkSeed (): Uint8Array {
  return randomBytes(SEED_BYTES)
}

export function encodeLink (link: Link): string {
  for (const part of [link.seed, link.share, link.sharer]) {
    if (part.length !== PART_BYTES) throw new SafeMeshError('InvalidRequest', 'a link holds three 32-byte parts')
  }
  return LINK_PREFIX + Buffer.concat([link.seed, link.share, link.sharer]).toString('base64url')
}

/** Parses a link string; anything malformed is `InvalidRequest`. */
export function decodeLink (text: string): Link {
  const trimmed = text.trim()
  const body = trimmed.startsWith(LINK_PREFIX) ? trimmed.slice(LINK_PREFIX.length) : undefined
  const bytes = body !== undefined && /^[A-Za-z0-9_-]+$/.test(body) ? new Uint8Array(Buffer.from(body, 'base64url')) : undefined
  if (bytes?.length !== 3 * PART_BYTES) throw new SafeMeshError('InvalidRequest', `not a share link (${LINK_PREFIX}…)`)
  return { seed: bytes.slice(0, PART_BYTES), share: bytes.slice(PART_BYTES, 2 * PART_BYTES), sharer: bytes.slice(2 * PART_BYTES) }
}

/** The client keys a link's holder acts with (needs cryptoReady()). */
export function linkKeys (seed: Uint8Array): ClientKeys {
  if (seed.length !== SEED_BYTES) throw new SafeMeshError('InvalidRequest', 'a link seed is 32 bytes')
  return { sign: signingKeyPairFromSeed(seed), encrypt: linkEncryptionKeys(seed), symmetric: labelled(SYMMETRIC_LABEL, seed) }
}

function linkEncryptionKeys (seed: Uint8Array): EncryptionKeyPair {
  const secretKey = labelled(ENCRYPT_LABEL, seed)
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  return { publicKey: new Uint8Array(spki.subarray(spki.length - 32)), secretKey }
}

function labelled (label: Uint8Array, seed: Uint8Array): Uint8Array {
  return sha3_256(concatBytes(label, seed))
}
