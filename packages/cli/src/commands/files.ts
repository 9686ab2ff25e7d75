/**
 * `safemesh put FILE|-` and `safemesh get ADDRESS [-o FILE]` (SPEC §7, §10).
 *
 * `get` without `-o` writes the file to stdout: the content is the output, so `--json` prints no
 * object on success (errors still do, unless some content was already written). With `-o`, the file
 * is written beside FILE under a temporary name and renamed when complete, so a failed download
 * never leaves a partial file behind.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join } from 'node:path'
import { finished } from 'node:stream/promises'
import type { Command } from 'commander'
import { signalOption, type ActionContext } from '../action-context.js'
import { parseName } from '../arguments.js'
import { progressBar } from '../progress.js'
import type { ActionRunner } from '../program-types.js'
import { UsageError } from '../usage-error.js'

export function registerFiles (program: Command, run: ActionRunner): void {
  program.command('put').argument('<FILE>', 'the file to store, or - for stdin')
    .description('self-encrypt and store a file; prints its address')
    .action(run(async (ctx: ActionContext, file: string) => {
      const fromStdin = file === '-'
      const path = fromStdin ? '' : resolvePath(ctx, file)
      let size: number | undefined
      if (!fromStdin) {
        const info = await stat(path).catch((err: NodeJS.ErrnoException) => { throw new UsageError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`) })
        if (!info.isFile()) throw new UsageError(`${file} is not a file`)
        size = info.size
      }
      const client = await ctx.clients.acting()
      const source: AsyncIterable<Uint8Array> = fromStdin ? ctx.io.stdin as AsyncIterable<Uint8Array> : createReadStream(path, { highWaterMark: 1024 * 1024 })
      const bar = progressBar(ctx.io, 'put')
      let result
      try {
        result = await client.putFile(source, {
          ...(size !== undefined ? { size } : {}),
          onProgress: (p) => { bar.update(p.bytesStored, p.totalBytes) },
          ...signalOption(ctx)
        })
      } finally {
        bar.stop()
      }
      ctx.out.result({ address: result.address, size: result.size, chunks: result.chunks }, [
        result.address,
        `${result.size} bytes in ${result.chunks} chunks`
      ])
    }))

  program.command('get').argument('<ADDRESS>', 'the file\'s address (64 hex characters)')
    .option('-o, --output <FILE>', 'write to FILE instead of stdout')
    .description('fetch a file, verifying every chunk')
    .action(run(async (ctx: ActionContext, addressHex: string, options: { output?: string }) => {
      const address = parseName(addressHex, 'ADDRESS')
      const client = await ctx.clients.connected()
      if (options.output === undefined) {
        let wrote = false
        for await (const piece of client.getFile(address, signalOption(ctx))) {
          if (!wrote) ctx.stdoutInUse = true
          wrote = true
          if (!ctx.io.stdout.write(piece)) await new Promise<void>(resolve => { ctx.io.stdout.once('drain', () => { resolve() }) })
        }
        return
      }
      const target = resolvePath(ctx, options.output)
      const partial = join(dirname(target), `.${basename(target)}.${process.pid}.partial`)
      const bar = progressBar(ctx.io, 'get')
      const out = createWriteStream(partial)
      let size = 0
      try {
        for await (const piece of client.getFile(address, { ...signalOption(ctx), onProgress: (p) => { bar.update(p.bytesRead, p.totalBytes) } })) {
          size += piece.length
          if (!out.write(piece)) await new Promise<void>(resolve => { out.once('drain', () => { resolve() }) })
        }
        out.end()
        await finished(out)
        await rename(partial, target)
      } catch (err) {
        out.destroy()
        await rm(partial, { force: true })
        throw err
      } finally {
        bar.stop()
      }
      ctx.out.result({ address: addressHex.toLowerCase(), size, file: options.output }, `${size} bytes written to ${options.output}`)
    }))
}

function resolvePath (ctx: ActionContext, path: string): string {
  return isAbsolute(path) ? path : join(ctx.io.cwd, path)
}
