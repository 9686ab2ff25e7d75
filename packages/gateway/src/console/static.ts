/**
 * The page: `/` is ui/index.html, `/ui/<file>` the rest of ui/ (plain HTML, CSS and JS, no build
 * step). Served with a Content-Security-Policy that allows this origin's own files only (no inline
 * script, nothing from elsewhere) and no framing, so a site cannot overlay it to steal a click.
 */
import { existsSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HttpError } from '../http.js'
import type { Router } from '../router.js'

/** ui/ beside the package's dist/ (built: dist/src/console) or src/ (tests run from source). */
const UI_DIR = [new URL('../../../ui/', import.meta.url), new URL('../../ui/', import.meta.url)]
  .map(url => fileURLToPath(url))
  .find(dir => existsSync(join(dir, 'index.html'))) ?? fileURLToPath(new URL('../../../ui/', import.meta.url))

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-cache'
}

/** A file of ui/ by its bare name: no folders, no dot files, so no path leaves ui/. */
const FILE_NAME = /^[a-z0-9][a-z0-9_-]*\.[a-z0-9]+$/i

export function registerStaticRoutes (router: Router): void {
  router.add('GET', '/', async (ctx) => { await serve(ctx.res, ctx.req.method, 'index.html') })
  router.add('GET', '/ui/:file', async (ctx) => { await serve(ctx.res, ctx.req.method, ctx.params['file'] ?? '') })
}

async function serve (res: ServerResponse, method: string | undefined, name: string): Promise<void> {
  const type = TYPES[extname(name).toLowerCase()]
  if (!FILE_NAME.test(name) || type === undefined) throw new HttpError(404, 'NoSuchData', `no file ${name} in the page`)
  let body: Buffer
  try {
    body = await readFile(join(UI_DIR, name))
  } catch {
    throw new HttpError(404, 'NoSuchData', `no file ${name} in the page`)
  }
  res.writeHead(200, { ...PAGE_HEADERS, 'content-type': type, 'content-length': String(body.length) })
  res.end(method === 'HEAD' ? undefined : body)
}
