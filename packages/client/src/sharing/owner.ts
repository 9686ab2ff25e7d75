/**
 * What a sharer does (docs/protocol.md, "Sharing"): share a file or folder with accounts and
 * links, revoke a reader (a folder's key is rotated), change a share's expiry, cancel a link, and
 * record in the share log every payment its shares earned. The share log is also where the owner
 * finds its shares again: every share it made is a `share` event naming its path; the share's own
 * MutableData (the gate and the owner's record) says what holds now.
 *
 * Order: what grants (a share, a link, an expiry change) is logged before it takes effect, what
 * takes away (a revocation, a cancelled link) after, so that an interruption leaves the log saying
 * more was given than was, never less.
 */
import type { ClientKeys } from '@safemesh/crypto'
import {
  READ_GATE_KEY, SafeMeshError, TYPE_TAG_SHARE_ENVELOPE, accountNameOf, bytesEqual, bytesToHex, encodeReadGate, entryKeyId, isSafeMeshError,
  newMutableData, randomXorName, readGateOf,
  type KeyedEntryAction, type MutableData, type ReadGate, type ShareEvent, type ShareLogRecord, type XorName
} from '@safemesh/protocol'
import type { RequestOptions } from '../requests/request-context.js'
import { DEFAULT_CONTAINERS, RootContainer, ownContainerName, type ContainerInfo } from '../auth/containers.js'
import { reencryptContainer } from '../auth/reencrypt.js'
import { Directory } from '../nfs/directory.js'
import { splitContainer } from '../nfs/file-system.js'
import { normalisePath } from '../nfs/paths.js'
import {
  MAX_SHARE_READERS, OWNER_RECORD_KEY, openOwnerRecord, sealEnvelope, sealOwnerRecord,
  type OwnerRecord, type ShareEnvelope, type ShareReader, type SharedDirectory, type SharedFile
} from './envelope.js'
import { parseExpiry } from './expiry.js'
import { MAX_NOTE_LENGTH, postOffer } from './inbox.js'
import { decodeLink, encodeLink, linkKeys, newLinkSeed } from './link.js'
import { readProfile } from './profile.js'
import type { CreditRequests, SharingRequests } from './requests.js'
import { splitFolder } from './folder-split.js'

/** The share log as the sharer uses it (`ShareLog`, Part D). */
export interface ShareLogAccess {
  ensure (options?: RequestOptions): Promise<void>
  append (event: ShareEvent, options?: RequestOptions): Promise<unknown>
  /** The owner's records, verified, oldest first. */
  records (options?: RequestOptions): Promise<ShareLogRecord[]>
}

export interface SharerContext {
  readonly requests: SharingRequests & Partial<CreditRequests>
  readonly keys: ClientKeys
  /** The root container's name (the session's). */
  readonly root: XorName
  readonly log: ShareLogAccess
}

/** An account's ID (its signing key) as 64 hex digits, or its 32 bytes. */
export type AccountId = string | Uint8Array

export interface ShareOptions extends RequestOptions {
  /** The accounts to share with (their IDs). */
  with?: readonly AccountId[]
  /** When the share ends: ms since 1970, or text (`24h`, `90m`, `30s`, an ISO date). */
  expires?: number | string
  /** Told to the recipients in their inbox. */
  note?: string
  /** Credits each read costs the reader, paid to the sharer (not with `link`). */
  price?: number
  /** Also make a capability link (the result's `link`). */
  link?: boolean
}

export interface ShareResult {
  /** The share id (hex): its envelope MutableData's name. */
  share: string
  path: string
  kind: 'file' | 'folder'
  /** The accounts' IDs (hex). */
  recipients: string[]
  expires?: number
  price?: number
  /** The link (a secret), when one was asked for. */
  link?: string
  /** Whether an existing share of this path with the same people was updated (its envelopes rewritten). */
  updated: boolean
}

export interface RevokeResult {
  share: string
  path: string
  kind: 'file' | 'folder'
  revoked: string
  /** The readers left (hex: accounts' IDs and links' keys). */
  readers: string[]
  /** Whether the folder's key was rotated (a folder share). */
  rotated: boolean
}

export interface ExpiryResult {
  share: string
  expires?: number
}

export interface CancelledLink {
  share: string
  /** The link's key (hex). */
  link: string
}

const SHARE_TAG = TYPE_TAG_SHARE_ENVELOPE

/** Shares `path` (a file, or a folder inside a container); see `ShareOptions`. */
export async function sharePath (ctx: SharerContext, path: string, options: ShareOptions = {}): Promise<ShareResult> {
  const owner = ctx.keys.sign.publicKey
  const normal = normalisePath(path)
  const now = Date.now()
  const expires = options.expires === undefined ? undefined : typeof options.expires === 'number' ? future(options.expires, now) : parseExpiry(options.expires, now)
  const price = options.price
  if (price !== undefined && (!Number.isSafeInteger(price) || price < 1)) throw new SafeMeshError('InvalidRequest', `a price is a whole number of credits, at least 1, not ${price}`)
  if (price !== undefined && options.link === true) throw new SafeMeshError('InvalidRequest', 'a link cannot pay: a paid share has no link')
  if (options.note !== undefined && options.note.length > MAX_NOTE_LENGTH) throw new SafeMeshError('InvalidRequest', `a note is at most ${MAX_NOTE_LENGTH} characters`)
  const ids = uniqueKeys((options.with ?? []).map(id => idBytes(id, 'an ID')))
  if (ids.some(id => bytesEqual(id, owner))) throw new SafeMeshError('InvalidRequest', 'a share is with others: that ID is this account\'s own')
  if (ids.length === 0 && options.link !== true) throw new SafeMeshError('InvalidRequest', 'share with at least one ID, or make a link')
  if (ids.length + 1 > MAX_SHARE_READERS) throw new SafeMeshError('InvalidRequest', `a share has at most ${MAX_SHARE_READERS - 1} readers`)

  const records = await ctx.log.records(options)
  await syncPayments(ctx, records, options)
  const profiles = await Promise.all(ids.map(async id => await readProfile(ctx.requests, id, options)))
  const target = await shareTarget(ctx, normal, options)
  const terms = { ...(expires !== undefined ? { expires } : {}), ...(price !== undefined ? { price } : {}) }
  const gateTerms: Omit<ReadGate, 'readers'> = { ...terms, ...(price !== undefined ? { payee: accountNameOf(owner) } : {}) }

  const same = options.link === true ? undefined : await sameShare(ctx, records, normal, target.kind, ids, options)
  if (same !== undefined) {
    // The same people again: their envelopes now carry what the path is now (a file's latest version).
    await ctx.log.append({ kind: 'share', share: same.md.name, path: normal, recipients: ids, ...terms }, options)
    const gate: ReadGate = { readers: same.gate.readers, ...gateTerms }
    const actions = [update(same.md, READ_GATE_KEY, encodeReadGate(gate)), ...envelopeActions(ctx, same.md, same.record, target, gate, now)]
    await ctx.requests.mutateMDataEntries(addressOf(same.md.name), actions, options)
    return { share: bytesToHex(same.md.name), path: normal, kind: target.kind, recipients: ids.map(bytesToHex), ...terms, updated: true }
  }

  const share = randomXorName()
  const readers: ShareReader[] = profiles.map(p => ({ key: p.sign, encrypt: p.encrypt }))
  let link: string | undefined
  let linkKey: Uint8Array | undefined
  if (options.link === true) {
    const seed = newLinkSeed()
    const keys = linkKeys(seed)
    linkKey = keys.sign.publicKey
    readers.push({ key: linkKey, encrypt: keys.encrypt.publicKey, link: true })
    link = encodeLink({ seed, share, sharer: owner })
  }
  const gate: ReadGate = { readers: readers.map(r => r.key), ...gateTerms }
  const record: OwnerRecord = { path: normal, kind: target.kind, readers }
  const entries = [
    { key: READ_GATE_KEY, content: encodeReadGate(gate) },
    { key: OWNER_RECORD_KEY, content: sealOwnerRecord(record, ctx.keys) },
    ...readers.map(r => ({ key: r.key, content: sealEnvelope(envelopeOf(ctx, share, normal, r, target, gate, now), ctx.keys, r.encrypt) }))
  ]
  await ctx.log.append({ kind: 'share', share, path: normal, recipients: ids, ...terms }, options)
  if (linkKey !== undefined) await ctx.log.append({ kind: 'link', share, link: linkKey }, options)
  await ctx.requests.putMData(newMutableData({ name: share, tag: SHARE_TAG, owners: [owner], entries }), options)
  for (const profile of profiles) {
    await postOffer(ctx.requests, ctx.keys, profile, {
      share, kind: target.kind, path: normal, at: now, ...terms, ...(options.note !== undefined ? { note: options.note } : {})
    }, options)
  }
  return { share: bytesToHex(share), path: normal, kind: target.kind, recipients: ids.map(bytesToHex), ...terms, ...(link !== undefined ? { link } : {}), updated: false }
}

/**
 * Takes `id` (an account's ID, or a link's key) off a share. A folder's directory is first copied
 * under a new key to a new name, which the remaining readers of every share of that folder
 * receive and the revoked one does not: nothing written from now on opens with the key it had.
 * What it read before, it keeps.
 */
export async function revokeReader (ctx: SharerContext, shareId: AccountId, id: AccountId, options: RequestOptions = {}): Promise<RevokeResult> {
  const share = idBytes(shareId, 'a share id')
  const key = idBytes(id, 'an ID')
  const records = await ctx.log.records(options)
  await syncPayments(ctx, records, options)
  const own = await readOwnShare(ctx, share, options)
  if (!own.gate.readers.some(r => bytesEqual(r, key)) && !own.record.readers.some(r => bytesEqual(r.key, key))) {
    throw new SafeMeshError('NoSuchEntry', `${bytesToHex(key)} is not a reader of share ${bytesToHex(share)}`)
  }
  const readers = own.record.readers.filter(r => !bytesEqual(r.key, key))
  const gate: ReadGate = { ...own.gate, readers: own.gate.readers.filter(r => !bytesEqual(r, key)) }
  let target: Target | undefined
  if (own.record.kind === 'folder') {
    const root = new RootContainer(ctx.requests, ctx.keys, ctx.root)
    const info = (await root.read(options))?.containers.get(own.record.path)
    if (info === undefined) throw new SafeMeshError('NoSuchEntry', `the shared folder ${own.record.path} is no longer a container`)
    const next = await reencryptContainer(ctx.requests, ctx.keys.sign.publicKey, info, [], options)
    await root.record(next, info.version, options)
    target = { kind: 'folder', dir: { head: next.head, key: next.key as Uint8Array } }
  }
  const now = Date.now()
  const actions: KeyedEntryAction[] = [
    update(own.md, READ_GATE_KEY, encodeReadGate(gate)),
    update(own.md, OWNER_RECORD_KEY, sealOwnerRecord({ ...own.record, readers }, ctx.keys)),
    ...(own.md.entries.has(entryKeyId(key)) ? [remove(own.md, key)] : []),
    ...(target !== undefined ? envelopeActions(ctx, own.md, { ...own.record, readers }, target, gate, now) : [])
  ]
  await ctx.requests.mutateMDataEntries(addressOf(share), actions, options)
  if (target !== undefined) {
    // Every other share of the folder: its readers keep it, under the new key.
    for (const other of sharesOfPath(records, own.record.path)) {
      if (bytesEqual(other, share)) continue
      const them = await readOwnShare(ctx, other, options).catch(gone)
      if (them === undefined || them.record.kind !== 'folder') continue
      const rewrite = envelopeActions(ctx, them.md, them.record, target, them.gate, now)
      if (rewrite.length > 0) await ctx.requests.mutateMDataEntries(addressOf(other), rewrite, options)
    }
  }
  await ctx.log.append({ kind: 'revoke', share, recipients: [key] }, options)
  return { share: bytesToHex(share), path: own.record.path, kind: own.record.kind, revoked: bytesToHex(key), readers: readers.map(r => bytesToHex(r.key)), rotated: target !== undefined }
}

/** Sets when a share ends (`expires` undefined: never); its Data-Managers refuse its readers from then on. */
export async function setShareExpiry (ctx: SharerContext, shareId: AccountId, expires: number | string | undefined, options: RequestOptions = {}): Promise<ExpiryResult> {
  const share = idBytes(shareId, 'a share id')
  const now = Date.now()
  const at = expires === undefined ? undefined : typeof expires === 'number' ? future(expires, now) : parseExpiry(expires, now)
  const records = await ctx.log.records(options)
  await syncPayments(ctx, records, options)
  const own = await readOwnShare(ctx, share, options)
  const { expires: _, ...rest } = own.gate
  const gate: ReadGate = at === undefined ? rest : { ...rest, expires: at }
  await ctx.log.append({ kind: 'expiry', share, ...(at !== undefined ? { expires: at } : {}) }, options)
  await ctx.requests.mutateMDataEntries(addressOf(share), [update(own.md, READ_GATE_KEY, encodeReadGate(gate))], options)
  return { share: bytesToHex(share), ...(at !== undefined ? { expires: at } : {}) }
}

/** Cancels a link at once: off the gate, its envelope deleted (`link`: the link itself, or its key in hex). */
export async function cancelShareLink (ctx: SharerContext, shareId: AccountId, link: string | Uint8Array, options: RequestOptions = {}): Promise<CancelledLink> {
  const share = idBytes(shareId, 'a share id')
  const key = typeof link === 'string' && !/^[0-9a-fA-F]{64}$/.test(link) ? linkKeys(decodeLink(link).seed).sign.publicKey : idBytes(link, 'a link key')
  const records = await ctx.log.records(options)
  await syncPayments(ctx, records, options)
  const own = await readOwnShare(ctx, share, options)
  const reader = own.record.readers.find(r => bytesEqual(r.key, key))
  if (reader?.link !== true) throw new SafeMeshError('NoSuchEntry', `share ${bytesToHex(share)} has no link ${bytesToHex(key)}`)
  const gate: ReadGate = { ...own.gate, readers: own.gate.readers.filter(r => !bytesEqual(r, key)) }
  await ctx.requests.mutateMDataEntries(addressOf(share), [
    update(own.md, READ_GATE_KEY, encodeReadGate(gate)),
    update(own.md, OWNER_RECORD_KEY, sealOwnerRecord({ ...own.record, readers: own.record.readers.filter(r => r !== reader) }, ctx.keys)),
    ...(own.md.entries.has(entryKeyId(key)) ? [remove(own.md, key)] : [])
  ], options)
  await ctx.log.append({ kind: 'link-cancel', share, link: key }, options)
  return { share: bytesToHex(share), link: bytesToHex(key) }
}

/**
 * Appends a `payment` event for each credit received whose memo names one of this owner's shares
 * and that the log does not hold yet; returns how many. Nothing when the client cannot list credits.
 */
export async function syncPayments (ctx: SharerContext, records: readonly ShareLogRecord[], options: RequestOptions = {}): Promise<number> {
  const listCredits = ctx.requests.listCredits?.bind(ctx.requests)
  if (listCredits === undefined) return 0
  const mine = new Set(records.flatMap(r => r.event.kind === 'share' ? [bytesToHex(r.event.share)] : []))
  if (mine.size === 0) return 0
  const logged = new Set(records.flatMap(r => r.event.kind === 'payment' ? [paymentId(r.event.payer, r.event.messageId)] : []))
  let appended = 0
  for (const credit of await listCredits(options)) {
    if (credit.memo === undefined || !mine.has(bytesToHex(credit.memo))) continue
    const id = paymentId(credit.payer, credit.messageId)
    if (logged.has(id)) continue
    await ctx.log.append({ kind: 'payment', share: credit.memo, payer: credit.payer, amount: credit.amount, messageId: credit.messageId }, options)
    logged.add(id)
    appended++
  }
  return appended
}

type Target = { kind: 'folder', dir: SharedDirectory } | { kind: 'file', file: SharedFile }

/** What `path` is: a file (its current version), or a folder (made a container of its own if it is not one yet). */
async function shareTarget (ctx: SharerContext, path: string, options: RequestOptions): Promise<Target> {
  const root = new RootContainer(ctx.requests, ctx.keys, ctx.root)
  const containers = await root.read(options)
  if (containers === undefined) throw new SafeMeshError('NoSuchData', 'the account has no containers yet: log in again once it has mutations left')
  const names = [...containers.containers.keys()]
  const { container, rel } = splitContainer(path, names)
  const info = containers.containers.get(container)
  if (info === undefined) throw new SafeMeshError('NoSuchEntry', `no container ${JSON.stringify(container)}`)
  if (rel === '') {
    if (isWholeContainer(container)) throw new SafeMeshError('InvalidOperation', `share a file or folder inside ${container}, not the whole container`)
    return { kind: 'folder', dir: directoryOf(info) }
  }
  if (info.key === undefined) throw new SafeMeshError('InvalidOperation', `${container} is public: anyone can read it already`)
  const at = await new Directory(ctx.requests, info, ctx.keys.sign.publicKey).lookup(rel, options)
  const record = at?.record
  if (record?.kind === 'file' && record.file !== undefined) {
    return { kind: 'file', file: { address: record.file, ...(record.fileKey !== undefined ? { fileKey: record.fileKey } : {}), size: record.size, mediaType: record.mediaType } }
  }
  // Shared folders do not nest: a folder's readers would lose what moved into the inner one.
  const nested = names.find(n => n.startsWith(path + '/'))
  if (nested !== undefined) throw new SafeMeshError('InvalidOperation', `${nested} inside ${path} is shared on its own: shared folders do not nest`)
  if (!isWholeContainer(container)) throw new SafeMeshError('InvalidOperation', `${path} is inside the shared folder ${container}: share that folder, or a file in it`)
  // An app's own container is the app's: a folder moved out of it would vanish from the app's view.
  if (container.startsWith(ownContainerName(''))) throw new SafeMeshError('InvalidOperation', `folders of an app's own container are not shared (${container}): share its files`)
  return { kind: 'folder', dir: directoryOf(await splitFolder(ctx.requests, ctx.keys, root, info, rel, options)) }
}

function isWholeContainer (name: string): boolean {
  return DEFAULT_CONTAINERS.some(c => c.name === name) || name.startsWith(ownContainerName(''))
}

function directoryOf (info: ContainerInfo): SharedDirectory {
  if (info.key === undefined) throw new SafeMeshError('InvalidOperation', `${info.name} is public: anyone can read it already`)
  return { head: info.head, key: info.key }
}

interface OwnShare {
  md: MutableData
  gate: ReadGate
  record: OwnerRecord
}

async function readOwnShare (ctx: SharerContext, share: XorName, options: RequestOptions): Promise<OwnShare> {
  let md: MutableData
  try {
    md = await ctx.requests.getMData(addressOf(share), options)
  } catch (err) {
    if (isSafeMeshError(err) && err.code === 'NoSuchData') throw new SafeMeshError('NoSuchData', `no share ${bytesToHex(share)}`)
    throw err
  }
  if (md.owners.length !== 1 || !bytesEqual(md.owners[0] as Uint8Array, ctx.keys.sign.publicKey)) {
    throw new SafeMeshError('AccessDenied', `share ${bytesToHex(share)} is not one of this account's`)
  }
  const gate = readGateOf(md)
  const entry = md.entries.get(entryKeyId(OWNER_RECORD_KEY))
  if (gate === undefined || entry === undefined || entry.content.length === 0) throw new SafeMeshError('InvalidRequest', `share ${bytesToHex(share)} has no gate or no owner's record`)
  return { md, gate, record: openOwnerRecord(entry.content, ctx.keys) }
}

/** An existing share of `path` of the same kind whose account readers are exactly `ids` and that has no link. */
async function sameShare (ctx: SharerContext, records: readonly ShareLogRecord[], path: string, kind: Target['kind'], ids: readonly Uint8Array[], options: RequestOptions): Promise<OwnShare | undefined> {
  for (const share of sharesOfPath(records, path).reverse()) {
    const own = await readOwnShare(ctx, share, options).catch(gone)
    if (own === undefined || own.record.kind !== kind || own.record.readers.some(r => r.link === true)) continue
    const keys = own.record.readers.map(r => r.key)
    if (keys.length === ids.length && ids.every(id => keys.some(k => bytesEqual(k, id)))) return own
  }
  return undefined
}

/** The shares the log says were made of `path`, oldest first. */
function sharesOfPath (records: readonly ShareLogRecord[], path: string): XorName[] {
  const out: XorName[] = []
  for (const r of records) {
    if (r.event.kind === 'share' && r.event.path === path && !out.some(s => bytesEqual(s, (r.event as { share: XorName }).share))) out.push(r.event.share)
  }
  return out
}

/** A share that does not exist (logged, then its creation failed) or is not readable as ours: skipped. */
function gone (err: unknown): undefined {
  if (isSafeMeshError(err) && (err.code === 'NoSuchData' || err.code === 'AccessDenied' || err.code === 'InvalidRequest')) return undefined
  throw err
}

function envelopeOf (ctx: SharerContext, share: XorName, path: string, reader: ShareReader, target: Target, gate: ReadGate, now: number): ShareEnvelope {
  return {
    share,
    to: reader.key,
    kind: target.kind,
    path,
    from: ctx.keys.sign.publicKey,
    issued: now,
    ...(gate.expires !== undefined ? { expires: gate.expires } : {}),
    ...(target.kind === 'folder' ? { dir: target.dir } : { file: target.file })
  }
}

/** Updates of every reader's envelope that the share still holds (a reader whose entry is gone stays without). */
function envelopeActions (ctx: SharerContext, md: MutableData, record: OwnerRecord, target: Target, gate: ReadGate, now: number): KeyedEntryAction[] {
  return record.readers.filter(r => {
    const entry = md.entries.get(entryKeyId(r.key))
    return entry !== undefined && entry.content.length > 0
  }).map(r => update(md, r.key, sealEnvelope(envelopeOf(ctx, md.name, record.path, r, target, gate, now), ctx.keys, r.encrypt)))
}

function update (md: MutableData, key: Uint8Array, content: Uint8Array): KeyedEntryAction {
  const version = (md.entries.get(entryKeyId(key))?.version ?? -1) + 1
  return { key, action: { kind: 'Update', content, version } }
}

function remove (md: MutableData, key: Uint8Array): KeyedEntryAction {
  return { key, action: { kind: 'Delete', version: (md.entries.get(entryKeyId(key))?.version ?? 0) + 1 } }
}

function addressOf (share: XorName): { name: XorName, tag: number } {
  return { name: share, tag: SHARE_TAG }
}

function future (at: number, now: number): number {
  if (!Number.isSafeInteger(at) || at <= now) throw new SafeMeshError('InvalidRequest', 'an expiry is a moment in the future (ms since 1970)')
  return at
}

/** A 32-byte key or name from its bytes or 64 hex digits; `InvalidRequest` otherwise. */
function idBytes (id: AccountId, what: string): Uint8Array {
  if (typeof id !== 'string') {
    if (id.length !== 32) throw new SafeMeshError('InvalidRequest', `${what} is 32 bytes`)
    return id
  }
  if (!/^[0-9a-fA-F]{64}$/.test(id.trim())) throw new SafeMeshError('InvalidRequest', `${what} is 64 hexadecimal digits, not ${JSON.stringify(id)}`)
  return new Uint8Array(Buffer.from(id.trim(), 'hex'))
}

function uniqueKeys (keys: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const key of keys) if (!out.some(k => bytesEqual(k, key))) out.push(key)
  return out
}

function paymentId (payer: Uint8Array, messageId: Uint8Array): string {
  return bytesToHex(payer) + bytesToHex(messageId)
}
