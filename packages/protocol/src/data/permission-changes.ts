/**
 * Permission and owner changes (SPEC §2). Each carries `version`, which must be the data's
 * `version + 1`, and bumps it. Checks run in the order: AccessDenied, then the change's own rule
 * (InvalidOwners), then InvalidSuccessor, then NoSuchKey, then the size limit; the input is never
 * modified.
 */
import { SafeMeshError, invalidSuccessor } from '../errors.js'
import { DEFAULT_NETWORK_PARAMS } from '../params.js'
import { assertWithinLimits, type MutableDataLimits } from './mutable-limits.js'
import {
  PUBLIC_KEY_LENGTH, isActionAllowed, isOwner, userId, withChanges,
  type MutableData, type PermissionSet, type User, type UserPermissions
} from './mutable.js'

function assertSuccessor (md: MutableData, version: number): void {
  if (version !== md.version + 1) throw invalidSuccessor(md.version)
}

function assertMayManagePermissions (md: MutableData, requester: Uint8Array): void {
  if (!isActionAllowed(md, requester, 'ManagePermissions')) {
    throw new SafeMeshError('AccessDenied', 'the requester may not manage permissions of this MutableData')
  }
}

/**
 * Sets (replacing) one user's permission set. A new user can push the data over its size limit
 * (`params`: the network's limits, SPEC's by default).
 */
export function setUserPermissions (
  md: MutableData,
  requester: Uint8Array,
  user: User,
  permissions: PermissionSet,
  version: number,
  params: MutableDataLimits = DEFAULT_NETWORK_PARAMS
): MutableData {
  assertMayManagePermissions(md, requester)
  assertSuccessor(md, version)
  const next = new Map(md.permissions)
  next.set(userId(user), { user, permissions: { ...permissions } } satisfies UserPermissions)
  const result = withChanges(md, { permissions: next, version })
  assertWithinLimits(result, params)
  return result
}

/** Removes one user's permission set; `NoSuchKey` when the user has none. */
export function delUserPermissions (md: MutableData, requester: Uint8Array, user: User, version: number): MutableData {
  assertMayManagePermissions(md, requester)
  assertSuccessor(md, version)
  const id = userId(user)
  if (!md.permissions.has(id)) throw new SafeMeshError('NoSuchKey', `no permissions for ${id}`)
  const next = new Map(md.permissions)
  next.delete(id)
  return withChanges(md, { permissions: next, version })
}

/**
 * Hands the data to a new owner. Only a current owner acting itself may (an app key is never an
 * owner, so apps cannot), and the data must still end with exactly one owner.
 */
export function changeOwner (md: MutableData, requester: Uint8Array, newOwners: readonly Uint8Array[], version: number): MutableData {
  if (!isOwner(md, requester)) throw new SafeMeshError('AccessDenied', 'only the owner may change the owner')
  if (newOwners.length !== 1 || newOwners[0]?.length !== PUBLIC_KEY_LENGTH) {
    throw new SafeMeshError('InvalidOwners', `a MutableData has exactly one 32-byte owner key, not ${newOwners.length}`)
  }
  assertSuccessor(md, version)
  return withChanges(md, { owners: [...newOwners], version })
}
