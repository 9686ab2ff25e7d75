/**
 * An NFS directory on the network (SPEC §9): a tree of MutableData of tag 15000 (`buckets.ts`)
 * whose entries map a path to an entry record (`entry-record.ts`). A private directory seals keys
 * deterministically and values with a fresh nonce under the directory key (`PrivateEntries`), so a
 * Data-Manager sees sizes and counts, never a name or a record.
 *
 * Writes are optimistic: a writer reads an entry's version, then inserts or updates with
 * version + 1. A concurrent writer of the same path makes the slower one fail with a conflict
 * (`EntryExists` or `InvalidSuccessor`, nothing written); writers of different paths never meet.
 */
import {
  SafeMeshError, TYPE_TAG_NFS_DIRECTORY, isSafeMeshError, newMutableData, sha3_256,
  type KeyedEntryAction, type MutableData, type MutableDataEntry, type MutableDataValue, type NetworkParams,
  type PermissionSet, type User, type XorName
} from '@safemesh/protocol'
import { PRIVATE_MARKER_KEY, PrivateEntries, isPrivateMarker } from '../mdata/private-entries.js'
import type { RequestOptions } from '../requests/request-context.js'
import type { MDataAddress } from '../client.js'
import { BUCKET_FANOUT, MAX_BUCKET_DEPTH, bucketName, bucketPath, grantsBeyond, mayHaveChildren } from './buckets.js'
import { decodeEntryRecord, encodeEntryRecord, type EntryRecord } from './entry-record.js'

/** Where a directory is and what opens it (no key: a public directory, entries in the clear). */
export interface DirectoryRef {
  readonly head: XorName
  readonly key?: Uint8Array
  /** The type tag of every node (default {@link TYPE_TAG_NFS_DIRECTORY}; a web site's is 15002). */
  readonly tag?: number
}

/** The requests a directory needs (a SafeMeshClient that can write). */
export interface DirectoryRequests {
  readonly params: NetworkParams
  getMData (md: MDataAddress, options?: RequestOptions): Promise<MutableData>
  getMDataShell (md: MDataAddress, options?: RequestOptions): Promise<MutableData>
  getMDataValue (md: MDataAddress, key: Uint8Array, options?: RequestOptions): Promise<MutableDataValue>
  mutateMDataEntries (md: MDataAddress, actions: KeyedEntryAction[], options?: RequestOptions): Promise<void>
  putMData (data: MutableData, options?: RequestOptions): Promise<void>
  setMDataUserPermissions (md: MDataAddress, change: { user: User, permissions: PermissionSet, version: number }, options?: RequestOptions): Promise<void>
  delMDataUserPermissions (md: MDataAddress, change: { user: User, version: number }, options?: RequestOptions): Promise<void>
}

/** An entry as found: where it is, its entry version, and its record (undefined: deleted). */
export interface Located {
  readonly node: MDataAddress
  readonly version: number
  readonly record?: EntryRecord
}

export interface ListedEntry {
  readonly path: string
  readonly record: EntryRecord
}

/** How many entries one MutateMDataEntries carries when many are placed at once. */
const BATCH_ENTRIES = 250

export class Directory {
  readonly ref: DirectoryRef
  private readonly requests: DirectoryRequests
  private readonly owner: Uint8Array
  private readonly cipher?: PrivateEntries

  /** Nodes a one-entry insert found at the entry limit, shared by a session's directories (see `place`). */
  private readonly fullNodes: FullNodes

  constructor (requests: DirectoryRequests, ref: DirectoryRef, owner: Uint8Array, fullNodes: FullNodes = new FullNodes()) {
    this.requests = requests
    this.ref = ref
    this.owner = owner
    this.fullNodes = fullNodes
    if (ref.key !== undefined) this.cipher = new PrivateEntries(ref.key)
  }

  get isPrivate (): boolean {
    return this.cipher !== undefined
  }

  get head (): MDataAddress {
    return { name: this.ref.head, tag: this.tag }
  }

  private get tag (): number {
    return this.ref.tag ?? TYPE_TAG_NFS_DIRECTORY
  }

  /** Stores a new directory's head (`DataExists` when there is one). */
  static async create (requests: DirectoryRequests, ref: DirectoryRef, owner: Uint8Array, permissions: ReadonlyArray<{ user: User, permissions: PermissionSet }>, options: RequestOptions = {}): Promise<Directory> {
    const dir = new Directory(requests, ref, owner)
    await requests.putMData(dir.newNode(ref.head, [], permissions), options)
    return dir
  }

  private newNode (name: XorName, entries: MutableDataEntry[], permissions: ReadonlyArray<{ user: User, permissions: PermissionSet }>): MutableData {
    const all = this.cipher === undefined ? entries : [...entries, { ...this.cipher.marker(), version: 0 }]
    return newMutableData({ name, tag: this.tag, owners: [this.owner], entries: all, permissions })
  }

  wireKey (path: string): Uint8Array {
    const plain = new TextEncoder().encode(path)
    return this.cipher === undefined ? plain : this.cipher.encryptKey(plain)
  }

  /** A record as the value of `wireKey` at entry version `version` (bound to both when private). */
  private sealRecord (record: EntryRecord, wireKey: Uint8Array, version: number): Uint8Array {
    const encoded = encodeEntryRecord(record)
    return this.cipher === undefined ? encoded : this.cipher.encryptValue(encoded, wireKey, version)
  }

  private openRecord (content: Uint8Array, wireKey: Uint8Array, version: number): EntryRecord | undefined {
    if (content.length === 0) return undefined
    return decodeEntryRecord(this.cipher === undefined ? content : this.cipher.decryptValue(content, wireKey, version))
  }

  private nodeAt (path: readonly number[]): MDataAddress {
    return { name: bucketName(this.ref.head, path), tag: this.tag }
  }

  /** The head, checked to be this directory's: `AccessDenied` when its key does not open it. */
  async readHead (options: RequestOptions = {}): Promise<MutableData> {
    const head = await this.requests.getMData(this.head, options)
    this.checkNode(head, true)
    return head
  }

  /** Whether a node belongs to this directory: sealed under its key (a private one), else throws or false. */
  private checkNode (node: MutableData, isHead: boolean): boolean {
    if (this.cipher === undefined) return true
    const marker = [...node.entries.values()].find(e => isPrivateMarker(e.key))
    try {
      if (marker === undefined) throw new SafeMeshError('AccessDenied', 'this directory is not private, or not one')
      this.cipher.checkMarker(marker.content)
      return true
    } catch (err) {
      if (isHead) throw err
      return false
    }
  }

  /** Finds `path`'s entry; undefined when it never existed. */
  async lookup (path: string, options: RequestOptions = {}): Promise<Located | undefined> {
    const key = this.wireKey(path)
    for (let depth = 0; depth <= MAX_BUCKET_DEPTH; depth++) {
      const node = this.nodeAt(bucketPath(key, depth))
      let value: MutableDataValue
      try {
        value = await this.requests.getMDataValue(node, key, options)
      } catch (err) {
        if (isSafeMeshError(err) && err.code === 'NoSuchEntry') continue
        if (isSafeMeshError(err) && err.code === 'NoSuchData' && depth > 0) return undefined
        throw err
      }
      if (depth > 0 && !await this.trusted(node, options)) return undefined
      return { node, version: value.version, record: this.openRecordOf(path, key, value) }
    }
    return undefined
  }

  private openRecordOf (path: string, wireKey: Uint8Array, value: MutableDataValue): EntryRecord | undefined {
    try {
      return this.openRecord(value.content, wireKey, value.version)
    } catch {
      throw new SafeMeshError('InvalidRequest', `the entry of ${JSON.stringify(path)} cannot be read`)
    }
  }

  /**
   * A child node counts only when it is sealed under this directory's key and grants nobody more
   * than the head does (`grantsBeyond`): read as shells and the marker, not whole.
   */
  private async trusted (node: MDataAddress, options: RequestOptions): Promise<boolean> {
    const [shell, head] = await Promise.all([this.requests.getMDataShell(node, options), this.requests.getMDataShell(this.head, options)])
    if (grantsBeyond(shell, head)) return false
    if (this.cipher === undefined) return true
    try {
      this.cipher.checkMarker((await this.requests.getMDataValue(node, PRIVATE_MARKER_KEY, options)).content)
      return true
    } catch (err) {
      if (isSafeMeshError(err) && (err.code === 'AccessDenied' || err.code === 'NoSuchEntry')) return false
      throw err
    }
  }

  /** Inserts a new entry where its key belongs; a conflict (`EntryExists`) when it is there already. */
  async insert (path: string, record: EntryRecord, options: RequestOptions = {}): Promise<void> {
    const { conflicts } = await this.insertMany([{ path, record }], options)
    if (conflicts.length > 0) throw conflict(path, 'EntryExists')
  }

  /**
   * Places new entries, many per request; returns the paths that exist already (untouched). Each
   * node is filled in batches; an entry goes a level down only once a one-entry insert failed there.
   */
  async insertMany (items: readonly ListedEntry[], options: RequestOptions = {}): Promise<{ conflicts: string[] }> {
    const conflicts: string[] = []
    const sealed = items.map(i => {
      const key = this.wireKey(i.path)
      return { path: i.path, key, content: this.sealRecord(i.record, key, 0) }
    })
    await this.place([], sealed, conflicts, options)
    return { conflicts }
  }

  private async place (path: number[], items: SealedItem[], conflicts: string[], options: RequestOptions): Promise<void> {
    if (items.length === 0) return
    if (path.length > MAX_BUCKET_DEPTH) throw new SafeMeshError('TooManyEntries', 'this directory is full')
    const node = this.nodeAt(path)
    // A node at its entry limit stays there (tombstones count), so going straight down is the rule's own outcome,
    // without one more refused insert: refusals are budgeted per account (docs/protocol.md).
    let full = this.fullNodes.has(node.name)
    const overflow: SealedItem[] = []
    const put = async (batch: SealedItem[]): Promise<void> => {
      if (batch.length === 0) return
      if (full) { overflow.push(...batch); return }
      try {
        await this.insertAt(node, path, batch, options)
      } catch (err) {
        if (!isSafeMeshError(err)) throw err
        if (err.code === 'TooManyEntries' || err.code === 'DataTooLarge') {
          if (batch.length === 1) {
            full = true
            if (err.code === 'TooManyEntries') this.fullNodes.add(node.name)
            overflow.push(...batch)
            return
          }
          const half = Math.ceil(batch.length / 2)
          await put(batch.slice(0, half))
          await put(batch.slice(half))
          return
        }
        const existing = existingKeys(err)
        if (existing === undefined) throw err
        conflicts.push(...batch.filter(i => existing.has(hex(i.key))).map(i => i.path))
        await put(batch.filter(i => !existing.has(hex(i.key))))
      }
    }
    for (let i = 0; i < items.length; i += BATCH_ENTRIES) await put(items.slice(i, i + BATCH_ENTRIES))
    const children = new Map<number, SealedItem[]>()
    for (const item of overflow) {
      const nibble = bucketPath(item.key, path.length + 1)[path.length] as number
      children.set(nibble, [...children.get(nibble) ?? [], item])
    }
    for (const [nibble, group] of children) await this.place([...path, nibble], group, conflicts, options)
  }

  /** Inserts at one node, creating it (with the head's permissions) when it is a child not made yet. */
  private async insertAt (node: MDataAddress, path: readonly number[], batch: SealedItem[], options: RequestOptions): Promise<void> {
    const actions: KeyedEntryAction[] = batch.map(i => ({ key: i.key, action: { kind: 'Insert', content: i.content } }))
    try {
      await this.requests.mutateMDataEntries(node, actions, options)
      return
    } catch (err) {
      if (!(isSafeMeshError(err) && err.code === 'NoSuchData' && path.length > 0)) throw err
    }
    const head = await this.requests.getMDataShell(this.head, options)
    const child = this.newNode(node.name, batch.map(i => ({ key: i.key, content: i.content, version: 0 })), [...head.permissions.values()])
    try {
      await this.requests.putMData(child, options)
    } catch (err) {
      if (!(isSafeMeshError(err) && err.code === 'DataExists')) throw err
      // Someone else made the node first: insert into theirs.
      await this.requests.mutateMDataEntries(node, actions, options)
    }
  }

  /** Replaces a found entry (deleted or not) with `record`: a conflict when it changed since. */
  async update (path: string, at: Located, record: EntryRecord, options: RequestOptions = {}): Promise<void> {
    const key = this.wireKey(path)
    await this.onEntry(path, at.node, [{ key, action: { kind: 'Update', content: this.sealRecord(record, key, at.version + 1), version: at.version + 1 } }], options)
  }

  /** Deletes a found entry (a tombstone): a conflict when it changed since. */
  async remove (path: string, at: Located, options: RequestOptions = {}): Promise<void> {
    await this.onEntry(path, at.node, [{ key: this.wireKey(path), action: { kind: 'Delete', version: at.version + 1 } }], options)
  }

  /** Entry actions on one node, all or nothing; per-key refusals become conflicts on `path`. */
  async onEntry (path: string, node: MDataAddress, actions: KeyedEntryAction[], options: RequestOptions = {}): Promise<void> {
    try {
      await this.requests.mutateMDataEntries(node, actions, options)
    } catch (err) {
      throw asConflict(err, path)
    }
  }

  /** Every live entry of the directory (the whole tree), in no particular order. */
  async * entries (options: RequestOptions = {}): AsyncGenerator<ListedEntry> {
    const seen = new Set<string>()
    for await (const node of this.nodes(options)) {
      for (const entry of this.plainEntries(node)) {
        // A key found higher up wins (a directory never holds a key twice; see buckets.ts).
        if (seen.has(entry.path)) continue
        seen.add(entry.path)
        if (entry.record !== undefined) yield { path: entry.path, record: entry.record }
      }
    }
  }

  /** Every node of the tree, head first then breadth first; children granting beyond the head are skipped. */
  async * nodes (options: RequestOptions = {}): AsyncGenerator<MutableData & { depthPath: number[] }> {
    const head = await this.readHead(options)
    let level: Array<MutableData & { depthPath: number[] }> = [{ ...head, depthPath: [] }]
    while (level.length > 0) {
      const next: Array<MutableData & { depthPath: number[] }> = []
      for (const node of level) {
        yield node
        if (node.depthPath.length >= MAX_BUCKET_DEPTH || !mayHaveChildren(node, this.requests.params)) continue
        const children = await Promise.all(Array.from({ length: BUCKET_FANOUT }, async (_, nibble) => {
          const path = [...node.depthPath, nibble]
          try {
            const child = await this.requests.getMData(this.nodeAt(path), options)
            return this.checkNode(child, false) && !grantsBeyond(child, head) ? { ...child, depthPath: path } : undefined
          } catch (err) {
            if (isSafeMeshError(err) && err.code === 'NoSuchData') return undefined
            throw err
          }
        }))
        for (const child of children) if (child !== undefined) next.push(child)
      }
      level = next
    }
  }

  /** A node's entries in the clear; entries that do not open (garbled by someone with insert rights) are skipped. */
  private plainEntries (node: MutableData): Array<{ path: string, record?: EntryRecord }> {
    const out: Array<{ path: string, record?: EntryRecord }> = []
    // PrivateEntries opens keys and values alike; a public node's entries are plain already.
    const entries = this.cipher === undefined ? [...node.entries.values()] : this.cipher.decryptEntries([...node.entries.values()])
    const decoder = new TextDecoder('utf-8', { fatal: true })
    for (const entry of entries) {
      try {
        out.push({ path: decoder.decode(entry.key), ...(entry.content.length > 0 ? { record: decodeEntryRecord(entry.content) } : {}) })
      } catch {}
    }
    return out
  }

  /** Sets (or, with undefined, removes) a user's permissions on every node: removals bottom-up, grants top-down. */
  async setPermissions (user: User, permissions: PermissionSet | undefined, options: RequestOptions = {}): Promise<void> {
    const nodes: MutableData[] = []
    for await (const node of this.nodes(options)) nodes.push(node)
    if (permissions === undefined) nodes.reverse()
    for (const node of nodes) await this.setOn(node, user, permissions, options)
  }

  private async setOn (node: MutableData, user: User, permissions: PermissionSet | undefined, options: RequestOptions): Promise<void> {
    const address = { name: node.name, tag: node.tag }
    let version = node.version
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        if (permissions === undefined) await this.requests.delMDataUserPermissions(address, { user, version: version + 1 }, options)
        else await this.requests.setMDataUserPermissions(address, { user, permissions, version: version + 1 }, options)
        return
      } catch (err) {
        if (isSafeMeshError(err) && err.code === 'NoSuchKey' && permissions === undefined) return
        if (!(isSafeMeshError(err) && err.code === 'InvalidSuccessor')) throw err
        version = (await this.requests.getMDataShell(address, options)).version
      }
    }
    throw new SafeMeshError('InvalidSuccessor', 'the directory\'s permissions kept changing; try again')
  }
}

interface SealedItem {
  path: string
  key: Uint8Array
  content: Uint8Array
}

function hex (key: Uint8Array): string {
  return Buffer.from(key).toString('hex')
}

/** The keys an `InvalidEntryActions` refused as existing; undefined when it refused anything else. */
function existingKeys (err: SafeMeshError): Set<string> | undefined {
  if (err.code !== 'InvalidEntryActions' || err.details === undefined || !('errors' in err.details)) return undefined
  const keys = new Set<string>()
  for (const { key, error } of err.details.errors) {
    if (error.code !== 'EntryExists') return undefined
    keys.add(hex(key))
  }
  return keys
}

/** A per-key refusal of an entry batch as a conflict on `path` (the SPEC code, a message people read). */
function asConflict (err: unknown, path: string): unknown {
  if (!isSafeMeshError(err) || err.code !== 'InvalidEntryActions' || err.details === undefined || !('errors' in err.details)) return err
  const first = err.details.errors[0]?.error
  if (first === undefined) return err
  const code = first.code === 'NoSuchEntry' ? 'NoSuchEntry' : first.code
  return conflict(path, code, first.version)
}

export function conflict (path: string, code: 'EntryExists' | 'InvalidSuccessor' | 'NoSuchEntry', version?: number): SafeMeshError {
  const message = `conflict: ${JSON.stringify(path)} was changed by another writer meanwhile; nothing was written`
  if (code === 'InvalidSuccessor') return new SafeMeshError(code, message, { current: version ?? 0 })
  if (code === 'EntryExists') return new SafeMeshError(code, message, { version: version ?? 0 })
  return new SafeMeshError(code, message)
}

/** A directory's head name for a container made by account creation: fixed by the root, so a retry finds it. */
export function derivedName (root: XorName, label: string): XorName {
  const text = new TextEncoder().encode(`safemesh/container/v1/${label}`)
  const input = new Uint8Array(root.length + text.length)
  input.set(root)
  input.set(text, root.length)
  return sha3_256(input)
}

/** Names of directory nodes known to be at the entry limit; a bounded set, the oldest forgotten first. */
export class FullNodes {
  private readonly names = new Set<string>()

  has (name: Uint8Array): boolean {
    return this.names.has(hex(name))
  }

  add (name: Uint8Array): void {
    this.names.add(hex(name))
    if (this.names.size > MAX_FULL_NODES) this.names.delete(this.names.values().next().value as string)
  }
}

const MAX_FULL_NODES = 10_000
