/**
 * The access container (SPEC §9): per app, which containers it may use, with which permissions,
 * and what opens them. A MutableData of tag {@link ACCESS_CONTAINER_TAG}, owned by the account
 * with no permissions (only the owner writes it). An app's entry is
 *
 *     key   = encryptDeterministic("safemesh:access", app's symmetric key)
 *     value = encryptSymmetric(encode({v: 1, containers: [{name, head, key?, access}]}), app's symmetric key)
 *
 * so the app finds and opens its own entry and nobody else's, and the owner, who keeps every app's
 * keys in its registry, can write them all. After a container is re-encrypted the owner rewrites
 * the entries of the apps that keep it; an app learns the new key by reading its entry again.
 */
import { decryptSymmetric, encryptSymmetric, type ClientKeys } from '@safemesh/crypto'
import {
  SafeMeshError, array, bytes, decodeWith, encodeWith, isSafeMeshError, literal, object, oneOf, optional, string, xorNameSchema,
  type KeyedEntryAction, type PermissionSet, type XorName
} from '@safemesh/protocol'
import { PrivateEntries } from '../mdata/private-entries.js'
import type { RequestOptions } from '../requests/request-context.js'
import type { DirectoryRequests } from '../nfs/directory.js'
import { ACCESS_CONTAINER_TAG, type ContainerInfo } from './containers.js'

/** What an app may do with a container: `read` is its key; the others are network permissions (SPEC §2). */
export const CONTAINER_ACCESS = ['read', 'insert', 'update', 'delete', 'manage'] as const
export type ContainerAccess = (typeof CONTAINER_ACCESS)[number]

/** SPEC §9's BASIC access. */
export const BASIC_ACCESS: readonly ContainerAccess[] = Object.freeze(['read', 'insert'])
/** An app's own container: everything but changing the owner. */
export const OWN_CONTAINER_ACCESS: readonly ContainerAccess[] = Object.freeze([...CONTAINER_ACCESS])

export interface GrantedContainer extends ContainerInfo {
  readonly access: readonly ContainerAccess[]
}

const MAX_CONTAINER_NAME = 300
const grantsSchema = object({
  v: literal(1),
  containers: array(object({ name: string(MAX_CONTAINER_NAME), head: xorNameSchema, key: optional(bytes({ length: 32 })), access: array(oneOf(CONTAINER_ACCESS), CONTAINER_ACCESS.length) }), 1000)
})
const ENTRY_LABEL = new TextEncoder().encode('safemesh:access')

/** `_documents:read,insert` (or `_documents:basic`) as a container name and its access. */
export function parseContainerAccess (text: string): { name: string, access: ContainerAccess[] } {
  const colon = text.lastIndexOf(':')
  const name = colon === -1 ? text : text.slice(0, colon)
  const list = colon === -1 ? 'basic' : text.slice(colon + 1)
  if (name.length === 0 || name.length > MAX_CONTAINER_NAME) throw new SafeMeshError('InvalidRequest', `a container is named: ${JSON.stringify(text)}`)
  const access = new Set<ContainerAccess>()
  for (const word of list.split(',').map(w => w.trim().toLowerCase()).filter(w => w.length > 0)) {
    if (word === 'basic') BASIC_ACCESS.forEach(a => access.add(a))
    else if ((CONTAINER_ACCESS as readonly string[]).includes(word)) access.add(word as ContainerAccess)
    else throw new SafeMeshError('InvalidRequest', `unknown container access ${JSON.stringify(word)} (read, insert, update, delete, manage or basic)`)
  }
  if (access.size === 0) throw new SafeMeshError('InvalidRequest', `no access given for ${name}`)
  return { name, access: sortedAccess(access) }
}

export function sortedAccess (access: Iterable<ContainerAccess>): ContainerAccess[] {
  const set = new Set(access)
  return CONTAINER_ACCESS.filter(a => set.has(a))
}

/** The network permissions an access list means; undefined when it means none (read only). */
export function permissionSetOf (access: readonly ContainerAccess[]): PermissionSet | undefined {
  const set: { -readonly [A in keyof PermissionSet]: boolean } = {}
  if (access.includes('insert')) set.Insert = true
  if (access.includes('update')) set.Update = true
  if (access.includes('delete')) set.Delete = true
  if (access.includes('manage')) set.ManagePermissions = true
  return Object.keys(set).length === 0 ? undefined : set
}

export class AccessContainer {
  private readonly requests: DirectoryRequests
  readonly name: XorName

  constructor (requests: DirectoryRequests, name: XorName) {
    this.requests = requests
    this.name = name
  }

  private get address (): { name: XorName, tag: number } {
    return { name: this.name, tag: ACCESS_CONTAINER_TAG }
  }

  /** An app's containers and its entry's version (undefined: no entry). */
  async read (app: ClientKeys, options: RequestOptions = {}): Promise<{ grants: GrantedContainer[], version?: number }> {
    let value
    try {
      value = await this.requests.getMDataValue(this.address, entryKey(app), options)
    } catch (err) {
      if (isSafeMeshError(err) && err.code === 'NoSuchEntry') return { grants: [] }
      throw err
    }
    if (value.content.length === 0) return { grants: [], version: value.version }
    let decoded
    try {
      decoded = decodeWith(grantsSchema, decryptSymmetric(value.content, app.symmetric))
    } catch {
      throw new SafeMeshError('InvalidRequest', 'the app\'s entry in the access container cannot be read')
    }
    return {
      grants: decoded.containers.map(c => ({ name: c.name, head: c.head, ...(c.key !== undefined ? { key: c.key } : {}), access: c.access })),
      version: value.version
    }
  }

  /** Writes an app's entry (`version` as read: undefined inserts); an empty list deletes it. */
  async write (app: ClientKeys, grants: readonly GrantedContainer[], version: number | undefined, options: RequestOptions = {}): Promise<void> {
    const key = entryKey(app)
    const content = encryptSymmetric(encodeWith(grantsSchema, {
      v: 1,
      containers: grants.map(g => ({ name: g.name, head: g.head, ...(g.key !== undefined ? { key: g.key } : {}), access: sortedAccess(g.access) }))
    }), app.symmetric)
    let action: KeyedEntryAction
    if (grants.length === 0) {
      if (version === undefined) return
      action = { key, action: { kind: 'Delete', version: version + 1 } }
    } else {
      action = version === undefined ? { key, action: { kind: 'Insert', content } } : { key, action: { kind: 'Update', content, version: version + 1 } }
    }
    await this.requests.mutateMDataEntries(this.address, [action], options)
  }
}

function entryKey (app: ClientKeys): Uint8Array {
  return new PrivateEntries(app.symmetric).encryptKey(ENTRY_LABEL)
}
