/**
 * `safemesh fs …` (SPEC §9 NFS; formats in docs/protocol.md): the account's (or, with
 * $SAFEMESH_APP, the app's) containers as a drive. A remote path starts with its container:
 * `_documents/notes/a.txt`, `apps/<app id>/…`.
 *
 * `fs put -r` uploads a folder's files with one progress bar and writes new entries in batches;
 * `fs get -r` writes each file under a temporary name and renames it when complete.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, extname, isAbsolute, join, relative, sep } from 'node:path'
import { finished } from 'node:stream/promises'
import type { Command } from 'commander'
import { LINK_MOUNT_PREFIX, SafeMeshError, type FsEntry, type SafeMeshClient, type WriteManyItem } from '@safemesh/client'
import { signalOption, type ActionContext } from '../action-context.js'
import { parseInteger } from '../arguments.js'
import type { Json, JsonObject } from '../output.js'
import { progressBar } from '../progress.js'
import type { ActionRunner } from '../program-types.js'
import { UsageError } from '../usage-error.js'

export function registerFs (program: Command, run: ActionRunner): void {
  const fs = program.command('fs').description('files and folders in the account\'s containers (_documents, _public, …) and what others shared (share:<share>, link:<link>)')

  fs.command('ls').argument('[PATH]', 'a container or a folder in one (none: the containers)')
    .option('-r, --recursive', 'everything below, not just one level')
    .description('list a folder, or the containers')
    .action(run(async (ctx: ActionContext, path: string | undefined, options: { recursive?: boolean }) => {
      const client = await clientFor(ctx, path)
      if (path === undefined) {
        const containers = await client.fs.containers(signalOption(ctx))
        ctx.out.result({ containers: containers.map(c => ({ name: c.name, private: c.private, access: c.access })) },
          containers.map(c => `${c.name.padEnd(16)} ${c.private ? 'private' : 'public '}  ${c.access.join(',')}`))
        return
      }
      const entries: FsEntry[] = []
      for await (const entry of client.fs.list(path, { ...signalOption(ctx), recursive: options.recursive === true })) entries.push(entry)
      ctx.out.result({ entries: entries.map(entryJson) }, entries.length === 0 ? ['(empty)'] : entries.map(describe))
    }))

  fs.command('put').argument('<LOCAL>', 'a file (or with -r a folder)').argument('<REMOTE>', 'where: a path starting with its container')
    .option('-r, --recursive', 'upload a folder and everything in it, under REMOTE')
    .option('--media-type <TYPE>', 'the file\'s media type (default: from its extension)')
    .description('store a file (a new version when REMOTE exists: earlier ones stay in its history)')
    .action(run(async (ctx: ActionContext, local: string, remote: string, options: { recursive?: boolean, mediaType?: string }) => {
      const source = resolvePath(ctx, local)
      const info = await stat(source).catch((err: NodeJS.ErrnoException) => { throw new UsageError(`cannot read ${local}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`) })
      const client = await ctx.clients.acting()
      if (options.recursive === true) {
        if (!info.isDirectory()) throw new UsageError(`${local} is not a folder (drop -r for a file)`)
        await putFolder(ctx, client, source, remote)
        return
      }
      if (!info.isFile()) throw new UsageError(`${local} is not a file (a folder needs -r)`)
      const bar = progressBar(ctx.io, 'put')
      let entry
      try {
        entry = await client.fs.write(remote, createReadStream(source, { highWaterMark: 1024 * 1024 }), {
          size: info.size,
          mediaType: options.mediaType ?? mediaTypeOf(source),
          onProgress: (p) => { bar.update(p.bytesStored, p.totalBytes) },
          ...signalOption(ctx)
        })
      } finally {
        bar.stop()
      }
      ctx.out.result(entryJson(entry), `${entry.path}  version ${entry.version}, ${entry.size} bytes`)
    }))

  fs.command('get').argument('<REMOTE>', 'a file (or with -r a folder)').argument('[LOCAL]', 'where to write (a file: default stdout; a folder: default its name)')
    .option('-r, --recursive', 'download a folder and everything in it')
    .option('--version <N>', 'an earlier version of the file (1 is the first)')
    .description('fetch a file, verifying every chunk')
    .action(run(async (ctx: ActionContext, remote: string, local: string | undefined, options: { recursive?: boolean, version?: string }) => {
      const client = await clientFor(ctx, remote)
      const version = options.version === undefined ? undefined : parseInteger(options.version, 'version')
      if (options.recursive === true) {
        await getFolder(ctx, client, remote, resolvePath(ctx, local ?? basename(remote)))
        return
      }
      const read = { ...signalOption(ctx), ...(version !== undefined ? { version } : {}) }
      if (local === undefined) {
        for await (const piece of client.fs.read(remote, read)) {
          ctx.stdoutInUse = true
          if (!ctx.io.stdout.write(piece)) await new Promise<void>(resolve => { ctx.io.stdout.once('drain', () => { resolve() }) })
        }
        return
      }
      const bar = progressBar(ctx.io, 'get')
      try {
        const size = await download(client.fs.read(remote, { ...read, onProgress: (p) => { bar.update(p.bytesRead, p.totalBytes) } }), resolvePath(ctx, local))
        ctx.out.result({ path: remote, size, file: local }, `${size} bytes written to ${local}`)
      } finally {
        bar.stop()
      }
    }))

  fs.command('rm').argument('<REMOTE>', 'a file or folder')
    .option('-r, --recursive', 'a folder and everything in it')
    .description('delete a file or folder')
    .action(run(async (ctx: ActionContext, remote: string, options: { recursive?: boolean }) => {
      const client = await ctx.clients.acting()
      const removed = await client.fs.remove(remote, { ...signalOption(ctx), recursive: options.recursive === true })
      ctx.out.result({ removed }, removed.map(r => `removed ${r}`))
    }))

  fs.command('mv').argument('<FROM>', 'a file').argument('<TO>', 'its new path, in the same container')
    .description('move a file (its history goes with it)')
    .action(run(async (ctx: ActionContext, from: string, to: string) => {
      const client = await ctx.clients.acting()
      const entry = await client.fs.move(from, to, signalOption(ctx))
      ctx.out.result(entryJson(entry), `${from} -> ${entry.path}`)
    }))

  fs.command('mkdir').argument('<REMOTE>', 'the folder')
    .description('make an empty folder')
    .action(run(async (ctx: ActionContext, remote: string) => {
      const client = await ctx.clients.acting()
      const entry = await client.fs.mkdir(remote, signalOption(ctx))
      ctx.out.result(entryJson(entry), `made ${entry.path}`)
    }))

  fs.command('stat').argument('<REMOTE>', 'a file or folder')
    .description('a file\'s or folder\'s metadata')
    .action(run(async (ctx: ActionContext, remote: string) => {
      const client = await clientFor(ctx, remote)
      const entry = await client.fs.stat(remote, signalOption(ctx))
      ctx.out.result(entryJson(entry), describe(entry))
    }))

  fs.command('history').argument('<REMOTE>', 'a file')
    .description('every version of a file, newest first (read one with fs get --version N)')
    .action(run(async (ctx: ActionContext, remote: string) => {
      const client = await clientFor(ctx, remote)
      const versions = await client.fs.history(remote, signalOption(ctx))
      ctx.out.result({ path: remote, versions: versions.map(entryJson) }, versions.map(v => `v${v.version}  ${v.size} bytes  ${new Date(v.modified).toISOString()}  ${v.address ?? ''}`))
    }))
}

/** A `link:<link>/…` path is read by a client running as the link's key; anything else by whoever acts. */
async function clientFor (ctx: ActionContext, path: string | undefined): Promise<SafeMeshClient> {
  const first = path?.split('/').find(s => s.length > 0)
  if (first?.startsWith(LINK_MOUNT_PREFIX) === true) return await ctx.clients.linked(first.slice(LINK_MOUNT_PREFIX.length))
  return await ctx.clients.acting()
}

async function putFolder (ctx: ActionContext, client: SafeMeshClient, folder: string, remote: string): Promise<void> {
  const files = await filesIn(folder)
  const items: WriteManyItem[] = files.map(f => ({
    path: `${remote.replace(/\/+$/, '')}/${relative(folder, f.path).split(sep).join('/')}`,
    size: f.size,
    mediaType: mediaTypeOf(f.path),
    content: () => createReadStream(f.path, { highWaterMark: 1024 * 1024 })
  }))
  const bar = progressBar(ctx.io, `put ${files.length} files`)
  let result
  try {
    result = await client.fs.writeMany(items, { ...signalOption(ctx), onProgress: (p) => { bar.update(p.bytesDone, p.bytes) } })
  } finally {
    bar.stop()
  }
  const bytes = result.written.reduce((n, e) => n + e.size, 0)
  if (result.conflicts.length > 0) {
    throw new SafeMeshError('InvalidSuccessor', `conflict: ${result.conflicts.length} file(s) were changed by another writer meanwhile and were not written: ${result.conflicts.join(', ')} (${result.written.length} others were)`)
  }
  ctx.out.result({ files: result.written.length, bytes, path: remote }, `${result.written.length} files, ${bytes} bytes, under ${remote}`)
}

async function getFolder (ctx: ActionContext, client: SafeMeshClient, remote: string, target: string): Promise<void> {
  const prefix = remote.replace(/\/+$/, '')
  const entries: FsEntry[] = []
  for await (const entry of client.fs.list(prefix, { ...signalOption(ctx), recursive: true })) entries.push(entry)
  const files = entries.filter(e => e.kind === 'file')
  const total = files.reduce((n, f) => n + f.size, 0)
  const bar = progressBar(ctx.io, `get ${files.length} files`)
  let done = 0
  try {
    await mkdir(target, { recursive: true })
    for (const folder of entries.filter(e => e.kind === 'folder')) await mkdir(join(target, ...folder.path.slice(prefix.length + 1).split('/')), { recursive: true })
    for (const file of files) {
      const local = join(target, ...file.path.slice(prefix.length + 1).split('/'))
      await mkdir(dirname(local), { recursive: true })
      const before = done
      await download(client.fs.read(file.path, { ...signalOption(ctx), onProgress: (p) => { done = before + p.bytesRead; bar.update(done, total) } }), local)
    }
  } finally {
    bar.stop()
  }
  ctx.out.result({ files: files.length, bytes: total, folder: relative(ctx.io.cwd, target) || '.' }, `${files.length} files, ${total} bytes, into ${target}`)
}

/** Writes a download beside `target` and renames it when complete: a failure leaves no partial file. */
async function download (pieces: AsyncIterable<Uint8Array>, target: string): Promise<number> {
  const partial = join(dirname(target), `.${basename(target)}.${process.pid}.partial`)
  const out = createWriteStream(partial)
  let size = 0
  try {
    for await (const piece of pieces) {
      size += piece.length
      if (!out.write(piece)) await new Promise<void>(resolve => { out.once('drain', () => { resolve() }) })
    }
    out.end()
    await finished(out)
    await rename(partial, target)
    return size
  } catch (err) {
    out.destroy()
    await rm(partial, { force: true })
    throw err
  }
}

async function filesIn (folder: string): Promise<Array<{ path: string, size: number }>> {
  const out: Array<{ path: string, size: number }> = []
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    out.push({ path, size: (await stat(path)).size })
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1))
}

function entryJson (entry: FsEntry): JsonObject {
  const json: Record<string, Json> = {
    path: entry.path,
    kind: entry.kind,
    size: entry.size,
    version: entry.version,
    created: entry.created === 0 ? null : new Date(entry.created).toISOString(),
    modified: entry.modified === 0 ? null : new Date(entry.modified).toISOString(),
    mediaType: entry.mediaType
  }
  if (entry.address !== undefined) json['address'] = entry.address
  if (entry.metadata.length > 0) json['metadataHex'] = Buffer.from(entry.metadata).toString('hex')
  return json
}

function describe (entry: FsEntry): string {
  if (entry.kind === 'folder') return `${entry.path}/`
  return `${entry.path}  ${entry.size} bytes  v${entry.version}  ${new Date(entry.modified).toISOString()}`
}

function resolvePath (ctx: ActionContext, path: string): string {
  return isAbsolute(path) ? path : join(ctx.io.cwd, path)
}

const MEDIA_TYPES: Readonly<Record<string, string>> = Object.fromEntries([
  ['.txt', 'text/plain'],
  ['.md', 'text/markdown'],
  ['.html', 'text/html'],
  ['.htm', 'text/html'],
  ['.css', 'text/css'],
  ['.js', 'text/javascript'],
  ['.mjs', 'text/javascript'],
  ['.json', 'application/json'],
  ['.xml', 'application/xml'],
  ['.png', 'image/png'],
  ['.jpg', 'image/jpeg'],
  ['.jpeg', 'image/jpeg'],
  ['.gif', 'image/gif'],
  ['.svg', 'image/svg+xml'],
  ['.webp', 'image/webp'],
  ['.ico', 'image/x-icon'],
  ['.pdf', 'application/pdf'],
  ['.zip', 'application/zip'],
  ['.mp3', 'audio/mpeg'],
  ['.ogg', 'audio/ogg'],
  ['.wav', 'audio/wav'],
  ['.mp4', 'video/mp4'],
  ['.webm', 'video/webm']
])

/** A media type from the file's extension (what a web gateway will serve it as). */
function mediaTypeOf (path: string): string {
  return MEDIA_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}
