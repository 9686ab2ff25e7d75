/**
 * NFS paths (SPEC §9): a file's key in its directory is its path relative to the directory,
 * segments joined by `/` (`photos/2017/a.jpg`). Paths are normalised so that one file has one key:
 * NFC, no leading or trailing `/`, no empty, `.` or `..` segments, no control characters.
 */
import { SafeMeshError } from '@safemesh/protocol'

/** The longest path, in UTF-8 bytes: keeps every entry far below a MutableData's size limit. */
export const MAX_PATH_BYTES = 1024

/** The path of a folder's own entry (what `mkdir` writes): the folder's path and a `/`. */
export function folderKey (path: string): string {
  return path + '/'
}

/** The normal form of `path`; `InvalidRequest` for anything that is not a relative path. */
export function normalisePath (path: string): string {
  const segments = path.normalize('NFC').split('/').filter(s => s.length > 0)
  if (segments.length === 0) throw new SafeMeshError('InvalidRequest', 'a path names at least one file or folder')
  for (const segment of segments) {
    if (segment === '.' || segment === '..') throw new SafeMeshError('InvalidRequest', `a path has no "." or ".." segments: ${JSON.stringify(path)}`)
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(segment)) throw new SafeMeshError('InvalidRequest', `a path has no control characters: ${JSON.stringify(path)}`)
  }
  const normal = segments.join('/')
  if (new TextEncoder().encode(normal).length > MAX_PATH_BYTES - 1) throw new SafeMeshError('InvalidRequest', `a path is at most ${MAX_PATH_BYTES - 1} bytes`)
  return normal
}

/** `""` (the directory itself) or a normal path: what listings take. */
export function normalisePrefix (path: string): string {
  return path.split('/').every(s => s.length === 0) ? '' : normalisePath(path)
}

/** The immediate child of `prefix` that `key` lies under (a file, or a folder it is inside); undefined when not under it. */
export function childOf (prefix: string, key: string): { name: string, folder: boolean } | undefined {
  const start = prefix === '' ? '' : prefix + '/'
  if (!key.startsWith(start) || key.length === start.length) return undefined
  const rest = key.slice(start.length)
  const slash = rest.indexOf('/')
  return slash === -1 ? { name: rest, folder: false } : { name: rest.slice(0, slash), folder: true }
}
