/**
 * A share's envelopes (docs/protocol.md, "Sharing"). A share is a read-gated MutableData (tag
 * 1004) at a random name, the share id, owned by the sharer with no permissions:
 *
 * - the gate entry (`READ_GATE_KEY`) → `encodeReadGate({readers, expires?, price?, payee?})`, which
 *   its Data-Managers enforce on every read;
 * - per reader, the entry keyed by the reader's 32-byte signing key →
 *   seal(reader's encryption key, encode({v: 1, body, signature})), `body` = encode({v: 1, share,
 *   to, kind, path, from, issued, expires?, dir?: {head, key}, file?: {address, fileKey?, size,
 *   mediaType}}) and `signature` = the sharer's over "safemesh/share-envelope/v1" ‖ body;
 * - the owner's own record (`OWNER_RECORD_KEY`) → encryptSymmetric(encode({v: 1, path, kind,
 *   readers: [{key, encrypt}]}), the owner's symmetric key): what it shared and with whose
 *   encryption keys, so that it can rewrite every envelope after a rotation without asking anyone.
 *
 * A reader accepts an envelope only when it opens with its key, names this share, this reader and
 * the sharer it expected, and carries that sharer's signature: a node that forges one, or serves
 * another share's, is refused.
 */
import { decryptSymmetric, encryptSymmetric, openSealed, seal, sign, verify, type ClientKeys } from '@safemesh/crypto'
import {
  SafeMeshError, array, bytes, bytesEqual, decodeWith, encodeWith, literal, object, oneOf, optional, publicKeySchema, string, uint, xorNameSchema,
  type XorName
} from '@safemesh/protocol'
import { MAX_PATH_BYTES } from '../nfs/paths.js'
import { MAX_MEDIA_TYPE_LENGTH } from '../nfs/entry-record.js'
import { labelled } from './names.js'

const SIGNATURE_LABEL = 'safemesh/share-envelope/v1'
/** The owner's record: a key no reader's (32 bytes) or the gate's can be. */
export const OWNER_RECORD_KEY = new TextEncoder().encode('safemesh:share-owner')
/** A share names at most this many readers (accounts and links): its entries stay far below a MutableData's limits. */
export const MAX_SHARE_READERS = 200

/** A directory shared: where its head is and what opens it. */
export interface SharedDirectory {
  head: XorName
  key: Uint8Array
}

/** A file shared: one version of it. */
export interface SharedFile {
  address: XorName
  fileKey?: Uint8Array
  size: number
  mediaType: string
}

export interface ShareEnvelope {
  share: XorName
  /** The reader this envelope is for (its signing key). */
  to: Uint8Array
  kind: 'file' | 'folder'
  path: string
  /** The sharer's ID. */
  from: Uint8Array
  /** When this envelope was written (ms since 1970, the sharer's clock). */
  issued: number
  expires?: number
  dir?: SharedDirectory
  file?: SharedFile
}

/** A reader as the owner records it: its signing key and the key its envelope is sealed to. */
export interface ShareReader {
  key: Uint8Array
  encrypt: Uint8Array
  /** A link's key, not an account's. */
  link?: boolean
}

export interface OwnerRecord {
  path: string
  kind: 'file' | 'folder'
  readers: ShareReader[]
}

const bodySchema = object({
  v: literal(1),
  share: xorNameSchema,
  to: publicKeySchema,
  kind: oneOf(['file', 'folder']),
  path: string(MAX_PATH_BYTES),
  from: publicKeySchema,
  issued: uint(),
  expires: optional(uint()),
  dir: optional(object({ head: xorNameSchema, key: bytes({ length: 32 }) })),
  file: optional(object({ address: xorNameSchema, fileKey: optional(bytes({ length: 32 })), size: uint(), mediaType: string(MAX_MEDIA_TYPE_LENGTH) }))
})
const signedSchema = object({ v: literal(1), body: bytes({ max: 8192 }), signature: bytes({ length: 64 }) })
const ownerSchema = object({
  v: literal(1),
  path: string(MAX_PATH_BYTES),
  kind: oneOf(['file', 'folder']),
  readers: array(object({ key: publicKeySchema, encrypt: publicKeySchema, link: optional(literal(true)) }), MAX_SHARE_READERS)
})

/** An envelope signed by `sharer` and sealed to the reader's encryption key. */
export function sealEnvelope (envelope: ShareEnvelope, sharer: ClientKeys, readerEncrypt: Uint8Array): Uint8Array {
  if ((envelope.kind === 'folder') !== (envelope.dir !== undefined) || (envelope.kind === 'file') !== (envelope.file !== undefined)) {
    throw new SafeMeshError('InvalidRequest', 'a folder envelope carries a directory, a file envelope a file')
  }
  if (!bytesEqual(envelope.from, sharer.sign.publicKey)) throw new SafeMeshError('InvalidRequest', 'an envelope is signed by the sharer it names')
  const body = encodeWith(bodySchema, { v: 1, ...envelope })
  const signature = sign(labelled(SIGNATURE_LABEL, body), sharer.sign.secretKey)
  return seal(encodeWith(signedSchema, { v: 1, body, signature }), readerEncrypt)
}

/**
 * Opens the envelope of `share` sealed to `reader`, signed by `from` (or by one of several keys
 * that claim the share); `AccessDenied` when it does not open, is not for this reader and share,
 * or its signature does not hold: whoever made it, it is not the sharer's word.
 */
export function openEnvelope (box: Uint8Array, reader: ClientKeys, share: XorName, from: Uint8Array | readonly Uint8Array[]): ShareEnvelope {
  const forged = (why: string): SafeMeshError => new SafeMeshError('AccessDenied', `the share's envelope is refused: ${why}`)
  let body: Uint8Array
  let signature: Uint8Array
  try {
    ({ body, signature } = decodeWith(signedSchema, openSealed(box, reader.encrypt)))
  } catch {
    throw forged('it is not sealed to this reader')
  }
  let decoded
  try {
    decoded = decodeWith(bodySchema, body)
  } catch {
    throw forged('it does not decode')
  }
  const { v: _, ...envelope } = decoded
  const senders = from instanceof Uint8Array ? [from] : from
  if (!senders.some(k => bytesEqual(k, envelope.from))) throw forged('it names another sharer')
  if (!verify(signature, labelled(SIGNATURE_LABEL, body), envelope.from)) throw forged('the sharer\'s signature does not hold')
  if (!bytesEqual(envelope.share, share)) throw forged('it is another share\'s')
  if (!bytesEqual(envelope.to, reader.sign.publicKey)) throw forged('it is another reader\'s')
  if ((envelope.kind === 'folder') !== (envelope.dir !== undefined) || (envelope.kind === 'file') !== (envelope.file !== undefined)) throw forged('its content does not match its kind')
  return envelope
}

export function sealOwnerRecord (record: OwnerRecord, owner: ClientKeys): Uint8Array {
  return encryptSymmetric(encodeWith(ownerSchema, {
    v: 1,
    path: record.path,
    kind: record.kind,
    readers: record.readers.map(r => ({ key: r.key, encrypt: r.encrypt, ...(r.link === true ? { link: true as const } : {}) }))
  }), owner.symmetric)
}

/** The owner's record of a share; `AccessDenied` when it is not this owner's. */
export function openOwnerRecord (content: Uint8Array, owner: ClientKeys): OwnerRecord {
  try {
    const { path, kind, readers } = decodeWith(ownerSchema, decryptSymmetric(content, owner.symmetric))
    return { path, kind, readers: readers.map(r => ({ key: r.key, encrypt: r.encrypt, ...(r.link === true ? { link: true } : {}) })) }
  } catch {
    throw new SafeMeshError('AccessDenied', 'this share is not one of this account\'s')
  }
}
