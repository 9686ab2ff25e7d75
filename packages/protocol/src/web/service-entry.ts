/**
 * What a public id's MutableData (tag 15001) holds (SPEC §9, docs/protocol.md):
 *
 * - `_publicId` → the public id itself (UTF-8): what the network checks the data's name against;
 * - `<service>` → the service's current site, `encode({v: 1, directory, version, publishedAt})`,
 *   `directory` naming a tag-15002 directory; a removed service is a tombstone;
 * - `<service>@<n>` → the same record for each version ever pointed at, inserted once and never
 *   changed by SafeMesh's client: the history that keeps earlier sites reachable.
 *
 * Labels hold neither `_` nor `@`, so the three kinds of key never meet.
 */
import { decodeWith, encodeWith, literal, object, uint } from '../schema.js'
import { xorNameSchema } from '../data/mutable-codec.js'
import type { XorName } from '../xorname.js'
import { isLabel } from './labels.js'

/** The entry naming the public id the data is for. */
export const PUBLIC_ID_ENTRY = '_publicId'

/** A service's site at one version: the value of `<service>` and of `<service>@<version>`. */
export interface ServiceEntry {
  /** The tag-15002 directory holding the site. */
  readonly directory: XorName
  /** 1 for the first site the service pointed at, then +1 each change. */
  readonly version: number
  /** Milliseconds since 1970, by the publisher's clock. */
  readonly publishedAt: number
}

const entrySchema = object({ v: literal(1), directory: xorNameSchema, version: uint(), publishedAt: uint() })

export function encodeServiceEntry (entry: ServiceEntry): Uint8Array {
  return encodeWith(entrySchema, { v: 1, directory: entry.directory, version: entry.version, publishedAt: entry.publishedAt })
}

/** `InvalidRequest` when the bytes are not a service entry. */
export function decodeServiceEntry (bytes: Uint8Array): ServiceEntry {
  const { directory, version, publishedAt } = decodeWith(entrySchema, bytes)
  return { directory, version, publishedAt }
}

/** The key of a service's current entry. */
export function serviceKey (service: string): string {
  return service
}

/** The key of a service's entry at `version` (insert-only). */
export function historyKey (service: string, version: number): string {
  return `${service}@${version}`
}

/** What an entry key of a public id is, or undefined for a key SafeMesh does not write. */
export function parsePublicIdKey (key: string): { kind: 'publicId' } | { kind: 'service', service: string } | { kind: 'history', service: string, version: number } | undefined {
  if (key === PUBLIC_ID_ENTRY) return { kind: 'publicId' }
  if (isLabel(key)) return { kind: 'service', service: key }
  const at = key.lastIndexOf('@')
  const service = key.slice(0, at)
  const digits = key.slice(at + 1)
  if (at <= 0 || !isLabel(service) || !/^[1-9]\d{0,15}$/.test(digits)) return undefined
  const version = Number(digits)
  return Number.isSafeInteger(version) ? { kind: 'history', service, version } : undefined
}
