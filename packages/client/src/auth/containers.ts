/**
 * The Authenticator's containers (SPEC §9). An account has:
 *
 * - **root containers**: `_documents`, `_downloads`, `_music`, `_pictures`, `_videos`,
 *   `_publicNames` (private NFS directories, each under its own key) and `_public` (a public one),
 *   plus `apps/<app id>` for apps given their own container;
 * - **the root container**: a private MutableData (tag {@link ROOT_CONTAINER_TAG}) at the session
 *   packet's `root` name, owned by the account with no permissions, whose entries (sealed under the
 *   account's symmetric key) map each container's name to where it is and its key, and
 *   `safemesh:access-container` to the access container;
 * - **the access container** (`access-container.ts`): per app, its containers and permissions.
 *
 * The first containers' names and keys are derived from the root and the account's symmetric key,
 * so account creation interrupted half-way is finished by the next login, which finds what exists.
 * A re-encrypted container (`rotate.ts`) gets a random name and key instead.
 */
import type { ClientKeys } from '@safemesh/crypto'
import {
  SafeMeshError, bytes, decodeWith, encodeWith, isSafeMeshError, newMutableData, object, optional, sha3_256, xorNameSchema,
  type KeyedEntryAction, type MutableData, type XorName
} from '@safemesh/protocol'
import { PrivateEntries, isPrivateMarker } from '../mdata/private-entries.js'
import type { RequestOptions } from '../requests/request-context.js'
import type { MDataAddress } from '../client.js'
import { Directory, derivedName, type DirectoryRef, type DirectoryRequests } from '../nfs/directory.js'

/** Tags 1–10000 are the system's (SPEC §2): the Authenticator's own MutableData use two. */
const ROOT_CONTAINER_TAG = 1000
export const ACCESS_CONTAINER_TAG = 1001

/** The root containers account creation makes (`_public` is the one not encrypted). */
export const DEFAULT_CONTAINERS: ReadonlyArray<{ name: string, private: boolean }> = Object.freeze([
  { name: '_documents', private: true },
  { name: '_downloads', private: true },
  { name: '_music', private: true },
  { name: '_pictures', private: true },
  { name: '_videos', private: true },
  { name: '_public', private: false },
  { name: '_publicNames', private: true }
])

const ACCESS_ENTRY = 'safemesh:access-container'

/** A container: its name and the directory it is. */
export interface ContainerInfo extends DirectoryRef {
  readonly name: string
}

export interface Containers {
  readonly containers: ReadonlyMap<string, ContainerInfo & { readonly version: number }>
  readonly access: XorName
}

const infoSchema = object({ head: xorNameSchema, key: optional(bytes({ length: 32 })) })

/** The own container's name of an app. */
export function ownContainerName (app: string): string {
  return `apps/${app}`
}

/** A derived container key: SHA3-256 of the account's symmetric key and the container's name. */
export function derivedContainerKey (symmetric: Uint8Array, name: string): Uint8Array {
  const label = new TextEncoder().encode(`safemesh/container-key/v1/${name}`)
  const input = new Uint8Array(symmetric.length + label.length)
  input.set(symmetric)
  input.set(label, symmetric.length)
  return sha3_256(input)
}

export class RootContainer {
  private readonly requests: DirectoryRequests
  private readonly keys: ClientKeys
  private readonly root: XorName
  private readonly cipher: PrivateEntries

  constructor (requests: DirectoryRequests, keys: ClientKeys, root: XorName) {
    this.requests = requests
    this.keys = keys
    this.root = root
    this.cipher = new PrivateEntries(keys.symmetric)
  }

  get address (): MDataAddress {
    return { name: this.root, tag: ROOT_CONTAINER_TAG }
  }

  /** The containers; undefined when the account has no root container yet. */
  async read (options: RequestOptions = {}): Promise<Containers | undefined> {
    let md: MutableData
    try {
      md = await this.requests.getMData(this.address, options)
    } catch (err) {
      if (isSafeMeshError(err) && err.code === 'NoSuchData') return undefined
      throw err
    }
    const marker = [...md.entries.values()].find(e => isPrivateMarker(e.key))
    if (marker === undefined) throw new SafeMeshError('InvalidRequest', 'the root container is not sealed')
    this.cipher.checkMarker(marker.content)
    const containers = new Map<string, ContainerInfo & { version: number }>()
    let access: XorName | undefined
    for (const entry of this.cipher.decryptEntries([...md.entries.values()])) {
      if (entry.content.length === 0) continue
      const name = new TextDecoder().decode(entry.key)
      const info = decodeWith(infoSchema, entry.content)
      if (name === ACCESS_ENTRY) access = info.head
      else containers.set(name, { name, head: info.head, ...(info.key !== undefined ? { key: info.key } : {}), version: entry.version })
    }
    if (access === undefined) throw new SafeMeshError('InvalidRequest', 'the root container names no access container')
    return { containers, access }
  }

  /**
   * Makes whatever of the default containers, the access container and the root container is
   * missing (account creation, or the first login of an account made before containers).
   */
  async ensure (options: RequestOptions = {}): Promise<Containers> {
    const existing = await this.read(options)
    const missing = DEFAULT_CONTAINERS.filter(c => existing?.containers.has(c.name) !== true)
    if (existing !== undefined && missing.length === 0) return existing
    const owner = this.keys.sign.publicKey
    const made = await Promise.all(missing.map(async (c): Promise<ContainerInfo> => {
      const ref: ContainerInfo = { name: c.name, head: derivedName(this.root, c.name), ...(c.private ? { key: derivedContainerKey(this.keys.symmetric, c.name) } : {}) }
      await ignoreExisting(Directory.create(this.requests, ref, owner, [], options))
      return ref
    }))
    const access = existing?.access ?? derivedName(this.root, ACCESS_ENTRY)
    if (existing === undefined) {
      await ignoreExisting(this.requests.putMData(newMutableData({ name: access, tag: ACCESS_CONTAINER_TAG, owners: [owner] }), options))
      const entries = [...made.map(c => this.sealedEntry(c.name, c, 0)), this.sealedEntry(ACCESS_ENTRY, { head: access }, 0), this.cipher.marker()]
      await ignoreExisting(this.requests.putMData(newMutableData({ name: this.root, tag: ROOT_CONTAINER_TAG, owners: [owner], entries }), options))
    } else {
      await this.requests.mutateMDataEntries(this.address, made.map(c => insertAction(this.sealedEntry(c.name, c, 0))), options)
    }
    const now = await this.read(options)
    if (now === undefined) throw new SafeMeshError('NoSuchData', 'the root container could not be made')
    return now
  }

  /** Records a container (a new one, or a re-encrypted one with the version it had). */
  async record (info: ContainerInfo, version: number | undefined, options: RequestOptions = {}): Promise<void> {
    const next = version === undefined ? 0 : version + 1
    const { key, content } = this.sealedEntry(info.name, info, next)
    const action: KeyedEntryAction = version === undefined
      ? { key, action: { kind: 'Insert', content } }
      : { key, action: { kind: 'Update', content, version: next } }
    await this.requests.mutateMDataEntries(this.address, [action], options)
  }

  /** A container's entry, sealed for entry version `version`. */
  private sealedEntry (name: string, ref: DirectoryRef, version: number): { key: Uint8Array, content: Uint8Array } {
    const info = encodeWith(infoSchema, { head: ref.head, ...(ref.key !== undefined ? { key: ref.key } : {}) })
    const key = this.cipher.encryptKey(new TextEncoder().encode(name))
    return { key, content: this.cipher.encryptValue(info, key, version) }
  }
}

function insertAction (entry: { key: Uint8Array, content: Uint8Array }): KeyedEntryAction {
  return { key: entry.key, action: { kind: 'Insert', content: entry.content } }
}

/** `DataExists` from a PutMData that an earlier, interrupted run already did. */
async function ignoreExisting (put: Promise<unknown>): Promise<void> {
  try {
    await put
  } catch (err) {
    if (!(isSafeMeshError(err) && err.code === 'DataExists')) throw err
  }
}
