/**
 * The drive a person sees (SPEC §9 NFS): paths whose first segment names a container
 * (`_documents/photos/a.jpg`; an app's own container is `apps/<app id>/…`), files with metadata
 * and every earlier version, folders, moves and deletes. The owner reaches every container through
 * the root container; an app reaches those its access entry lists, with the keys it was given.
 *
 * A write reads the entry first and writes version + 1, so two writers of one path at once end
 * with one success and one conflict (`EntryExists` or `InvalidSuccessor`, nothing written). An
 * app whose container was re-encrypted meanwhile gets `AccessDenied` from the frozen directory:
 * it reads its access entry again and retries once with the new place and key.
 */
import { generateSymmetricKey } from '@safemesh/crypto'
import { SafeMeshError, isSafeMeshError, xorNameToHex, type XorName } from '@safemesh/protocol'
import { uploadEach } from '../files/upload-each.js'
import type { GetFileOptions } from '../files/get-file.js'
import type { PutFileOptions, PutFileResult } from '../files/put-file.js'
import type { PutIDataResult } from '../requests/chunk-upload.js'
import type { RequestOptions } from '../requests/request-context.js'
import type { ContainerAccess, GrantedContainer } from '../auth/access-container.js'
import { Directory, FullNodes, conflict, type DirectoryRef, type DirectoryRequests, type ListedEntry, type Located } from './directory.js'
import { openVersion, sealVersion, type EntryRecord, type FileMetadata } from './entry-record.js'
import { childOf, folderKey, normalisePath, normalisePrefix } from './paths.js'

/** What the file system needs of the client. */
export interface FileSystemRequests extends DirectoryRequests {
  putIData (value: Uint8Array, options?: RequestOptions): Promise<PutIDataResult>
  getIData (name: XorName, options?: RequestOptions): Promise<Uint8Array>
  putFile (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: PutFileOptions): Promise<PutFileResult>
  getFile (address: XorName | string, options?: GetFileOptions): AsyncGenerator<Uint8Array, void, undefined>
}

/** Where the containers of this identity are: all of the owner's, or an app's grants. */
export interface ContainerSource {
  /** The containers as they are now. */
  containers (options?: RequestOptions): Promise<GrantedContainer[]>
  /** Whether a refusal may mean a container moved (an app's, whose grants can change under it). */
  readonly mayMove: boolean
  /**
   * A container found by its name alone, outside the list (`share:<id>`, `link:<link>`: what
   * others shared), fetched afresh for each operation; undefined when `name` is not one.
   */
  mount?: (name: string, options?: RequestOptions) => Promise<Mount | undefined>
  /** The mountable containers to list beside the others (without fetching their keys). */
  mounts?: (options?: RequestOptions) => Promise<ContainerListing[]>
}

/** What a container is to the file system: an NFS directory, or a single shared file (`sharing/file-mount.ts`). */
export interface Folder {
  readonly ref: DirectoryRef
  readonly isPrivate: boolean
  readHead (options?: RequestOptions): Promise<unknown>
  lookup (path: string, options?: RequestOptions): Promise<Located | undefined>
  entries (options?: RequestOptions): AsyncGenerator<ListedEntry>
  insert (path: string, record: EntryRecord, options?: RequestOptions): Promise<void>
  insertMany (items: readonly ListedEntry[], options?: RequestOptions): Promise<{ conflicts: string[] }>
  update (path: string, at: Located, record: EntryRecord, options?: RequestOptions): Promise<void>
  remove (path: string, at: Located, options?: RequestOptions): Promise<void>
  onEntry (path: string, node: Located['node'], actions: Parameters<Directory['onEntry']>[2], options?: RequestOptions): Promise<void>
  wireKey (path: string): Uint8Array
}

/** A mounted container: a directory (as granted), or a folder of its own kind. */
export type Mount = GrantedContainer | { readonly name: string, readonly access: readonly ContainerAccess[], readonly folder: Folder }

/** A file or folder as listed. */
export interface FsEntry extends FileMetadata {
  /** The full path, container first (`_documents/notes/a.txt`). */
  path: string
  /** The file's address (hex), when it is a file. */
  address?: string
}

/** A container as this identity sees it. */
export interface ContainerListing {
  name: string
  private: boolean
  access: ContainerAccess[]
}

export interface WriteOptions extends RequestOptions {
  /** The file's size, when known (checked against the content, shown in progress). */
  size?: number
  mediaType?: string
  metadata?: Uint8Array
  onProgress?: PutFileOptions['onProgress']
}

export interface WriteManyItem {
  path: string
  size?: number
  mediaType?: string
  content: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>
}

export interface WriteManyProgress {
  files: number
  filesDone: number
  bytes: number
  bytesDone: number
}

export interface WriteManyOptions extends RequestOptions {
  /** Files uploaded at once (default 8). */
  concurrency?: number
  onProgress?: (progress: WriteManyProgress) => void
}

/** A file's content as stored, before it has an entry. */
interface StoredFile {
  file: XorName
  size: number
  fileKey?: Uint8Array
  mediaType: string
  metadata: Uint8Array
}

const DEFAULT_MEDIA_TYPE = 'application/octet-stream'
const DEFAULT_WRITE_CONCURRENCY = 8

export class FileSystem {
  private readonly requests: FileSystemRequests
  private readonly owner: Uint8Array
  private readonly source: ContainerSource
  private readonly fullNodes = new FullNodes()

  constructor (requests: FileSystemRequests, owner: Uint8Array, source: ContainerSource) {
    this.requests = requests
    this.owner = owner
    this.source = source
  }

  /** The containers this identity may use, then those others shared with it. */
  async containers (options: RequestOptions = {}): Promise<ContainerListing[]> {
    const own = (await this.source.containers(options)).map(g => ({ name: g.name, private: g.key !== undefined, access: [...g.access] }))
    return this.source.mounts === undefined ? own : [...own, ...await this.source.mounts(options)]
  }

  /** Runs `work` on the directory `path` is in; retried once on the container's new place after a refusal. */
  private async within<T> (path: string, options: RequestOptions, work: (dir: Folder, rel: string, container: string) => Promise<T>): Promise<T> {
    const first = await this.resolve(path, options)
    try {
      return await work(first.folder, first.rel, first.container)
    } catch (err) {
      if (!(this.source.mayMove && isSafeMeshError(err) && err.code === 'AccessDenied')) throw err
      const again = await this.resolve(path, options)
      if (again.container !== first.container || xorNameToHex(again.folder.ref.head) === xorNameToHex(first.folder.ref.head)) throw err
      return await work(again.folder, again.rel, again.container)
    }
  }

  /** The container `path` is in (the longest container name it starts with) and the rest of it. */
  private async resolve (path: string, options: RequestOptions): Promise<{ container: string, rel: string, folder: Folder }> {
    // Read afresh for each operation: a container re-encrypted by another session moves (`reencrypt.ts`).
    const first = path.split('/').find(s => s.length > 0)
    const mounted = first !== undefined && this.source.mount !== undefined ? await this.source.mount(first, options) : undefined
    if (mounted !== undefined) {
      const { rel } = splitContainer(path, [first as string])
      return { container: mounted.name, rel, folder: 'folder' in mounted ? mounted.folder : this.directoryOf(mounted) }
    }
    const grants = await this.source.containers(options)
    const { container, rel } = splitContainer(path, grants.map(g => g.name))
    const grant = grants.find(g => g.name === container)
    if (grant === undefined) {
      // An app is refused what it was not granted; the owner has every container there is.
      if (this.source.mayMove) throw new SafeMeshError('AccessDenied', `no access to the container ${JSON.stringify(container)}`)
      throw new SafeMeshError('NoSuchEntry', `no container ${JSON.stringify(container)}`)
    }
    return { container, rel, folder: this.directoryOf(grant) }
  }

  private directoryOf (grant: GrantedContainer): Directory {
    if (!grant.access.includes('read') && grant.key !== undefined) throw new SafeMeshError('AccessDenied', `no read access to ${JSON.stringify(grant.name)}`)
    return new Directory(this.requests, grant, this.owner, this.fullNodes)
  }

  private async containerNames (options: RequestOptions): Promise<string[]> {
    return (await this.source.containers(options)).map(g => g.name)
  }

  /** A file or folder (`NoSuchEntry` when there is none). */
  async stat (path: string, options: RequestOptions = {}): Promise<FsEntry> {
    return await this.within(path, options, async (dir, rel, container) => {
      if (rel === '') {
        await dir.readHead(options)
        return { ...impliedFolder(container, ''), path: container }
      }
      const at = await dir.lookup(rel, options)
      if (at?.record !== undefined) return entryOf(container, rel, at.record)
      const folder = await dir.lookup(folderKey(rel), options)
      if (folder?.record !== undefined) return entryOf(container, rel, folder.record)
      for await (const entry of dir.entries(options)) {
        if (entry.path.startsWith(rel + '/')) return impliedFolder(container, rel)
      }
      throw new SafeMeshError('NoSuchEntry', `no file or folder ${JSON.stringify(`${container}/${rel}`)}`)
    })
  }

  /**
   * What is in a folder (a container's top with just its name): files and folders one level down,
   * or with `recursive` every file and folder below, sorted by path. A file lists as itself;
   * `NoSuchEntry` when there is nothing at `path`.
   */
  async * list (path: string, options: RequestOptions & { recursive?: boolean } = {}): AsyncGenerator<FsEntry> {
    const listed = await this.within(path, options, async (dir, rel, container) => {
      const out = new Map<string, FsEntry>()
      // What `path` itself is: a file lists as itself, an empty folder as nothing, nothing is NoSuchEntry.
      let itself: FsEntry | undefined
      for await (const entry of dir.entries(options)) {
        const folder = entry.path.endsWith('/')
        const key = folder ? entry.path.slice(0, -1) : entry.path
        if (key === rel) itself = entryOf(container, key, entry.record)
        if (options.recursive === true) {
          if (rel !== '' && !key.startsWith(rel + '/')) continue
          out.set(key, entryOf(container, key, entry.record))
          for (let parent = parentOf(key); parent !== undefined && parent.length > rel.length; parent = parentOf(parent)) {
            if (!out.has(parent)) out.set(parent, impliedFolder(container, parent))
          }
          continue
        }
        const child = childOf(rel, key)
        if (child === undefined) continue
        const childPath = rel === '' ? child.name : `${rel}/${child.name}`
        // A folder's own entry describes it; files inside a folder only imply it.
        if (!child.folder) out.set(childPath, entryOf(container, childPath, entry.record))
        else if (!out.has(childPath)) out.set(childPath, impliedFolder(container, childPath))
      }
      if (out.size === 0 && rel !== '') {
        if (itself === undefined) throw new SafeMeshError('NoSuchEntry', `no file or folder ${JSON.stringify(path)}`)
        return itself.kind === 'file' ? [itself] : []
      }
      return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    })
    for (const entry of listed) yield entry
  }

  /** Writes a file: a new one, or a new version of one (the previous stays readable: `history`). */
  async write (path: string, content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: WriteOptions = {}): Promise<FsEntry> {
    return await this.within(path, options, async (dir, where, container) => {
      const rel = normalisePath(where)
      const at = notAFolder(await dir.lookup(rel, options), path)
      const record = await this.commit(dir, rel, at, await this.store(dir, content, options), options)
      return entryOf(container, rel, record)
    })
  }

  /** Records `stored` as the next version of `rel` (found as `at`): an insert when new, else an update. */
  private async commit (dir: Folder, rel: string, at: Located | undefined, stored: StoredFile, options: RequestOptions): Promise<EntryRecord> {
    const record = await this.nextRecord(dir, at, stored, options)
    if (at === undefined) await dir.insert(rel, record, options)
    else await dir.update(rel, at, record, options)
    return record
  }

  private async store (dir: Folder, content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: WriteOptions): Promise<StoredFile> {
    const fileKey = dir.isPrivate ? generateSymmetricKey() : undefined
    const stored = await this.requests.putFile(content, {
      ...(options.size !== undefined ? { size: options.size } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      ...(fileKey !== undefined ? { topKey: fileKey } : {})
    })
    return {
      file: hexToName(stored.address),
      size: stored.size,
      ...(fileKey !== undefined ? { fileKey } : {}),
      mediaType: options.mediaType ?? DEFAULT_MEDIA_TYPE,
      metadata: options.metadata ?? new Uint8Array()
    }
  }

  /** The record of a new version: the one found becomes its `previous` (stored as ImmutableData). */
  private async nextRecord (dir: Folder, at: Located | undefined, stored: StoredFile, options: RequestOptions): Promise<EntryRecord> {
    const now = Date.now()
    const current = at?.record
    const record: EntryRecord = { kind: 'file', ...stored, created: current?.created ?? now, modified: now, version: (current?.version ?? 0) + 1 }
    if (current !== undefined) {
      const sealed = sealVersion(current, dir.isPrivate)
      const { name } = await this.requests.putIData(sealed.value, options)
      record.previous = { address: name, ...(sealed.key !== undefined ? { key: sealed.key } : {}) }
    }
    return record
  }

  /**
   * Writes many files into one container (`fs put -r`): uploads run `concurrency` at once, new
   * entries go in batches (a few requests for hundreds of files), paths that exist get a new
   * version one by one. A path changed by someone else meanwhile is reported, not overwritten.
   */
  async writeMany (items: readonly WriteManyItem[], options: WriteManyOptions = {}): Promise<{ written: FsEntry[], conflicts: string[] }> {
    if (items.length === 0) return { written: [], conflicts: [] }
    const names = await this.containerNames(options)
    const split = items.map(i => splitContainer(i.path, names))
    if (new Set(split.map(s => s.container)).size !== 1) throw new SafeMeshError('InvalidRequest', 'writeMany writes into one container at a time')
    return await this.within(items[0]?.path as string, options, async (dir, _rel, container) => {
      const progress: WriteManyProgress = { files: items.length, filesDone: 0, bytes: items.reduce((n, i) => n + (i.size ?? 0), 0), bytesDone: 0 }
      const report = (): void => { options.onProgress?.({ ...progress }) }
      const stored = await uploadEach(items, options.concurrency ?? DEFAULT_WRITE_CONCURRENCY, options.signal, async (item, index, signal) => {
        let counted = 0
        const result = await this.store(dir, item.content(), {
          ...(item.size !== undefined ? { size: item.size } : {}),
          ...(item.mediaType !== undefined ? { mediaType: item.mediaType } : {}),
          signal,
          onProgress: (p) => { progress.bytesDone += p.bytesStored - counted; counted = p.bytesStored; report() }
        })
        return { rel: normalisePath((split[index] as { rel: string }).rel), result }
      })
      const now = Date.now()
      const fresh = stored.map(({ rel, result }) => ({ path: rel, record: { kind: 'file' as const, ...result, created: now, modified: now, version: 1 } }))
      const { conflicts: existing } = await dir.insertMany(fresh, options)
      const existingSet = new Set(existing)
      const written: FsEntry[] = []
      const conflicts: string[] = []
      for (const item of fresh) {
        if (!existingSet.has(item.path)) {
          written.push(entryOf(container, item.path, item.record))
        } else {
          try {
            const at = notAFolder(await dir.lookup(item.path, options), item.path)
            const record = await this.commit(dir, item.path, at, storedOf(item.record), options)
            written.push(entryOf(container, item.path, record))
          } catch (err) {
            if (!(isSafeMeshError(err) && (err.code === 'EntryExists' || err.code === 'InvalidSuccessor'))) throw err
            conflicts.push(`${container}/${item.path}`)
          }
        }
        progress.filesDone++
        report()
      }
      return { written, conflicts }
    })
  }

  /** A file's content: the current version, or `version` N (1 is the first). */
  async * read (path: string, options: GetFileOptions & { version?: number } = {}): AsyncGenerator<Uint8Array, void, undefined> {
    const record = await this.recordOf(path, options.version, options)
    const { version: _, ...fileOptions } = options
    yield * this.requests.getFile(record.file as XorName, { ...fileOptions, ...(record.fileKey !== undefined ? { topKey: record.fileKey } : {}) })
  }

  private async recordOf (path: string, version: number | undefined, options: RequestOptions): Promise<EntryRecord> {
    const versions = await this.versions(path, options, version)
    const record = version === undefined ? versions[0] : versions.find(v => v.version === version)
    if (record === undefined) throw new SafeMeshError('NoSuchEntry', `${JSON.stringify(path)} has no version ${String(version)}`)
    return record
  }

  /** Every version of a file, newest first (`fs history`). */
  async history (path: string, options: RequestOptions = {}): Promise<FsEntry[]> {
    return await this.within(path, options, async (dir, rel, container) => (await this.versionsIn(dir, rel, path, options)).map(r => entryOf(container, rel, r)))
  }

  private async versions (path: string, options: RequestOptions, stopAt?: number): Promise<EntryRecord[]> {
    return await this.within(path, options, async (dir, where) => await this.versionsIn(dir, where, path, options, stopAt))
  }

  private async versionsIn (dir: Folder, where: string, path: string, options: RequestOptions, stopAt?: number): Promise<EntryRecord[]> {
    const at = await dir.lookup(normalisePath(where), options)
    if (at?.record?.kind !== 'file') throw new SafeMeshError('NoSuchEntry', `no file ${JSON.stringify(path)}`)
    const out: EntryRecord[] = [at.record]
    const wanted = stopAt ?? 0
    let link = at.record.previous
    while (link !== undefined && (out.at(-1)?.version ?? 0) > wanted) {
      const record = openVersion(await this.requests.getIData(link.address, options), link.key)
      out.push(record)
      link = record.previous
    }
    return out
  }

  /** Deletes a file, or with `recursive` a folder and everything in it. */
  async remove (path: string, options: RequestOptions & { recursive?: boolean } = {}): Promise<string[]> {
    return await this.within(path, options, async (dir, where, container) => {
      const rel = normalisePath(where)
      const at = await dir.lookup(rel, options)
      if (at?.record !== undefined) {
        await dir.remove(rel, at, options)
        return [`${container}/${rel}`]
      }
      const inside: string[] = []
      for await (const entry of dir.entries(options)) if (entry.path.startsWith(rel + '/')) inside.push(entry.path)
      if (inside.length === 0) throw new SafeMeshError('NoSuchEntry', `no file or folder ${JSON.stringify(path)}`)
      if (options.recursive !== true && inside.some(k => k !== folderKey(rel))) throw new SafeMeshError('InvalidOperation', `${JSON.stringify(path)} is a folder: remove it with recursive`)
      const removed: string[] = []
      for (const key of inside.sort().reverse()) {
        const found = await dir.lookup(key, options)
        if (found?.record === undefined) continue
        await dir.remove(key, found, options)
        removed.push(`${container}/${key.endsWith('/') ? key.slice(0, -1) : key}`)
      }
      return removed
    })
  }

  /**
   * Moves a file (its history with it) within its container: the new path is written, then the
   * old one deleted; a conflict on the delete leaves both and is reported.
   */
  async move (from: string, to: string, options: RequestOptions = {}): Promise<FsEntry> {
    const target = splitContainer(to, await this.containerNames(options))
    return await this.within(from, options, async (dir, where, container) => {
      const rel = normalisePath(where)
      const targetRel = normalisePath(target.rel)
      if (target.container !== container) throw new SafeMeshError('InvalidOperation', 'a move stays within its container')
      const at = await dir.lookup(rel, options)
      if (at?.record?.kind !== 'file') throw new SafeMeshError('NoSuchEntry', `no file ${JSON.stringify(from)}`)
      const there = await dir.lookup(targetRel, options)
      if (there?.record !== undefined) throw new SafeMeshError('EntryExists', `${JSON.stringify(to)} exists`)
      const record: EntryRecord = { ...at.record, modified: Date.now() }
      const remove = { key: dir.wireKey(rel), action: { kind: 'Delete' as const, version: at.version + 1 } }
      if (there === undefined) {
        await dir.insert(targetRel, record, options)
      } else {
        await dir.update(targetRel, there, record, options)
      }
      await dir.onEntry(from, at.node, [remove], options)
      return entryOf(container, targetRel, record)
    })
  }

  /** Makes an empty folder (`EntryExists` when it exists). */
  async mkdir (path: string, options: RequestOptions = {}): Promise<FsEntry> {
    return await this.within(path, options, async (dir, where, container) => {
      const rel = normalisePath(where)
      const now = Date.now()
      const record: EntryRecord = { kind: 'folder', size: 0, created: now, modified: now, mediaType: 'inode/directory', metadata: new Uint8Array(), version: 1 }
      const key = folderKey(rel)
      const at = await dir.lookup(key, options)
      if (at?.record !== undefined) throw conflict(`${container}/${rel}`, 'EntryExists', at.version)
      if (at === undefined) await dir.insert(key, record, options)
      else await dir.update(key, at, record, options)
      return entryOf(container, rel, record)
    })
  }
}

/** `at`, unless it is a folder: a file cannot be written over one. */
function notAFolder (at: Located | undefined, path: string): Located | undefined {
  if (at?.record?.kind === 'folder') throw new SafeMeshError('InvalidOperation', `${JSON.stringify(path)} is a folder`)
  return at
}

function storedOf (record: EntryRecord): StoredFile {
  return { file: record.file as XorName, size: record.size, ...(record.fileKey !== undefined ? { fileKey: record.fileKey } : {}), mediaType: record.mediaType, metadata: record.metadata }
}

/**
 * The container a path is in and the path inside it: the longest of `names` whose segments begin
 * the path (a shared folder is a container of its own, `_documents/records`, inside `_documents`),
 * else `apps/<id>` or the first segment (a container that does not exist, for the error).
 */
export function splitContainer (path: string, names: readonly string[]): { container: string, rel: string } {
  const segments = path.split('/').filter(s => s.length > 0)
  let take = 0
  for (const name of names) {
    const own = name.split('/')
    if (own.length > take && own.length <= segments.length && own.every((s, i) => segments[i] === s)) take = own.length
  }
  if (take === 0) take = segments[0] === 'apps' ? 2 : 1
  if (segments.length < take) throw new SafeMeshError('InvalidRequest', `a path starts with its container: ${JSON.stringify(path)}`)
  const container = segments.slice(0, take).join('/')
  const rest = segments.slice(take).join('/')
  return { container, rel: normalisePrefix(rest) }
}

function parentOf (path: string): string | undefined {
  const slash = path.lastIndexOf('/')
  return slash === -1 ? undefined : path.slice(0, slash)
}

function entryOf (container: string, rel: string, record: EntryRecord): FsEntry {
  return {
    path: rel === '' ? container : `${container}/${rel.endsWith('/') ? rel.slice(0, -1) : rel}`,
    kind: record.kind,
    size: record.size,
    created: record.created,
    modified: record.modified,
    mediaType: record.mediaType,
    metadata: record.metadata,
    version: record.version,
    ...(record.file !== undefined ? { address: xorNameToHex(record.file) } : {})
  }
}

function impliedFolder (container: string, rel: string): FsEntry {
  return { path: `${container}/${rel}`, kind: 'folder', size: 0, created: 0, modified: 0, mediaType: 'inode/directory', metadata: new Uint8Array(), version: 0 }
}

function hexToName (hex: string): XorName {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}
