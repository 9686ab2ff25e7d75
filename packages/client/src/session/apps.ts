/**
 * Authorising and revoking apps (SPEC §4, §10 `app auth|list|revoke`), on top of the owner's
 * plain requests: the registry entry in the session packet (`app-registry.ts`) and the account's
 * auth keys at its Maid-Managers.
 *
 * Authorising records the app first, then inserts its key; revoking deletes the key first, then
 * forgets the app. So an interruption at any point is repaired by running the same command again:
 * `app auth` finds the recorded app and inserts its key if missing (same credentials as before),
 * `app revoke` skips a key that is already gone. Authorising costs two ops the first time
 * (registry + InsAuthKey), revoking two.
 */
import { bytesEqual, bytesToHex, SafeMeshError, isSafeMeshError, type KeyedEntryAction, type MutableDataValue, type XorName } from '@safemesh/protocol'
import { generateClientKeys, type ClientKeys } from '@safemesh/crypto'
import type { RequestOptions } from '../requests/request-context.js'
import type { MDataAddress } from '../client.js'
import { APPS_ENTRY_KEY, checkAppId, openAppRegistry, sealAppRegistry, type AppRecord } from './app-registry.js'
import { encodeAppCredentials } from './app-credentials.js'
import { SESSION_PACKET_TAG } from './session-packet.js'

/** The owner's requests this module needs (a SafeMeshClient in account mode). */
interface OwnerRequests {
  getMDataValue (md: MDataAddress, key: Uint8Array, options?: RequestOptions): Promise<MutableDataValue>
  mutateMDataEntries (md: MDataAddress, actions: KeyedEntryAction[], options?: RequestOptions): Promise<void>
  listAuthKeysAndVersion (options?: RequestOptions): Promise<{ keys: Uint8Array[], version: number }>
  insAuthKey (key: Uint8Array, version: number, options?: RequestOptions): Promise<void>
  delAuthKey (key: Uint8Array, version: number, options?: RequestOptions): Promise<void>
}

export interface OwnerContext {
  readonly requests: OwnerRequests
  readonly keys: ClientKeys
  /** The session packet's name. */
  readonly location: XorName
}

export interface AuthorisedApp {
  app: string
  /** The app's signing public key, hex. */
  key: string
  /** What the app acts with (`$SAFEMESH_APP`); a secret. */
  credentials: string
}

export interface AppInfo {
  app: string
  key: string
  /** Whether the Maid-Managers hold the app's key (false only after an interrupted `app auth`). */
  authorised: boolean
}

/** Concurrent changes to the registry or the auth keys are retried this many times. */
const CONFLICT_TRIES = 3

export async function authoriseApp (owner: OwnerContext, app: string, options: RequestOptions = {}): Promise<AuthorisedApp> {
  checkAppId(app)
  const record = await onRegistry<AppRecord>(owner, options, (apps) => {
    const existing = apps.find(a => a.app === app)
    return existing !== undefined ? { result: existing } : { result: { app, keys: generateClientKeys() }, next: (r) => [...apps, r] }
  })
  const key = record.keys.sign.publicKey
  await onAuthKeys(owner, options, (keys, version) => keys.some(k => bytesEqual(k, key)) ? undefined : async () => { await owner.requests.insAuthKey(key, version + 1, options) })
  return { app, key: bytesToHex(key), credentials: encodeAppCredentials({ app, owner: owner.keys.sign.publicKey, keys: record.keys }) }
}

export async function listApps (owner: OwnerContext, options: RequestOptions = {}): Promise<AppInfo[]> {
  const [{ apps }, { keys }] = await Promise.all([readRegistry(owner, options), owner.requests.listAuthKeysAndVersion(options)])
  return apps.map(a => ({ app: a.app, key: bytesToHex(a.keys.sign.publicKey), authorised: keys.some(k => bytesEqual(k, a.keys.sign.publicKey)) }))
}

/** Revokes an app: `NoSuchKey` when no app of that id is recorded. */
export async function revokeApp (owner: OwnerContext, app: string, options: RequestOptions = {}): Promise<{ app: string, key: string }> {
  const { apps } = await readRegistry(owner, options)
  const record = apps.find(a => a.app === app)
  if (record === undefined) throw new SafeMeshError('NoSuchKey', `no app ${JSON.stringify(app)} is authorised`)
  const key = record.keys.sign.publicKey
  await onAuthKeys(owner, options, (keys, version) => keys.some(k => bytesEqual(k, key)) ? async () => { await owner.requests.delAuthKey(key, version + 1, options) } : undefined)
  await onRegistry(owner, options, (current) => ({ result: undefined, next: () => current.filter(a => a.app !== app) }))
  return { app, key: bytesToHex(key) }
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
