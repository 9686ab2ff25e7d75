/** The shapes of DNS and web sites (SPEC §9) as the client hands them out. */
import type { ByteRange } from '@safemesh/crypto'
import type { XorName } from '@safemesh/protocol'
import type { RequestOptions } from '../requests/request-context.js'

/** Where a service points: a tag-15002 directory, at a version of the service. */
export interface ServiceRecord {
  service: string
  directory: XorName
  /** 1 for the first site the service pointed at, then +1 each change. */
  version: number
  /** Milliseconds since 1970, by the publisher's clock. */
  publishedAt: number
}

/** A registered public id and its services (those not removed). */
export interface PublicName {
  publicId: string
  /** Its MutableData's name: SHA3-256(publicId), tag 15001. */
  name: XorName
  services: ServiceRecord[]
}

/** One file of a site to publish: `path` inside the site (`css/site.css`), its content on demand. */
export interface SiteFile {
  path: string
  content: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>
  /** Default: from the path's extension (`mediaTypeOf`). */
  mediaType?: string
  size?: number
}

export interface PublishProgress {
  files: number
  filesDone: number
  /** Sum of the sizes given (0 when none were). */
  bytes: number
  bytesDone: number
}

export interface PublishOptions extends RequestOptions {
  onProgress?: (progress: PublishProgress) => void
  /** Files uploaded at once (default 4). */
  concurrency?: number
}

export interface PublishResult extends ServiceRecord {
  files: number
  bytes: number
}

export interface ResolveOptions extends RequestOptions {
  /** A published version (from `history`); default the current one. */
  version?: number
}

/** A file or folder of a site, as found. */
export type SiteEntry =
  | { kind: 'file', path: string, size: number, mediaType: string, file: XorName, modified: number }
  | { kind: 'folder', path: string }

export interface SiteReadOptions {
  range?: ByteRange
  signal?: AbortSignal
}

/** A published site: one directory, which publishing never changes afterwards. */
export interface Site {
  readonly directory: XorName
  /** The file, else the folder, at `path` (`''` is the root folder); undefined when there is neither. */
  lookup (path: string, options?: RequestOptions): Promise<SiteEntry | undefined>
  /** A file's content (or `range` of it), verified as it streams. */
  read (entry: SiteEntry & { kind: 'file' }, options?: SiteReadOptions): AsyncGenerator<Uint8Array>
  /** Every file and folder, in no particular order. */
  list (options?: RequestOptions): AsyncGenerator<SiteEntry>
}
