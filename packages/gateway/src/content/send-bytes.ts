/**
 * Answers with a file from the network: conditional (ETag), ranged, HEAD, and streamed with
 * backpressure, so a 64 MiB video never sits whole in the gateway. The read stops when the
 * browser goes away.
 */
import type { ServerResponse } from 'node:http'
import type { RequestContext } from '../router.js'
import { parseRange } from './range.js'

export interface FileToSend {
  size: number
  mediaType: string
  /** Strong: the file's content address, so equal tags mean equal bytes. */
  etag: string
  cacheControl: string
  read: (range: { offset: number, length: number } | undefined, signal: AbortSignal) => AsyncIterable<Uint8Array>
  headers?: Record<string, string>
}

export async function sendBytes (ctx: RequestContext, file: FileToSend): Promise<void> {
  const { req, res } = ctx
  const base: Record<string, string> = {
    'content-type': file.mediaType,
    etag: file.etag,
    'cache-control': file.cacheControl,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
    ...file.headers
  }
  if (etagMatches(req.headers['if-none-match'], file.etag)) {
    res.writeHead(304, base)
    res.end()
    return
  }
  // If-Range with another tag: the client's part is stale, send the whole file.
  const ifRange = req.headers['if-range']
  const rangeHeader = ifRange === undefined || ifRange === file.etag ? req.headers.range : undefined
  const ask = parseRange(rangeHeader, file.size)
  if (ask.kind === 'unsatisfiable') {
    res.writeHead(416, { ...base, 'content-range': `bytes */${file.size}`, 'content-length': '0' })
    res.end()
    return
  }
  const range = ask.kind === 'part' ? { offset: ask.offset, length: ask.length } : undefined
  const length = range?.length ?? file.size
  res.writeHead(range === undefined ? 200 : 206, {
    ...base,
    'content-length': String(length),
    ...(range !== undefined ? { 'content-range': `bytes ${range.offset}-${range.offset + range.length - 1}/${file.size}` } : {})
  })
  if (req.method === 'HEAD' || length === 0) {
    res.end()
    return
  }
  const gone = new AbortController()
  const onClose = (): void => { if (!res.writableFinished) gone.abort(new Error('the client went away')) }
  res.once('close', onClose)
  try {
    for await (const piece of file.read(range, AbortSignal.any([gone.signal, ctx.state.closing]))) {
      if (!res.write(piece)) await drained(res)
      if (gone.signal.aborted) return
    }
    res.end()
  } finally {
    res.off('close', onClose)
  }
}

/** Until the socket takes more, or closes (each wait removes its own listeners: a long stream waits thousands of times). */
async function drained (res: ServerResponse): Promise<void> {
  await new Promise<void>(resolve => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

function etagMatches (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some(tag => { const t = tag.trim().replace(/^W\//, ''); return t === '*' || t === etag })
}
