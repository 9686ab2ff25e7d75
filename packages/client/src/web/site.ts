/**
 * A published site (SPEC §9): a public NFS directory of tag 15002 holding each file under its path
 * and each folder under `<path>/`, written once by `publish` and never changed after, so one Site
 * object reads one consistent version. Reads need no account.
 */
import { TYPE_TAG_WEB_SERVICE, type XorName } from '@safemesh/protocol'
import type { GetFileOptions } from '../files/get-file.js'
import type { RequestOptions } from '../requests/request-context.js'
import { Directory, type DirectoryRequests } from '../nfs/directory.js'
import type { EntryRecord } from '../nfs/entry-record.js'
import { folderKey, normalisePath } from '../nfs/paths.js'
import type { Site, SiteEntry, SiteReadOptions } from './types.js'

/** What reading a site needs of the client. */
export interface SiteRequests extends DirectoryRequests {
  getFile (address: XorName, options?: GetFileOptions): AsyncGenerator<Uint8Array, void, undefined>
}

// A reader never writes, so the directory's owner is not needed: any key would do.
const READER = new Uint8Array(32)

export class WebSite implements Site {
  readonly directory: XorName
  private readonly requests: SiteRequests
  private readonly dir: Directory

  constructor (requests: SiteRequests, directory: XorName) {
    this.requests = requests
    this.directory = directory
    this.dir = new Directory(requests, { head: directory, tag: TYPE_TAG_WEB_SERVICE }, READER)
  }

  async lookup (path: string, options: RequestOptions = {}): Promise<SiteEntry | undefined> {
    if (path.split('/').every(s => s.length === 0)) return { kind: 'folder', path: '' }
    const rel = normalisePath(path)
    const file = await this.dir.lookup(rel, options)
    if (file?.record?.kind === 'file') return siteEntry(rel, file.record)
    const folder = await this.dir.lookup(folderKey(rel), options)
    return folder?.record?.kind === 'folder' ? { kind: 'folder', path: rel } : undefined
  }

  async * read (entry: SiteEntry & { kind: 'file' }, options: SiteReadOptions = {}): AsyncGenerator<Uint8Array> {
    yield * this.requests.getFile(entry.file, {
      ...(options.range !== undefined ? { range: options.range } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {})
    })
  }

  async * list (options: RequestOptions = {}): AsyncGenerator<SiteEntry> {
    for await (const { path, record } of this.dir.entries(options)) {
      if (record.kind === 'folder') yield { kind: 'folder', path: path.replace(/\/$/, '') }
      else yield siteEntry(path, record)
    }
  }
}

function siteEntry (path: string, record: EntryRecord): SiteEntry {
  return { kind: 'file', path, size: record.size, mediaType: record.mediaType, file: record.file as XorName, modified: record.modified }
}
