/** ImmutableData (SPEC §2): a value named by its own SHA3-256 hash. */
import { SafeMeshError, invalidRequest } from '../errors.js'
import { sha3_256 } from '../hash.js'
import type { NetworkParams } from '../params.js'
import { xorNameEquals, type XorName } from '../xorname.js'

export function immutableDataName (value: Uint8Array): XorName {
  return sha3_256(value)
}

/**
 * What every Data-Manager checks on PUT and every client on GET: the value fits the limit
 * (DataTooLarge) and really has this name (InvalidRequest: the sender lied or the bytes broke).
 * The size is checked first so an oversized value is refused before it is hashed.
 */
export function validateImmutableData (name: XorName, value: Uint8Array, params: Pick<NetworkParams, 'maxImmutableDataSize'>): void {
  if (value.length > params.maxImmutableDataSize) {
    throw new SafeMeshError('DataTooLarge', `ImmutableData of ${value.length} bytes is over the limit of ${params.maxImmutableDataSize}`)
  }
  if (!xorNameEquals(immutableDataName(value), name)) {
    throw invalidRequest('ImmutableData does not hash to its name')
  }
}
