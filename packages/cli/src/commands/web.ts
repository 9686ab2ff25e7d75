/**
 * `safemesh web …` (issue 16): publish a folder as a site. Every file is uploaded (public, like
 * `_public`), a new site directory is made, then the service switches to it in one step: readers
 * see the old site or the new one, never a mix, and earlier versions stay at `safe://www.mysite@N`.
 */
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, sep } from 'node:path'
import type { Command } from 'commander'
import { isSafeMeshError, parseSiteLabel, xorNameToHex } from '@safemesh/protocol'
import type { SiteFile } from '@safemesh/client'
import { signalOption, type ActionContext } from '../action-context.js'
import { progressBar } from '../progress.js'
import type { ActionRunner } from '../program-types.js'
import { UsageError } from '../usage-error.js'

interface PublishFlags {
  as: string
  hidden?: boolean
}

export function registerWeb (program: Command, run: ActionRunner): void {
  const web = program.command('web').description('web sites on safe:// names')

  web.command('publish').argument('<FOLDER>', 'the site: its files, index.html first of all')
    .requiredOption('--as <SITE>', 'where: <service>.<publicId> or <publicId> (service www), a public id you registered')
    .option('--hidden', 'also publish files and folders whose name starts with "." (left out by default: .git and the like)')
    .description('publish a folder as a site: a new version of the service, switched to at once')
    .addHelpText('after', [
      '',
      'Media types come from the file extensions. Publishing again makes a new version; the earlier',
      'ones stay readable (`safemesh dns ls PUBLIC_ID` lists them). Output with --json:',
      '{"publicId", "service", "directory", "version", "files", "bytes"}.'
    ].join('\n'))
    .action(run(async (ctx: ActionContext, folder: string, flags: PublishFlags) => {
      const site = siteOf(flags.as)
      const root = isAbsolute(folder) ? folder : join(ctx.io.cwd, folder)
      const info = await stat(root).catch((err: NodeJS.ErrnoException) => { throw new UsageError(`cannot read ${folder}: ${err.code === 'ENOENT' ? 'no such folder' : err.message}`) })
      if (!info.isDirectory()) throw new UsageError(`${folder} is not a folder`)
      const files = await siteFiles(root, flags.hidden === true)
      if (files.length === 0) throw new UsageError(`${folder} holds no files to publish`)
      const owner = await ctx.clients.owner()
      const bar = progressBar(ctx.io, `publish ${files.length} files`)
      let result
      try {
        result = await owner.web().publish(files, site, { ...signalOption(ctx), onProgress: (p) => { bar.update(p.bytesDone, p.bytes) } })
      } finally {
        bar.stop()
      }
      const directory = xorNameToHex(result.directory)
      ctx.out.result({ publicId: site.publicId, service: result.service, directory, version: result.version, files: result.files, bytes: result.bytes }, [
        `Published ${result.files} files (${result.bytes} bytes) as safe://${result.service}.${site.publicId}, version ${result.version}`,
        `  site directory ${directory}`,
        `  this version stays at safe://${result.service}.${site.publicId}@${result.version}`
      ])
    }))
}

function siteOf (label: string): { publicId: string, service: string } {
  try {
    const parsed = parseSiteLabel(label)
    if (parsed.version !== undefined) throw new UsageError('--as names a service, not a version (drop the @N)')
    return { publicId: parsed.publicId, service: parsed.service }
  } catch (err) {
    if (isSafeMeshError(err)) throw new UsageError(`--as: ${err.message}`)
    throw err
  }
}

/** Every file under `root` (hidden ones only when asked), by its path inside the site. */
async function siteFiles (root: string, hidden: boolean): Promise<SiteFile[]> {
  const out: SiteFile[] = []
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const inSite = relative(root, path).split(sep)
    if (!hidden && inSite.some(segment => segment.startsWith('.'))) continue
    const { size } = await stat(path)
    out.push({ path: inSite.join('/'), size, content: () => createReadStream(path, { highWaterMark: 1024 * 1024 }) })
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1))
}
