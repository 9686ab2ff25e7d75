/**
 * Publishing a site (issue 16): every file is stored as a public self-encrypted file, then a NEW
 * public directory of tag 15002 (owner-only writes) is filled with their records and a folder
 * entry for each folder, and only then does the service switch to it, in one entry mutation that
 * also records the version (`services.ts`). A reader meanwhile resolves the old directory or the
 * new one, each complete; earlier directories are never touched, so their versions stay readable.
 */
import {
  SafeMeshError, TYPE_TAG_WEB_SERVICE, assertPublicId, assertServiceName, bytesEqual, mediaTypeOf, randomXorName, xorNameFromHex,
  type XorName
} from '@safemesh/protocol'
import type { ClientMode } from '../identity.js'
import type { PutFileOptions, PutFileResult } from '../files/put-file.js'
import { Directory, type DirectoryRequests, type ListedEntry } from '../nfs/directory.js'
import type { EntryRecord } from '../nfs/entry-record.js'
import { folderKey, normalisePath } from '../nfs/paths.js'
import { uploadEach } from '../files/upload-each.js'
import { publicIdAddress, switchService, type ServiceRequests } from './services.js'
import type { PublishOptions, PublishProgress, PublishResult, SiteFile } from './types.js'

export interface PublishRequests extends ServiceRequests, DirectoryRequests {
  readonly owner: Uint8Array | undefined
  readonly mode: ClientMode
  putFile (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: PutFileOptions): Promise<PutFileResult>
}

const DEFAULT_PUBLISH_CONCURRENCY = 4

export async function publishSite (requests: PublishRequests, files: readonly SiteFile[], publicId: string, service: string, options: PublishOptions): Promise<PublishResult> {
  assertPublicId(publicId)
  assertServiceName(service)
  const owner = requests.owner
  if (owner === undefined || requests.mode !== 'account') throw new SafeMeshError('AccessDenied', 'publishing a site needs the account\'s owner (log in with the secret and password)')
  const paths = sitePaths(files)
  // Before any upload: the id must exist and be this account's, or every upload is wasted.
  const shell = await requests.getMDataShell(publicIdAddress(publicId), options).catch((err: unknown) => {
    if (err instanceof SafeMeshError && err.code === 'NoSuchData') throw new SafeMeshError('NoSuchData', `no public id ${JSON.stringify(publicId)} is registered (register it first)`)
    throw err
  })
  if (!shell.owners.some(o => bytesEqual(o, owner))) throw new SafeMeshError('AccessDenied', `the public id ${JSON.stringify(publicId)} belongs to another account`)

  const stored = await uploadAll(requests, files, options)
  const now = Date.now()
  const entries: ListedEntry[] = stored.map((s, i) => ({
    path: paths[i] as string,
    record: { kind: 'file', file: s.file, size: s.size, mediaType: (files[i] as SiteFile).mediaType ?? mediaTypeOf(paths[i] as string), metadata: new Uint8Array(), created: now, modified: now, version: 1 }
  }))
  for (const folder of foldersOf(paths)) entries.push({ path: folderKey(folder), record: folderRecord(now) })

  const directory = await Directory.create(requests, { head: randomXorName(), tag: TYPE_TAG_WEB_SERVICE }, owner, [], options)
  const { conflicts } = await directory.insertMany(entries, options)
  if (conflicts.length > 0) throw new SafeMeshError('InvalidOperation', `the new site directory was written to by someone else: ${conflicts.join(', ')}`)
  const record = await switchService(requests, publicId, service, directory.ref.head, options) as PublishResult
  return { ...record, files: files.length, bytes: stored.reduce((n, s) => n + s.size, 0) }
}

/** Each file's normal path; a path given twice is `InvalidRequest`. */
function sitePaths (files: readonly SiteFile[]): string[] {
  if (files.length === 0) throw new SafeMeshError('InvalidRequest', 'a site has at least one file')
  const paths = files.map(f => normalisePath(f.path))
  const seen = new Set<string>()
  for (const path of paths) {
    if (seen.has(path)) throw new SafeMeshError('InvalidRequest', `the site has two files at ${JSON.stringify(path)}`)
    seen.add(path)
  }
  for (const folder of foldersOf(paths)) {
    if (seen.has(folder)) throw new SafeMeshError('InvalidRequest', `${JSON.stringify(folder)} is both a file and a folder`)
  }
  return paths
}

/** Every folder the paths lie in (not the root). */
function foldersOf (paths: readonly string[]): string[] {
  const folders = new Set<string>()
  for (const path of paths) {
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) folders.add(path.slice(0, slash))
  }
  return [...folders]
}

function folderRecord (now: number): EntryRecord {
  return { kind: 'folder', size: 0, created: now, modified: now, mediaType: 'inode/directory', metadata: new Uint8Array(), version: 1 }
}

/** Stores every file, `concurrency` at once; the first failure stops the rest. */
async function uploadAll (requests: PublishRequests, files: readonly SiteFile[], options: PublishOptions): Promise<Array<{ file: XorName, size: number }>> {
  const progress: PublishProgress = { files: files.length, filesDone: 0, bytes: files.reduce((n, f) => n + (f.size ?? 0), 0), bytesDone: 0 }
  const report = (): void => { options.onProgress?.({ ...progress }) }
  report()
  return await uploadEach(files, options.concurrency ?? DEFAULT_PUBLISH_CONCURRENCY, options.signal, async (file, _index, signal) => {
    let counted = 0
    const result = await requests.putFile(file.content(), {
      ...(file.size !== undefined ? { size: file.size } : {}),
      signal,
      onProgress: (p) => { progress.bytesDone += p.bytesStored - counted; counted = p.bytesStored; report() }
    })
    progress.filesDone++
    report()
    return { file: xorNameFromHex(result.address), size: result.size }
  })
}
