/**
 * DNS names (SPEC §9): `safe://<service>.<publicId>`. A public id and a service are each one
 * DNS-like label, so that both fit a host name (`www.mysite.localhost` at a gateway) unchanged.
 */
import { SafeMeshError } from '../errors.js'
import { sha3_256 } from '../hash.js'
import type { XorName } from '../xorname.js'

/** The service a name without one means (`safe://mysite` is `safe://www.mysite`). */
export const DEFAULT_SERVICE = 'www'

/** The file a path naming a folder means. */
export const INDEX_FILE = 'index.html'

/** The longest label: a DNS label's limit, so a name works as a host name. */
export const MAX_LABEL_LENGTH = 63

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/** Where a public id's MutableData (tag 15001) is: SHA3-256 of the id's UTF-8 bytes (SPEC §9). */
export function publicIdName (publicId: string): XorName {
  assertPublicId(publicId)
  return sha3_256(new TextEncoder().encode(publicId))
}

/** `InvalidRequest` unless `publicId` is 1–63 of a–z, 0–9 and `-`, not starting or ending with `-`. */
export function assertPublicId (publicId: string): void {
  assertLabel(publicId, 'a public id')
}

/** The same rule for a service name. */
export function assertServiceName (service: string): void {
  assertLabel(service, 'a service name')
}

/** Whether `text` is one label (the rule of public ids and service names). */
export function isLabel (text: string): boolean {
  return LABEL.test(text)
}

function assertLabel (text: string, what: string): void {
  if (!isLabel(text)) {
    throw new SafeMeshError('InvalidRequest', `${what} is 1 to ${MAX_LABEL_LENGTH} of a-z, 0-9 and "-", not starting or ending with "-": got ${JSON.stringify(text)}`)
  }
}
