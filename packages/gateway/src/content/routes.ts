/**
 * Sites and files on the content origins (issue 16): the host form
 * `http://<service>.<publicId>.localhost:<port>/<path>`, the path form
 * `http://localhost:<port>/safe/<service>.<publicId>[@N]/<path>` and raw files
 * `http://localhost:<port>/file/<64 hex>[?name=…&type=…]`, all read through the gateway's
 * connected client, every read verified.
 */
import { SafeMeshError, isSafeMeshError, mediaTypeOf, parseSitePath, parseSiteLabel, xorNameFromHex, xorNameToHex } from '@safemesh/protocol'
import type { ServiceRecord } from '@safemesh/client'
import { HttpError, sendHtmlError } from '../http.js'
import type { RequestContext, Router } from '../router.js'
import type { GatewayState } from '../state.js'
import { sendBytes } from './send-bytes.js'
import { pinCookie, pinnedVersion } from './site-pin.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'
/** Resolved through a name: may change with the next publish, so revalidate (the ETag makes it cheap). */
const REVALIDATE = 'no-cache'
/** How long resolving a name and finding a path may take before the page says so (504). */
const RESOLVE_MS = 30_000
const INDEX = 'index.html'

export function registerContentRoutes (router: Router, state: GatewayState): void {
  const versions = new VersionCache()

  router.add('GET', '/*', async (ctx) => {
    try {
      if (ctx.site !== undefined) {
        await serveSite(ctx, versions, ctx.site, ctx.params['*'] ?? '', '/')
        return
      }
      const [first, second, ...rest] = (ctx.params['*'] ?? '').split('/')
      if (first === 'safe' && second !== undefined && second !== '') {
        const prefix = `/safe/${second}/`
        // `/safe/www.site` → `/safe/www.site/`: relative links in its index then resolve inside the site.
        if (rest.length === 0) return redirect(ctx, prefix + ctx.url.search)
        await serveSite(ctx, versions, decodeLabel(second), rest.join('/'), prefix)
        return
      }
      if (first === 'file' && second !== undefined && rest.length === 0) {
        await serveRawFile(ctx, second)
        return
      }
      if (first === '' && second === undefined) return sendContentHome(ctx, state)
      throw new HttpError(404, 'NoSuchData', `nothing at ${ctx.url.pathname}: sites are at /safe/<service>.<publicId>/ and files at /file/<address>`)
    } catch (err) {
      sendHtmlError(ctx.res, err, titleOf(err))
    }
  })
}

async function serveSite (ctx: RequestContext, versions: VersionCache, label: string, rawPath: string, prefix: string): Promise<void> {
  const deadline = AbortSignal.any([AbortSignal.timeout(RESOLVE_MS), ctx.state.closing])
  const options = { signal: deadline }
  const address = parseSiteLabel(label)
  const web = ctx.state.reader.web()
  const pinned = address.version ?? pinnedVersion(ctx.req)
  const record: ServiceRecord = pinned !== undefined
    ? await versions.get(`${address.publicId}/${address.service}@${pinned}`, async () => await web.resolve(address.publicId, address.service, { ...options, version: pinned }))
      // A pin the site does not have (a stale cookie) is only a hint: the current version then.
      .catch(async (err: unknown) => {
        if (address.version !== undefined || !(isSafeMeshError(err) && err.code === 'NoSuchEntry')) throw err
        return await web.resolve(address.publicId, address.service, options)
      })
    : await web.resolve(address.publicId, address.service, options)
  const path = parseSitePath(rawPath)
  const site = web.site(record.directory)
  const wantsFolder = path === '' || path.endsWith('/')
  const entry = await site.lookup(wantsFolder ? `${path}${INDEX}` : path, options)
  const headers: Record<string, string> = {
    'x-safemesh-site': `${address.service}.${address.publicId}@${record.version} ${xorNameToHex(record.directory)}`,
    // A document pins its version for the subresources it loads (site-pin.ts).
    ...(address.version === undefined && pinned === undefined ? { 'set-cookie': pinCookie(record.version, prefix) } : {})
  }
  if (entry?.kind === 'file') {
    await sendBytes(ctx, {
      size: entry.size,
      mediaType: entry.mediaType,
      etag: `"${xorNameToHex(entry.file)}"`,
      cacheControl: address.version !== undefined ? IMMUTABLE : REVALIDATE,
      read: (range, signal) => site.read(entry, { signal, ...(range !== undefined ? { range } : {}) }),
      headers
    })
    return
  }
  // Under a name the next publish may make this path a file: a temporary redirect, revalidated.
  if (entry?.kind === 'folder') return redirect(ctx, `${ctx.url.pathname}/${ctx.url.search}`, address.version !== undefined ? { status: 301, cacheControl: IMMUTABLE } : { status: 302, cacheControl: REVALIDATE })
  const shown = `safe://${address.service}.${address.publicId}${address.version !== undefined ? `@${address.version}` : ''}/${path}`
  if (wantsFolder && (await site.lookup(path, options))?.kind === 'folder') {
    throw new HttpError(404, 'NoSuchEntry', `${shown} is a folder without ${INDEX}`)
  }
  throw new HttpError(404, 'NoSuchEntry', `${shown} is not in this site (version ${record.version})`)
}

async function serveRawFile (ctx: RequestContext, hex: string): Promise<void> {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new HttpError(404, 'InvalidRequest', 'a file address is 64 hex digits')
  const name = ctx.url.searchParams.get('name') ?? undefined
  const type = ctx.url.searchParams.get('type') ?? undefined
  if (type !== undefined && !/^[\w.+-]+\/[\w.+-]+$/.test(type)) throw new HttpError(400, 'InvalidRequest', 'type= is a media type such as video/mp4')
  const address = xorNameFromHex(hex)
  const signal = AbortSignal.any([AbortSignal.timeout(RESOLVE_MS), ctx.state.closing])
  const size = await ctx.state.reader.fileSize(address, { signal })
  await sendBytes(ctx, {
    size,
    mediaType: type ?? (name !== undefined ? mediaTypeOf(name) : 'application/octet-stream'),
    etag: `"${hex.toLowerCase()}"`,
    // Content-addressed: these bytes never change.
    cacheControl: IMMUTABLE,
    read: (range, readSignal) => ctx.state.reader.getFile(address, { signal: readSignal, ...(range !== undefined ? { range } : {}) }),
    headers: name !== undefined ? { 'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(name)}` } : {}
  })
}

function sendContentHome (ctx: RequestContext, state: GatewayState): void {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SafeMesh gateway</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em">
<h1>SafeMesh gateway</h1>
<p>Sites: <code>${state.contentOrigin}/safe/&lt;service&gt;.&lt;publicId&gt;/</code> or
<code>http://&lt;service&gt;.&lt;publicId&gt;.localhost:${state.port}/</code>; a published version:
<code>/safe/www.mysite@3/</code>. Files: <code>${state.contentOrigin}/file/&lt;address&gt;</code>.</p>
<p>The testnet's page and app approvals: <a href="${state.consoleOrigin}/">${state.consoleOrigin}/</a>.</p></body></html>
`
  ctx.res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(page)), 'x-content-type-options': 'nosniff' })
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : page)
}

/** `/safe/<site>` → `/safe/<site>/` is true of every version: permanent unless told otherwise. */
function redirect (ctx: RequestContext, location: string, how: { status: number, cacheControl?: string } = { status: 301 }): void {
  ctx.res.writeHead(how.status, { location, 'content-length': '0', ...(how.cacheControl !== undefined ? { 'cache-control': how.cacheControl } : {}) })
  ctx.res.end()
}

function decodeLabel (segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new SafeMeshError('InvalidRequest', `not a site: ${JSON.stringify(segment)}`)
  }
}

function titleOf (err: unknown): string | undefined {
  if (!isSafeMeshError(err) && !(err instanceof HttpError)) return undefined
  if (err.code === 'NoSuchData') return 'No such site or file'
  if (err.code === 'NoSuchEntry') return 'Not found'
  if (err.code === 'NoQuorum') return 'The network did not agree'
  if (err.code === 'Timeout') return 'The network did not answer in time'
  return undefined
}

/** Published versions never change: what `www.mysite@3` resolves to is kept (a bounded map). */
class VersionCache {
  private readonly records = new Map<string, ServiceRecord>()

  async get (key: string, resolve: () => Promise<ServiceRecord>): Promise<ServiceRecord> {
    const known = this.records.get(key)
    if (known !== undefined) return known
    const record = await resolve()
    if (this.records.size >= 1024) this.records.delete(this.records.keys().next().value as string)
    this.records.set(key, record)
    return record
  }
}
