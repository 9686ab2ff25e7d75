/**
 * A shared file as a container of one file: `share:<id>/<its name>` (and `share:<id>` itself) is
 * the version the envelope carries. Read only: a write is `AccessDenied`, as the network would say.
 */
import { SafeMeshError, TYPE_TAG_SHARE_ENVELOPE, type XorName } from '@safemesh/protocol'
import type { RequestOptions } from '../requests/request-context.js'
import type { DirectoryRef, ListedEntry, Located } from '../nfs/directory.js'
import type { EntryRecord } from '../nfs/entry-record.js'
import type { Folder } from '../nfs/file-system.js'
import type { SharedFile } from './envelope.js'

export class FileMount implements Folder {
  readonly ref: DirectoryRef
  readonly isPrivate = true
  private readonly name: string
  private readonly record: EntryRecord

  /** `share` names the envelope; `path` is the shared file's path at the sharer's (its last segment names it here). */
  constructor (share: XorName, path: string, file: SharedFile, issued: number) {
    this.ref = { head: share }
    this.name = path.split('/').filter(s => s.length > 0).at(-1) ?? 'file'
    this.record = {
      kind: 'file',
      file: file.address,
      ...(file.fileKey !== undefined ? { fileKey: file.fileKey } : {}),
      size: file.size,
      mediaType: file.mediaType,
      metadata: new Uint8Array(),
      created: issued,
      modified: issued,
      version: 1
    }
  }

  async readHead (): Promise<void> {}

  async lookup (path: string): Promise<Located | undefined> {
    if (path !== this.name) return undefined
    return { node: { name: this.ref.head, tag: TYPE_TAG_SHARE_ENVELOPE }, version: 0, record: this.record }
  }

  async * entries (): AsyncGenerator<ListedEntry> {
    yield { path: this.name, record: this.record }
  }

  wireKey (path: string): Uint8Array {
    return new TextEncoder().encode(path)
  }

  async insert (): Promise<void> { throw readOnly() }
  async insertMany (_items: readonly ListedEntry[], _options?: RequestOptions): Promise<{ conflicts: string[] }> { throw readOnly() }
  async update (): Promise<void> { throw readOnly() }
  async remove (): Promise<void> { throw readOnly() }
  async onEntry (): Promise<void> { throw readOnly() }
}

function readOnly (): SafeMeshError {
  return new SafeMeshError('AccessDenied', 'a shared file is read only')
}
