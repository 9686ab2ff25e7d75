/**
 * MutableData (SPEC §2): the data types, the permission rule, and read helpers. Mutations live in
 * `entry-actions.ts` and `permission-changes.ts`, the wire form in `mutable-codec.ts`.
 *
 * Every function here is pure and treats its inputs as immutable; a change returns a new value.
 *
 * Representation: `entries` and `permissions` are Maps keyed by a string id (the key's hex, or
 * 'Anyone' / the public key's hex) so lookups of arbitrary byte keys are O(1). Map order carries
 * no meaning: listings and the wire form sort by key bytes (Anyone first for permissions), so equal
 * data always lists and encodes the same way.
 */
import { SafeMeshError, invalidRequest } from '../errors.js'
import { bytesEqual, bytesToHex, compareBytes, type XorName } from '../xorname.js'

export type Action = 'Insert' | 'Update' | 'Delete' | 'ManagePermissions'

export const ACTIONS: readonly Action[] = Object.freeze(['Insert', 'Update', 'Delete', 'ManagePermissions'])

/** Per action: `true` allows, `false` denies, absent leaves it unset (decided further down the rule). */
export type PermissionSet = { readonly [A in Action]?: boolean }

export type User =
  | { readonly kind: 'Anyone' }
  | { readonly kind: 'Key', readonly key: Uint8Array }

export const ANYONE: User = Object.freeze({ kind: 'Anyone' })

export function keyUser (key: Uint8Array): User {
  return { kind: 'Key', key }
}

/** The length of an Ed25519 public key: owners, app keys and permission users. */
export const PUBLIC_KEY_LENGTH = 32

/** SPEC's `{content, entryVersion}`. */
export interface MutableDataValue {
  readonly content: Uint8Array
  readonly version: number
}

export interface MutableDataEntry extends MutableDataValue {
  readonly key: Uint8Array
}

export interface UserPermissions {
  readonly user: User
  readonly permissions: PermissionSet
}

export interface MutableData {
  readonly name: XorName
  readonly tag: number
  /** Keyed by {@link entryKeyId}. Includes tombstones. */
  readonly entries: ReadonlyMap<string, MutableDataEntry>
  /** Keyed by {@link userId}. */
  readonly permissions: ReadonlyMap<string, UserPermissions>
  readonly version: number
  /** Ed25519 public keys; a valid MutableData has exactly one. */
  readonly owners: readonly Uint8Array[]
}

/** The map key of an entry: its key bytes as lowercase hex (hex order is byte order). */
export function entryKeyId (key: Uint8Array): string {
  return bytesToHex(key)
}

/** The map key of a user's permissions. */
export function userId (user: User): string {
  return user.kind === 'Anyone' ? 'Anyone' : bytesToHex(user.key)
}

export function sameUser (a: User, b: User): boolean {
  return a.kind === 'Anyone' ? b.kind === 'Anyone' : b.kind === 'Key' && bytesEqual(a.key, b.key)
}

/** Anyone first, then keys in byte order: the one order of permission listings and wire form. */
export function compareUsers (a: User, b: User): number {
  if (a.kind === 'Anyone') return b.kind === 'Anyone' ? 0 : -1
  if (b.kind === 'Anyone') return 1
  return compareBytes(a.key, b.key)
}

/**
 * A tombstone is what a Delete leaves: empty content at the new version (SPEC §2). An entry updated
 * to empty content is indistinguishable from one deleted, by design of the wire form.
 */
export function isTombstone (value: MutableDataValue): boolean {
  return value.content.length === 0
}

export interface NewMutableData {
  readonly name: XorName
  readonly tag: number
  readonly owners: readonly Uint8Array[]
  readonly entries?: Iterable<{ readonly key: Uint8Array, readonly content: Uint8Array, readonly version?: number }>
  readonly permissions?: Iterable<UserPermissions>
  readonly version?: number
}

/**
 * Builds a MutableData (entry versions and data version default to 0). Refuses only what cannot be
 * represented (a key or user given twice: InvalidRequest); limits and owners are checked by
 * `validateNewMutableData`, so a node can answer a bad PutMData with SPEC's own error.
 */
export function newMutableData (init: NewMutableData): MutableData {
  const entries = new Map<string, MutableDataEntry>()
  for (const { key, content, version = 0 } of init.entries ?? []) {
    const id = entryKeyId(key)
    if (entries.has(id)) throw invalidRequest(`entry key ${id} given twice`)
    entries.set(id, { key, content, version })
  }
  const permissions = new Map<string, UserPermissions>()
  for (const p of init.permissions ?? []) {
    const id = userId(p.user)
    if (permissions.has(id)) throw invalidRequest(`permissions for ${id} given twice`)
    permissions.set(id, { user: p.user, permissions: p.permissions })
  }
  return { name: init.name, tag: init.tag, entries, permissions, version: init.version ?? 0, owners: [...init.owners] }
}

export function isOwner (md: MutableData, key: Uint8Array): boolean {
  return md.owners.some((owner) => bytesEqual(owner, key))
}

/**
 * SPEC §2: an owner may do anything; else the requester's own key decides when it sets the action;
 * else Anyone's entry decides when it sets it; else no.
 */
export function isActionAllowed (md: MutableData, requester: Uint8Array, action: Action): boolean {
  if (isOwner(md, requester)) return true
  const own = md.permissions.get(userId(keyUser(requester)))?.permissions[action]
  if (own !== undefined) return own
  return md.permissions.get(userId(ANYONE))?.permissions[action] ?? false
}

/** A copy of `md` with some fields replaced (never touching the original). */
export function withChanges (md: MutableData, changes: Partial<MutableData>): MutableData {
  return { ...md, ...changes }
}

// ---- Reads (SPEC §3: free, not a network permission) ----

/** GetMDataShell: everything but the entries. */
export function mutableDataShell (md: MutableData): MutableData {
  return withChanges(md, { entries: new Map() })
}

/** ListMDataEntries: every entry, tombstones included (the wire shows them), in key order. */
export function listEntries (md: MutableData): MutableDataEntry[] {
  return [...md.entries.values()].sort((a, b) => compareBytes(a.key, b.key))
}

/** The convenience listing for people: entries without tombstones, in key order. */
export function visibleEntries (md: MutableData): MutableDataEntry[] {
  return listEntries(md).filter((e) => !isTombstone(e))
}

export function listKeys (md: MutableData): Uint8Array[] {
  return listEntries(md).map((e) => e.key)
}

export function listValues (md: MutableData): MutableDataValue[] {
  return listEntries(md).map(({ content, version }) => ({ content, version }))
}

/** GetMDataValue: the entry's value (a tombstone too); `NoSuchEntry` when the key never existed. */
export function getValue (md: MutableData, key: Uint8Array): MutableDataValue {
  const entry = md.entries.get(entryKeyId(key))
  if (entry === undefined) throw new SafeMeshError('NoSuchEntry', `no entry ${entryKeyId(key)}`)
  return { content: entry.content, version: entry.version }
}

/** ListMDataPermissions, Anyone first, then keys in byte order. */
export function listPermissions (md: MutableData): UserPermissions[] {
  return [...md.permissions.values()].sort((a, b) => compareUsers(a.user, b.user))
}

/** ListMDataUserPermissions: `NoSuchKey` when the user has no entry. */
export function userPermissions (md: MutableData, user: User): PermissionSet {
  const entry = md.permissions.get(userId(user))
  if (entry === undefined) throw new SafeMeshError('NoSuchKey', `no permissions for ${userId(user)}`)
  return entry.permissions
}
