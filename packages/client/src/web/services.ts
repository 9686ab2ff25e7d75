/**
 * A public id's services (SPEC §9, `@safemesh/protocol`'s service-entry.ts): reading where a
 * service points, now or at a version, and pointing it elsewhere. A change is ONE
 * MutateMDataEntries: the `<service>` entry updated (or deleted) and, when it points somewhere,
 * `<service>@<n>` inserted. All or nothing, so a reader finds either the old site or the new one,
 * and two publishers at once end with one success and one conflict.
 */
import {
  SafeMeshError, TYPE_TAG_PUBLIC_ID, decodeServiceEntry, encodeServiceEntry, historyKey, isSafeMeshError, isTombstone,
  parsePublicIdKey, publicIdName, serviceKey,
  type KeyedEntryAction, type MutableDataEntry, type MutableDataValue, type XorName
} from '@safemesh/protocol'
import type { MDataAddress } from '../client.js'
import type { RequestOptions } from '../requests/request-context.js'
import type { ServiceRecord } from './types.js'

/** The reads and the one write services need. */
export interface ServiceRequests {
  getMDataValue (md: MDataAddress, key: Uint8Array, options?: RequestOptions): Promise<MutableDataValue>
  listMDataEntries (md: MDataAddress, options?: RequestOptions): Promise<MutableDataEntry[]>
  mutateMDataEntries (md: MDataAddress, actions: KeyedEntryAction[], options?: RequestOptions): Promise<void>
}

/** A public id's MutableData. */
export function publicIdAddress (publicId: string): MDataAddress {
  return { name: publicIdName(publicId), tag: TYPE_TAG_PUBLIC_ID }
}

/** Where `service` points now, or at `version`: NoSuchData (no such public id) or NoSuchEntry (no such service or version). */
export async function resolveService (requests: ServiceRequests, publicId: string, service: string, version: number | undefined, options: RequestOptions): Promise<ServiceRecord> {
  const key = version === undefined ? serviceKey(service) : historyKey(service, version)
  const what = version === undefined ? `service ${JSON.stringify(service)}` : `version ${version} of the service ${JSON.stringify(service)}`
  let value: MutableDataValue
  try {
    value = await requests.getMDataValue(publicIdAddress(publicId), utf8(key), options)
  } catch (err) {
    throw clearer(err, publicId, what)
  }
  if (isTombstone(value)) throw new SafeMeshError('NoSuchEntry', `${publicId} has no ${what} (it was removed)`)
  return recordOf(service, value.content)
}

/** What a public id's data says of its services: the current ones and every version recorded. */
export interface ServiceListing {
  current: Map<string, { entryVersion: number, record?: ServiceRecord }>
  history: Map<string, ServiceRecord[]>
}

export async function readServices (requests: ServiceRequests, publicId: string, options: RequestOptions): Promise<ServiceListing> {
  let entries: MutableDataEntry[]
  try {
    entries = await requests.listMDataEntries(publicIdAddress(publicId), options)
  } catch (err) {
    throw clearer(err, publicId, 'services')
  }
  const listing: ServiceListing = { current: new Map(), history: new Map() }
  const decoder = new TextDecoder('utf-8', { fatal: true })
  for (const entry of entries) {
    let key
    try {
      key = parsePublicIdKey(decoder.decode(entry.key))
    } catch {
      continue
    }
    // Entries SafeMesh does not write, or garbled ones, are the owner's business: skipped.
    try {
      if (key?.kind === 'service') {
        listing.current.set(key.service, { entryVersion: entry.version, ...(isTombstone(entry) ? {} : { record: recordOf(key.service, entry.content) }) })
      } else if (key?.kind === 'history' && !isTombstone(entry)) {
        listing.history.set(key.service, [...listing.history.get(key.service) ?? [], recordOf(key.service, entry.content)])
      }
    } catch {}
  }
  for (const versions of listing.history.values()) versions.sort((a, b) => a.version - b.version)
  return listing
}

/**
 * Points `service` at `directory` (its next version, recorded in history), or with undefined
 * removes it. A change by someone else meanwhile is a conflict (`InvalidSuccessor`, nothing written).
 */
export async function switchService (requests: ServiceRequests, publicId: string, service: string, directory: XorName | undefined, options: RequestOptions): Promise<ServiceRecord | undefined> {
  const listing = await readServices(requests, publicId, options)
  const current = listing.current.get(service)
  const key = utf8(serviceKey(service))
  const actions: KeyedEntryAction[] = []
  let record: ServiceRecord | undefined
  if (directory === undefined) {
    if (current?.record === undefined) throw new SafeMeshError('NoSuchEntry', `${publicId} has no service ${JSON.stringify(service)}`)
    actions.push({ key, action: { kind: 'Delete', version: current.entryVersion + 1 } })
  } else {
    const last = Math.max(current?.record?.version ?? 0, ...(listing.history.get(service) ?? []).map(r => r.version))
    record = { service, directory, version: last + 1, publishedAt: Date.now() }
    const content = encodeServiceEntry(record)
    actions.push(current === undefined
      ? { key, action: { kind: 'Insert', content } }
      : { key, action: { kind: 'Update', content, version: current.entryVersion + 1 } })
    actions.push({ key: utf8(historyKey(service, record.version)), action: { kind: 'Insert', content } })
  }
  try {
    await requests.mutateMDataEntries(publicIdAddress(publicId), actions, options)
  } catch (err) {
    if (isSafeMeshError(err) && err.code === 'InvalidEntryActions') {
      throw new SafeMeshError('InvalidSuccessor', `conflict: the service ${JSON.stringify(service)} of ${publicId} was changed by another writer meanwhile; nothing was written`, { current: current?.entryVersion ?? 0 })
    }
    throw clearer(err, publicId, `service ${JSON.stringify(service)}`)
  }
  return record
}

function recordOf (service: string, content: Uint8Array): ServiceRecord {
  const { directory, version, publishedAt } = decodeServiceEntry(content)
  return { service, directory, version, publishedAt }
}

/** The network's NoSuchData/NoSuchEntry, said in terms of public ids. */
function clearer (err: unknown, publicId: string, what: string): unknown {
  if (!isSafeMeshError(err)) return err
  if (err.code === 'NoSuchData') return new SafeMeshError('NoSuchData', `no public id ${JSON.stringify(publicId)} is registered`)
  if (err.code === 'NoSuchEntry') return new SafeMeshError('NoSuchEntry', `${publicId} has no ${what}`)
  return err
}

function utf8 (text: string): Uint8Array {
  return new TextEncoder().encode(text)
}
