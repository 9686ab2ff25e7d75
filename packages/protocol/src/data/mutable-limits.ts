/** The checks a MutableData must pass to be stored (SPEC §2): owners, entry count, serialised size. */
import { SafeMeshError, invalidRequest } from '../errors.js'
import { DEFAULT_NETWORK_PARAMS, type NetworkParams } from '../params.js'
import { isXorName } from '../xorname.js'
import { mutableDataSize } from './mutable-codec.js'
import { PUBLIC_KEY_LENGTH, type MutableData } from './mutable.js'
import { isValidTypeTag } from './type-tags.js'

/** Users a MutableData's permissions may name (docs/protocol.md: SPEC bounds them only by size). */
export const MAX_PERMISSION_USERS = 1000

export type MutableDataLimits = Pick<NetworkParams, 'maxMutableDataEntries' | 'maxMutableDataSize'>

/**
 * Checks a MutableData as a whole, in SPEC's order of blame: malformed (InvalidRequest), then
 * InvalidOwners (zero or several owners), then TooManyEntries, then DataTooLarge. Used for PutMData
 * and equally for any replica a node receives. A new MutableData may start at any version; SPEC only
 * says versions start at 0, and refusing others would protect nothing.
 */
export function validateNewMutableData (md: MutableData, params: MutableDataLimits = DEFAULT_NETWORK_PARAMS): void {
  if (!isXorName(md.name)) throw invalidRequest('a MutableData name is 32 bytes')
  if (!isValidTypeTag(md.tag)) throw invalidRequest('a type tag is an unsigned integer below 2^53')
  if (!Number.isSafeInteger(md.version) || md.version < 0) throw invalidRequest('a version is an unsigned integer')
  if (md.owners.length !== 1) {
    throw new SafeMeshError('InvalidOwners', `a MutableData has exactly one owner, not ${md.owners.length}`)
  }
  if (md.owners[0]?.length !== PUBLIC_KEY_LENGTH) throw new SafeMeshError('InvalidOwners', 'an owner is a 32-byte public key')
  assertWithinLimits(md, params)
}

/** TooManyEntries (entries, then permission users), then DataTooLarge: the last step of every change that can grow a MutableData. */
export function assertWithinLimits (md: MutableData, params: MutableDataLimits = DEFAULT_NETWORK_PARAMS): void {
  if (md.entries.size > params.maxMutableDataEntries) {
    throw new SafeMeshError('TooManyEntries', `${md.entries.size} entries is over the limit of ${params.maxMutableDataEntries}`)
  }
  if (md.permissions.size > MAX_PERMISSION_USERS) {
    throw new SafeMeshError('TooManyEntries', `${md.permissions.size} users in the permissions (Anyone counts as one) is over the limit of ${MAX_PERMISSION_USERS}`)
  }
  const size = mutableDataSize(md)
  if (size > params.maxMutableDataSize) {
    throw new SafeMeshError('DataTooLarge', `MutableData of ${size} bytes is over the limit of ${params.maxMutableDataSize}`)
  }
}
