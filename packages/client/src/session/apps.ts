/**
 * Authorising and revoking apps (SPEC §4, §10 `app auth|list|revoke`), on top of the owner's
 * plain requests: the registry entry in the session packet (`app-registry.ts`) and the account's
 * auth keys at its Maid-Managers.
 *
 * with SPEC §9's containers: the root container (`auth/containers.ts`) and the access container
 * (`auth/access-container.ts`).
 *
 * Authorising records the app first and inserts its key last; revoking deletes the key first and
 * forgets the app last. So an interruption at any point is repaired by running the same command
 * again: `app auth` finds the recorded app and finishes (same credentials as before), `app revoke`
 * skips what is already done. Authorising costs the registry entry, one permission change per node
 * of each container the app may write, its access entry and the auth key (plus two ops for an own
 * container); revoking, the same again plus the copy of each private container it could read.
 */
import { bytesEqual, bytesToHex, SafeMeshError, isSafeMeshError, keyUser, type KeyedEntryAction, type XorName } from '@safemesh/protocol'
import { generateClientKeys, type ClientKeys } from '@safemesh/crypto'
import type { RequestOptions } from '../requests/request-context.js'
import { AccessContainer, OWN_CONTAINER_ACCESS, permissionSetOf, sortedAccess, type ContainerAccess, type GrantedContainer } from '../auth/access-container.js'
import { RootContainer, derivedContainerKey, ownContainerName, type ContainerInfo } from '../auth/containers.js'
import { reencryptContainer } from '../auth/reencrypt.js'
import { Directory, derivedName, type DirectoryRequests } from '../nfs/directory.js'
import { APPS_ENTRY_KEY, checkAppId, openAppRegistry, sealAppRegistry, type AppRecord } from './app-registry.js'
import { encodeAppCredentials } from './app-credentials.js'
import { SESSION_PACKET_TAG } from './session-packet.js'

/** The owner's requests this module needs (a SafeMeshClient in account mode). */
interface OwnerRequests extends DirectoryRequests {
  listAuthKeysAndVersion (options?: RequestOptions): Promise<{ keys: Uint8Array[], version: number }>
  insAuthKey (key: Uint8Array, version: number, options?: RequestOptions): Promise<void>
  delAuthKey (key: Uint8Array, version: number, options?: RequestOptions): Promise<void>
}

export interface OwnerContext {
  readonly requests: OwnerRequests
  readonly keys: ClientKeys
  /** The session packet's name. */
  readonly location: XorName
  /** The root container's name. */
  readonly root: XorName
}

export interface AuthorisedApp {
  app: string
  /** The app's signing public key, hex. */
  key: string
  /** What the app acts with (`$SAFEMESH_APP`); a secret. */
  credentials: string
  /** The containers the app may use now, and how. */
  containers: ContainerGrant[]
}

/** A container an app may use, and how (SPEC §9). */
export interface ContainerGrant {
  name: string
  access: ContainerAccess[]
}

export interface AppInfo {
  app: string
  key: string
  /** Whether the Maid-Managers hold the app's key (false only after an interrupted `app auth`). */
  authorised: boolean
  containers: ContainerGrant[]
}

export interface RevokedApp {
  app: string
  key: string
  /** The private containers re-encrypted because the app could read them. */
  reencrypted: string[]
}

export interface AuthoriseOptions extends RequestOptions {
  /** Containers and their access, added to what the app already has (e.g. `{ name: '_documents', access: ['read', 'insert'] }`). */
  containers?: readonly ContainerGrant[]
  /** Gives the app its own container `apps/<app id>`, with every right but changing its owner. */
  ownContainer?: boolean
}

/** Concurrent changes to the registry or the auth keys are retried this many times. */
const CONFLICT_TRIES = 3

/**
 * Authorises an app: its keys (the same ones when it was authorised before), its containers (their
 * permissions at the Data-Managers, then its access entry with their keys), then its auth key at
 * the Maid-Managers, so it can act only once everything it may use is in place.
 */
export async function authoriseApp (owner: OwnerContext, app: string, options: AuthoriseOptions = {}): Promise<AuthorisedApp> {
  checkAppId(app)
  const wanted = [...(options.containers ?? [])]
  if (options.ownContainer === true) wanted.push({ name: ownContainerName(app), access: [...OWN_CONTAINER_ACCESS] })
  const record = await onRegistry<AppRecord>(owner, options, (apps) => {
    const existing = apps.find(a => a.app === app)
    return existing !== undefined ? { result: existing } : { result: { app, keys: generateClientKeys() }, next: (r) => [...apps, r] }
  })
  const root = new RootContainer(owner.requests, owner.keys, owner.root)
  const containers = await root.ensure(options)
  const access = new AccessContainer(owner.requests, containers.access)
  const current = await access.read(record.keys, options)
  const grants = new Map<string, GrantedContainer>(current.grants.map(g => [g.name, g]))
  let changed = false
  for (const { name, access: more } of wanted) {
    const info = containers.containers.get(name) ?? (name === ownContainerName(app) ? await makeOwnContainer(owner, root, name, options) : undefined)
    if (info === undefined) throw new SafeMeshError('NoSuchEntry', `the account has no container ${JSON.stringify(name)}`)
    const before = grants.get(name)
    // A private container's key seals entries as well as opens them: any access to one includes read.
    const access = sortedAccess([...(before?.access ?? []), ...more, ...(info.key !== undefined ? ['read' as const] : [])])
    // Asked again for what it has: nothing to change, nothing to pay.
    if (before !== undefined && bytesEqual(before.head, info.head) && before.access.join() === access.join()) continue
    changed = true
    grants.set(name, { name, head: info.head, ...(info.key !== undefined ? { key: info.key } : {}), access })
    const permissions = permissionSetOf(access)
    if (permissions !== undefined) await new Directory(owner.requests, info, owner.keys.sign.publicKey).setPermissions(keyUser(record.keys.sign.publicKey), permissions, options)
  }
  if (changed) await access.write(record.keys, [...grants.values()], current.version, options)
  const key = record.keys.sign.publicKey
  await onAuthKeys(owner, options, (keys, version) => keys.some(k => bytesEqual(k, key)) ? undefined : async () => { await owner.requests.insAuthKey(key, version + 1, options) })
  return {
    app,
    key: bytesToHex(key),
    credentials: encodeAppCredentials({ app, owner: owner.keys.sign.publicKey, keys: record.keys, access: containers.access }),
    containers: [...grants.values()].map(g => ({ name: g.name, access: [...g.access] }))
  }
}

async function makeOwnContainer (owner: OwnerContext, root: RootContainer, name: string, options: RequestOptions): Promise<ContainerInfo> {
  const info: ContainerInfo = { name, head: derivedName(owner.root, name), key: derivedContainerKey(owner.keys.symmetric, name) }
  try {
    await Directory.create(owner.requests, info, owner.keys.sign.publicKey, [], options)
  } catch (err) {
    if (!(isSafeMeshError(err) && err.code === 'DataExists')) throw err
  }
  await root.record(info, undefined, options)
  return info
}

export async function listApps (owner: OwnerContext, options: RequestOptions = {}): Promise<AppInfo[]> {
  const [{ apps }, { keys }, containers] = await Promise.all([
    readRegistry(owner, options), owner.requests.listAuthKeysAndVersion(options), new RootContainer(owner.requests, owner.keys, owner.root).read(options)
  ])
  const access = containers === undefined ? undefined : new AccessContainer(owner.requests, containers.access)
  return await Promise.all(apps.map(async a => ({
    app: a.app,
    key: bytesToHex(a.keys.sign.publicKey),
    authorised: keys.some(k => bytesEqual(k, a.keys.sign.publicKey)),
    containers: access === undefined ? [] : (await access.read(a.keys, options)).grants.map(g => ({ name: g.name, access: [...g.access] }))
  })))
}

/**
 * Revokes an app (`NoSuchKey` when no app of that id is recorded): its auth key first (every
 * Maid-Manager refuses it at once), then its permissions on every container, then every private
 * container it could read is re-encrypted (`reencrypt.ts`) and the apps that keep it told, then its
 * access entry and its record go. Running it again after an interruption finishes the job.
 */
export async function revokeApp (owner: OwnerContext, app: string, options: RequestOptions = {}): Promise<RevokedApp> {
  const { apps } = await readRegistry(owner, options)
  const record = apps.find(a => a.app === app)
  if (record === undefined) throw new SafeMeshError('NoSuchKey', `no app ${JSON.stringify(app)} is authorised`)
  const key = record.keys.sign.publicKey
  await onAuthKeys(owner, options, (keys, version) => keys.some(k => bytesEqual(k, key)) ? async () => { await owner.requests.delAuthKey(key, version + 1, options) } : undefined)
  const root = new RootContainer(owner.requests, owner.keys, owner.root)
  const containers = await root.read(options)
  const reencrypted: string[] = []
  if (containers !== undefined) {
    const access = new AccessContainer(owner.requests, containers.access)
    const revoked = await access.read(record.keys, options)
    const user = keyUser(key)
    const others = apps.filter(a => a.app !== app)
    for (const grant of revoked.grants) {
      const info = containers.containers.get(grant.name)
      if (info === undefined) continue
      await new Directory(owner.requests, info, owner.keys.sign.publicKey).setPermissions(user, undefined, options)
      if (info.key === undefined || !grant.access.includes('read')) continue
      // The apps that keep the container: their access entries say what the new directory grants.
      const keeping = (await Promise.all(others.map(async a => ({ app: a, ...await access.read(a.keys, options) }))))
        .filter(e => e.grants.some(g => g.name === grant.name))
      const keep = keeping.flatMap(e => {
        const permissions = permissionSetOf(e.grants.find(g => g.name === grant.name)?.access ?? [])
        return permissions === undefined ? [] : [{ user: keyUser(e.app.keys.sign.publicKey), permissions }]
      })
      const next = await reencryptContainer(owner.requests, owner.keys.sign.publicKey, info, keep, options)
      await root.record(next, info.version, options)
      for (const e of keeping) {
        await access.write(e.app.keys, e.grants.map(g => g.name === next.name ? { ...next, access: g.access } : g), e.version, options)
      }
      reencrypted.push(grant.name)
    }
    await access.write(record.keys, [], revoked.version, options)
  }
  await onRegistry(owner, options, (current) => ({ result: undefined, next: () => current.filter(a => a.app !== app) }))
  return { app, key: bytesToHex(key), reencrypted }
}

interface Registry {
  apps: AppRecord[]
  /** The `Apps` entry's version; undefined when there is no entry yet. */
  version?: number
}

async function readRegistry (owner: OwnerContext, options: RequestOptions): Promise<Registry> {
  try {
    const value = await owner.requests.getMDataValue({ name: owner.location, tag: SESSION_PACKET_TAG }, APPS_ENTRY_KEY, options)
    return { apps: openAppRegistry(value.content, owner.keys.symmetric), version: value.version }
  } catch (err) {
    if (isSafeMeshError(err) && err.code === 'NoSuchEntry') return { apps: [] }
    throw err
  }
}

/**
 * Reads the registry, lets `change` decide, and writes the new list when it gives one; a
 * concurrent writer (EntryExists / InvalidSuccessor inside InvalidEntryActions) means read again.
 */
async function onRegistry<R> (
  owner: OwnerContext,
  options: RequestOptions,
  change: (apps: AppRecord[]) => { result: R, next?: (result: R) => AppRecord[] }
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const registry = await readRegistry(owner, options)
    const { result, next } = change(registry.apps)
    if (next === undefined) return result
    const content = sealAppRegistry(next(result), owner.keys.symmetric)
    const action: KeyedEntryAction = registry.version === undefined
      ? { key: APPS_ENTRY_KEY, action: { kind: 'Insert', content } }
      : { key: APPS_ENTRY_KEY, action: { kind: 'Update', content, version: registry.version + 1 } }
    try {
      await owner.requests.mutateMDataEntries({ name: owner.location, tag: SESSION_PACKET_TAG }, [action], options)
      return result
    } catch (err) {
      if (attempt >= CONFLICT_TRIES || !isSafeMeshError(err) || err.code !== 'InvalidEntryActions') throw err
    }
  }
}

/** Reads the auth keys, lets `change` decide on a request, and retries it on a concurrent change. */
async function onAuthKeys (
  owner: OwnerContext,
  options: RequestOptions,
  change: (keys: Uint8Array[], version: number) => (() => Promise<void>) | undefined
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { keys, version } = await owner.requests.listAuthKeysAndVersion(options)
    const request = change(keys, version)
    if (request === undefined) return
    try {
      await request()
      return
    } catch (err) {
      if (attempt >= CONFLICT_TRIES || !isSafeMeshError(err) || err.code !== 'InvalidSuccessor') throw err
    }
  }
}
