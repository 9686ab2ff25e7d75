/**
 * The one serialised form of a MutableData, used on the wire, on disk, for the 1 MiB limit and for
 * comparing replicas. Compact by design (entries are `[key, content, version]` triples) so that the
 * limit is spent on content, and canonical: entries in key-byte order, permissions Anyone first then
 * key order, each exactly once — a decoder refuses any other order, so one MutableData has one
 * encoding and one digest.
 */
import { invalidRequest } from '../errors.js'
import { sha3_256 } from '../hash.js'
import {
  array, boolean, bytes, decodeWith, encodeWith, mapped, object, optional, tuple, uint, union,
  type Infer, type Schema
} from '../schema.js'
import { XOR_NAME_LENGTH, compareBytes } from '../xorname.js'
import { MAX_TYPE_TAG } from './type-tags.js'
import {
  PUBLIC_KEY_LENGTH, compareUsers, entryKeyId, listEntries, listPermissions, userId,
  type MutableData, type MutableDataEntry, type PermissionSet, type User, type UserPermissions
} from './mutable.js'

/** No wire array can be longer than a message can carry; this only bounds allocation early. */
const MAX_WIRE_ITEMS = 1 << 20

/** Owners beyond one are InvalidOwners (a rule), not malformed; a handful is still plausible. */
const MAX_WIRE_OWNERS = 16

export const xorNameSchema: Schema<Uint8Array> = bytes({ length: XOR_NAME_LENGTH })
export const publicKeySchema: Schema<Uint8Array> = bytes({ length: PUBLIC_KEY_LENGTH })
export const typeTagSchema: Schema<number> = uint(MAX_TYPE_TAG)
export const versionSchema: Schema<number> = uint()

export const userSchema: Schema<User> = union('kind', {
  Anyone: object({}),
  Key: object({ key: publicKeySchema })
})

export const permissionSetSchema: Schema<PermissionSet> = object({
  Insert: optional(boolean()),
  Update: optional(boolean()),
  Delete: optional(boolean()),
  ManagePermissions: optional(boolean())
})

export const userPermissionsSchema: Schema<UserPermissions> = object({ user: userSchema, permissions: permissionSetSchema })

export const mutableDataValueSchema = object({ content: bytes(), version: versionSchema })
export const mutableDataEntrySchema: Schema<MutableDataEntry> = object({ key: bytes(), content: bytes(), version: versionSchema })

const mutableDataWire = object({
  name: xorNameSchema,
  tag: typeTagSchema,
  version: versionSchema,
  owners: array(publicKeySchema, MAX_WIRE_OWNERS),
  entries: array(tuple(bytes(), bytes(), versionSchema), MAX_WIRE_ITEMS),
  permissions: array(tuple(userSchema, permissionSetSchema), MAX_WIRE_ITEMS)
})

type MutableDataWire = Infer<typeof mutableDataWire>

function fromWire (w: MutableDataWire, path: string): MutableData {
  const entries = new Map<string, MutableDataEntry>()
  let previousKey: Uint8Array | undefined
  for (const [key, content, version] of w.entries) {
    if (previousKey !== undefined && compareBytes(previousKey, key) >= 0) {
      throw invalidRequest(`${path}.entries: keys must be unique and in byte order`)
    }
    previousKey = key
    entries.set(entryKeyId(key), { key, content, version })
  }
  const permissions = new Map<string, UserPermissions>()
  let previousUser: User | undefined
  for (const [user, set] of w.permissions) {
    if (previousUser !== undefined && compareUsers(previousUser, user) >= 0) {
      throw invalidRequest(`${path}.permissions: users must be unique, Anyone first, then keys in byte order`)
    }
    previousUser = user
    permissions.set(userId(user), { user, permissions: set })
  }
  return { name: w.name, tag: w.tag, version: w.version, owners: w.owners, entries, permissions }
}

function toWire (md: MutableData): MutableDataWire {
  return {
    name: md.name,
    tag: md.tag,
    version: md.version,
    owners: [...md.owners],
    entries: listEntries(md).map((e): [Uint8Array, Uint8Array, number] => [e.key, e.content, e.version]),
    permissions: listPermissions(md).map((p): [User, PermissionSet] => [p.user, p.permissions])
  }
}

/** The schema of a whole MutableData, for messages that carry one (PutMData, GetMData). */
export const mutableDataSchema: Schema<MutableData> = mapped(mutableDataWire, fromWire, toWire)

export function encodeMutableData (md: MutableData): Uint8Array {
  return encodeWith(mutableDataSchema, md)
}

/** Decodes a stored or received MutableData; only ever throws InvalidRequest. */
export function decodeMutableData (bytes: Uint8Array): MutableData {
  return decodeWith(mutableDataSchema, bytes)
}

/** SPEC's "serialised size" that the 1 MiB limit applies to. */
export function mutableDataSize (md: MutableData): number {
  return encodeMutableData(md).length
}

/** SHA3-256 of the canonical encoding: equal digests mean equal replicas. */
export function mutableDataDigest (md: MutableData): Uint8Array {
  return sha3_256(encodeMutableData(md))
}
