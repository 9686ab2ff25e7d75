/** `GET /openapi.json`: the REST API's description (the package's openapi.json), for programs and tools. */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { RequestContext } from '../router.js'

/** openapi.json beside the package's dist/ (built: dist/src/rest) or src/ (tests run from source). */
export const OPENAPI_FILE = [new URL('../../../openapi.json', import.meta.url), new URL('../../openapi.json', import.meta.url)]
  .map(url => fileURLToPath(url))
  .find(file => existsSync(file)) ?? fileURLToPath(new URL('../../../openapi.json', import.meta.url))

let cached: Promise<Buffer> | undefined

export async function serveOpenApi (ctx: RequestContext): Promise<void> {
  cached ??= readFile(OPENAPI_FILE)
  const body = await cached.catch((err: unknown) => {
    cached = undefined
    throw err
  })
  ctx.res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(body.length),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache'
  })
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body)
}
