/**
 * What a directory entry holds (SPEC §9 NFS): a file's metadata, or an explicit folder (`mkdir`).
 *
 *     encode({v: 1, kind, size, created, modified, mediaType, metadata, version, file?, fileKey?, previous?})
 *
 * `file` is the address of the file's top data-map chunk; in a private directory that chunk is
 * sealed under `fileKey` (a fresh key per file version), so the store never holds a small file's
 * inline content or a data map in the clear. `version` counts the file's versions (1 for the first
 * write); `previous` points at the version before, stored as ImmutableData: the encoded record,
 * sealed under its own fresh key in a private directory. A directory's entries are sealed under the
 * directory key, so re-encrypting a directory re-seals its entries only: the history chain needs no
 * rewrite, and whoever loses the directory key loses the way to every version written after.
 */
import { decryptSymmetric, encryptSymmetric, generateSymmetricKey } from '@safemesh/crypto'
import { SafeMeshError, bytes, decodeWith, encodeWith, literal, object, oneOf, optional, string, uint, xorNameSchema, type XorName } from '@safemesh/protocol'

/** Bounds an entry's size (with the path) so that "full" is the same to every writer. */
export const MAX_USER_METADATA_BYTES = 4096
export const MAX_MEDIA_TYPE_LENGTH = 255

/** Where a file's previous version is, and what opens it in a private directory. */
interface VersionLink {
  address: XorName
  key?: Uint8Array
}

/** What SPEC §9 says a directory tells of a file (or of a folder made by `mkdir`). */
export interface FileMetadata {
  kind: 'file' | 'folder'
  /** Plaintext bytes (0 for a folder). */
  size: number
  /** Milliseconds since 1970 (the writer's clock); 0 for a folder only implied by its files. */
  created: number
  modified: number
  mediaType: string
  /** The user's own metadata. */
  metadata: Uint8Array
  /** 1 for the first version; +1 each overwrite. */
  version: number
}

export interface EntryRecord extends FileMetadata {
  /** The file's address (its top data-map chunk); absent for a folder. */
  file?: XorName
  /** Opens the top chunk of a file in a private directory. */
  fileKey?: Uint8Array
  previous?: VersionLink
}

const linkSchema = object({ address: xorNameSchema, key: optional(bytes({ length: 32 })) })
const recordSchema = object({
  v: literal(1),
  kind: oneOf(['file', 'folder']),
  size: uint(),
  created: uint(),
  modified: uint(),
  mediaType: string(MAX_MEDIA_TYPE_LENGTH),
  metadata: bytes({ max: MAX_USER_METADATA_BYTES }),
  version: uint(),
  file: optional(xorNameSchema),
  fileKey: optional(bytes({ length: 32 })),
  previous: optional(linkSchema)
})

export function encodeEntryRecord (record: EntryRecord): Uint8Array {
  return encodeWith(recordSchema, { v: 1, ...record })
}

/** `InvalidRequest` when the bytes are not a record (an entry someone with insert rights garbled). */
export function decodeEntryRecord (encoded: Uint8Array): EntryRecord {
  const { v: _, ...record } = decodeWith(recordSchema, encoded)
  if (record.kind === 'file' && record.file === undefined) throw new SafeMeshError('InvalidRequest', 'a file record names its file')
  return record
}

/** A superseded record as ImmutableData: sealed under a fresh key when `sealed` (a private directory). */
export function sealVersion (record: EntryRecord, sealed: boolean): { value: Uint8Array, key?: Uint8Array } {
  const encoded = encodeEntryRecord(record)
  if (!sealed) return { value: encoded }
  const key = generateSymmetricKey()
  return { value: encryptSymmetric(encoded, key), key }
}

export function openVersion (value: Uint8Array, key: Uint8Array | undefined): EntryRecord {
  try {
    return decodeEntryRecord(key === undefined ? value : decryptSymmetric(value, key))
  } catch {
    throw new SafeMeshError('InvalidRequest', 'a previous version of this file cannot be read')
  }
}
