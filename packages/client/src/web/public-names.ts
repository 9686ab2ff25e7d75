/**
 * Registering a public id (SPEC §9): its MutableData at SHA3-256(publicId), tag 15001, owned by
 * the account's owner, granting nobody any write; the first to store it owns the id (the network
 * answers the next one `DataExists`). Each id the account registered is also recorded in its
 * `_publicNames` container, as a file named after the id holding `{publicId, name, tag}` as JSON,
 * which is how `list` finds them again.
 */
import {
  PUBLIC_ID_ENTRY, SafeMeshError, TYPE_TAG_PUBLIC_ID, assertPublicId, bytesEqual, isLabel, isSafeMeshError, newMutableData,
  xorNameToHex, type MutableData
} from '@safemesh/protocol'
import type { MDataAddress } from '../client.js'
import type { FileSystem } from '../nfs/file-system.js'
import type { RequestOptions } from '../requests/request-context.js'
import { publicIdAddress, readServices, type ServiceListing, type ServiceRequests } from './services.js'
import type { PublicName } from './types.js'

/** The container that records an account's public ids. */
const PUBLIC_NAMES_CONTAINER = '_publicNames'

export interface RegisterRequests extends ServiceRequests {
  readonly owner: Uint8Array | undefined
  readonly fs: FileSystem
  putMData (data: MutableData, options?: RequestOptions): Promise<void>
  getMDataShell (md: MDataAddress, options?: RequestOptions): Promise<MutableData>
}

/** Claims `publicId` for this account; registering one's own id again finishes a half-done registration. */
export async function registerPublicId (requests: RegisterRequests, publicId: string, options: RequestOptions): Promise<PublicName> {
  assertPublicId(publicId)
  const owner = requests.owner
  if (owner === undefined) throw new SafeMeshError('AccessDenied', 'registering a public id needs an account (log in)')
  const address = publicIdAddress(publicId)
  const data = newMutableData({
    name: address.name,
    tag: TYPE_TAG_PUBLIC_ID,
    owners: [owner],
    entries: [{ key: utf8(PUBLIC_ID_ENTRY), content: utf8(publicId) }]
  })
  let again = false
  try {
    await requests.putMData(data, options)
  } catch (err) {
    if (!(isSafeMeshError(err) && err.code === 'DataExists')) throw err
    const shell = await requests.getMDataShell(address, options)
    if (!shell.owners.some(o => bytesEqual(o, owner))) throw new SafeMeshError('DataExists', `the public id ${JSON.stringify(publicId)} is taken`)
    again = true
  }
  await recordPublicId(requests.fs, publicId, again, options)
  return await describePublicId(requests, publicId, options)
}

/** The ids this account recorded in `_publicNames`, with their services. */
export async function listPublicIds (requests: RegisterRequests, options: RequestOptions): Promise<PublicName[]> {
  const ids: string[] = []
  for await (const entry of requests.fs.list(PUBLIC_NAMES_CONTAINER, options)) {
    const id = entry.path.slice(PUBLIC_NAMES_CONTAINER.length + 1)
    if (entry.kind === 'file' && isLabel(id)) ids.push(id)
  }
  const out = await Promise.all(ids.map(async id => {
    try {
      return await describePublicId(requests, id, options)
    } catch (err) {
      // A record whose id is gone from the network (it cannot be, unless written by hand) is skipped.
      if (isSafeMeshError(err) && err.code === 'NoSuchData') return undefined
      throw err
    }
  }))
  return out.filter((p): p is PublicName => p !== undefined)
}

async function describePublicId (requests: ServiceRequests, publicId: string, options: RequestOptions): Promise<PublicName> {
  return publicNameOf(publicId, await readServices(requests, publicId, options))
}

/** A public id and its live services, by service name. */
export function publicNameOf (publicId: string, { current }: ServiceListing): PublicName {
  const services = [...current.values()].flatMap(c => c.record === undefined ? [] : [c.record]).sort((a, b) => (a.service < b.service ? -1 : 1))
  return { publicId, name: publicIdAddress(publicId).name, services }
}

async function recordPublicId (fs: FileSystem, publicId: string, again: boolean, options: RequestOptions): Promise<void> {
  const path = `${PUBLIC_NAMES_CONTAINER}/${publicId}`
  if (again) {
    try {
      await fs.stat(path, options)
      return
    } catch (err) {
      if (!(isSafeMeshError(err) && err.code === 'NoSuchEntry')) throw err
    }
  }
  const record = JSON.stringify({ publicId, name: xorNameToHex(publicIdAddress(publicId).name), tag: TYPE_TAG_PUBLIC_ID }) + '\n'
  await fs.write(path, [utf8(record)], { ...options, mediaType: 'application/json' })
}

function utf8 (text: string): Uint8Array {
  return new TextEncoder().encode(text)
}
