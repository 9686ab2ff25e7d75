import { createCipheriv, createDecipheriv } from 'node:crypto'
import { copyBytes, label } from '../bytes.js'
import { CryptoError } from '../errors.js'
import { sha3_256, shake256 } from '../hash.js'
import { xorPadInPlace } from './xor-pad.js'

// Encryption of one self-encryption chunk (SPEC §7):
//
//   (key ‖ pad) = SHAKE256(LABEL ‖ preHash[i−1] ‖ preHash[i−2], 32 + 64 bytes)
//   nonce       = SHAKE256(NONCE_LABEL ‖ preHash[i] ‖ preHash[i−1] ‖ preHash[i−2], 12 bytes)
//   chunk       = pad⊕ ( AEAD_key,nonce( format ‖ plaintext ) ‖ tag )
//   name        = SHA3-256(chunk)
//
// The key and pad come from the two preceding pre-hashes (cyclically), as SPEC §7 says, so a chunk
// can be read only by someone holding the data map, and equal files give equal chunks
// (network-wide deduplication). The nonce also takes the chunk's own pre-hash (which the data map
// holds too): two files that share chunks i−1 and i−2 but differ at chunk i — two versions of one
// edited file — would otherwise encrypt different plaintexts under the same GCM key and nonce,
// which leaks their XOR and GCM's authentication key. With it, a key and nonce pair repeats only
// for the same plaintext, i.e. the same chunk.
//
// AEAD: Node's native AES-256-GCM, chosen by measurement on this machine (AES-NI, 1 MiB messages,
// bench/self-encryption.ts, medians): AES-256-GCM ~1.1 GB/s encrypt and decrypt, native
// ChaCha20-Poly1305 ~0.7–0.8 GB/s, libsodium WASM XChaCha20-Poly1305 ~135–215 MB/s. The nonce is
// derived, never random, so GCM's 96-bit nonce is no limitation here. The cipher is not the
// bottleneck anyway: SHA3-256 (150–300 MB/s, two passes per byte: pre-hash and name) is, and
// self-encryption runs at the bound those primitives set (~70–110 MB/s).
//
// Compression: none. A format byte (0 = stored as is) leads the AEAD plaintext so a later version
// can add it without ambiguity. Measured: brotli q1 ~250 MB/s on text and deflate q1 ~33 MB/s on
// random data; most large files (media, archives) are already compressed; and compressor output is
// not guaranteed identical across zlib/brotli versions, which would silently break deduplication
// between clients.
//
// Pad: 64 bytes repeated over the AEAD output, as the original design's XOR pad. It hides the
// AEAD structure from storage nodes; confidentiality and integrity come from the AEAD.

const CHUNK_AEAD = 'aes-256-gcm'
const KEY_BYTES = 32
const NONCE_BYTES = 12
const TAG_BYTES = 16
const PAD_BYTES = 64
const FORMAT_BYTES = 1
const FORMAT_STORED = 0
const DERIVATION_LABEL = label('safemesh/self-encryption/chunk/v1')
const NONCE_LABEL = label('safemesh/self-encryption/chunk-nonce/v1')

/** Bytes an encrypted chunk adds to its plaintext (format byte + AEAD tag). */
export const CHUNK_OVERHEAD_BYTES = FORMAT_BYTES + TAG_BYTES

interface ChunkSecrets {
  key: Uint8Array
  nonce: Uint8Array
  pad: Uint8Array
}

function deriveChunkSecrets (preHash: Uint8Array, previousPreHash: Uint8Array, secondPreviousPreHash: Uint8Array): ChunkSecrets {
  const out = shake256([DERIVATION_LABEL, previousPreHash, secondPreviousPreHash], KEY_BYTES + PAD_BYTES)
  return {
    key: out.subarray(0, KEY_BYTES),
    nonce: shake256([NONCE_LABEL, preHash, previousPreHash, secondPreviousPreHash], NONCE_BYTES),
    // A copy so the pad is 4-byte aligned for the word-wise XOR.
    pad: copyBytes(out.subarray(KEY_BYTES))
  }
}

/** An encrypted chunk: its stored bytes and its name. */
export interface SealedChunk {
  content: Uint8Array
  name: Uint8Array
}

/**
 * Encrypts one chunk's plaintext given its own pre-hash and the pre-hashes of the chunks one and
 * two places before it (cyclically).
 */
export function encryptChunk (plaintext: Uint8Array, preHash: Uint8Array, previousPreHash: Uint8Array, secondPreviousPreHash: Uint8Array): SealedChunk {
  const { key, nonce, pad } = deriveChunkSecrets(preHash, previousPreHash, secondPreviousPreHash)
  const cipher = createCipheriv(CHUNK_AEAD, key, nonce, { authTagLength: TAG_BYTES })
  // Assembled in one fresh buffer (byteOffset 0, so the pad XOR runs word-wise).
  const content = new Uint8Array(FORMAT_BYTES + plaintext.length + TAG_BYTES)
  let offset = 0
  for (const part of [cipher.update(Uint8Array.of(FORMAT_STORED)), cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]) {
    content.set(part, offset)
    offset += part.length
  }
  xorPadInPlace(content, pad)
  return { content, name: sha3_256(content) }
}

/**
 * Decrypts one chunk (the caller has already checked its name). Does not modify `content`.
 * Throws CryptoError 'DecryptionFailed' when the tag does not verify (altered chunk or wrong
 * pre-hashes) or the format is unknown.
 */
export function decryptChunk (content: Uint8Array, preHash: Uint8Array, previousPreHash: Uint8Array, secondPreviousPreHash: Uint8Array): Uint8Array {
  if (content.length < CHUNK_OVERHEAD_BYTES) {
    throw new CryptoError('DecryptionFailed', 'chunk is too short to be an encrypted chunk')
  }
  const { key, nonce, pad } = deriveChunkSecrets(preHash, previousPreHash, secondPreviousPreHash)
  // A copy: the pad is removed in place, and `content` belongs to the caller (if it is a Buffer,
  // its slice() would not copy).
  const unpadded = copyBytes(content)
  xorPadInPlace(unpadded, pad)
  const bodyEnd = unpadded.length - TAG_BYTES
  const decipher = createDecipheriv(CHUNK_AEAD, key, nonce, { authTagLength: TAG_BYTES })
  decipher.setAuthTag(unpadded.subarray(bodyEnd))
  let framed: Uint8Array
  try {
    const head = decipher.update(unpadded.subarray(0, bodyEnd))
    const tail = decipher.final()
    framed = tail.length === 0 ? head : Buffer.concat([head, tail])
  } catch (error) {
    throw new CryptoError('DecryptionFailed', 'chunk authentication failed', { cause: error })
  }
  if (framed[0] !== FORMAT_STORED) {
    throw new CryptoError('DecryptionFailed', `chunk has unknown format ${String(framed[0])}`)
  }
  return new Uint8Array(framed.buffer, framed.byteOffset + FORMAT_BYTES, framed.length - FORMAT_BYTES)
}
