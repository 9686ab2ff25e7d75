/* eslint-disable camelcase -- seed 002's JSON fields are snake_case (data_hash, expires_at) */
/**
 * `GET /data/{hash}` (seed 002): the data shared under a hash, read as the CLI reads a share
 * (`fs get share:<share>/<name>`: the envelope from the network, which serves it to a reader the
 * share's gate names until its expiry, paying first when it is priced) and checked: its sha256
 * must be the hash. The recipient's shares come first, newest first; then the account's own.
 */
import { isUtf8 } from 'node:buffer'
import type { SafeMeshClient } from '@safemesh/client'
import { SafeMeshError, isSafeMeshError } from '@safemesh/protocol'
import { HttpError, sendJson } from '../http.js'
import type { RequestContext } from '../router.js'
import { ownId, requestSignal } from './account.js'
import { dataHash, dataPath, parseDataHash, sha256Hex } from './data-hash.js'
import { findShares, senderOf } from './find-shares.js'

/** The most a JSON answer carries; larger data is read with `safemesh fs get`. */
const MAX_READ_BYTES = 16 * 1024 * 1024

/** What refuses one share without saying anything of the others: try the next. */
const REFUSALS = new Set(['AccessDenied', 'Expired', 'NoSuchEntry', 'NoSuchData', 'LowBalance'])

export async function readData (ctx: RequestContext): Promise<void> {
  const hex = parseDataHash(ctx.params.hash ?? '')
  const client = ctx.owner()
  const signal = requestSignal(ctx.state)
  const { received, made } = await findShares(client, hex, signal)
  const refused: unknown[] = []
  for (const candidate of received) {
    try {
      const share = await senderOf(client, candidate, signal)
      if (share === undefined) throw new SafeMeshError('AccessDenied', `${candidate.claims.length} accounts claim share ${candidate.share} and its envelope does not tell which sent it`)
      const file = await sharedFile(client, share.share, signal)
      const bytes = await readVerified(client, file.path, file.size, hex, signal)
      sendJson(ctx.res, 200, {
        ...dataField(bytes),
        data_hash: dataHash(hex),
        size: bytes.length,
        sender: share.from,
        timestamp: new Date(share.at).toISOString(),
        verified: true,
        share: share.share,
        path: share.path,
        ...(share.price !== undefined ? { price: share.price } : {})
      })
      return
    } catch (err) {
      if (!isRefusal(err)) throw err
      refused.push(err)
    }
  }
  const own = made[0]
  if (own !== undefined) {
    try {
      const path = dataPath(hex)
      const bytes = await readVerified(client, path, (await client.fs.stat(path, { signal })).size, hex, signal)
      sendJson(ctx.res, 200, {
        ...dataField(bytes),
        data_hash: dataHash(hex),
        size: bytes.length,
        sender: ownId(client),
        timestamp: new Date(own.at).toISOString(),
        verified: true,
        share: own.share,
        path,
        recipients: own.recipients
      })
      return
    } catch (err) {
      if (!isRefusal(err)) throw err
      refused.push(err)
    }
  }
  if (refused.length > 0) throw refused[0]
  throw new HttpError(404, 'NoSuchData', `no share of ${dataHash(hex)} in this account's inbox or share log`)
}

/** The one file a file share holds (`share:<share>/<its name>`). */
async function sharedFile (client: SafeMeshClient, share: string, signal: AbortSignal): Promise<{ path: string, size: number }> {
  for await (const entry of client.fs.list(`share:${share}`, { signal })) {
    if (entry.kind === 'file') return { path: entry.path, size: entry.size }
  }
  throw new HttpError(404, 'NoSuchEntry', `share ${share} holds no file`)
}

/** A file's bytes, whose sha256 must be `hex` (HttpError 502 otherwise: the sharer's claim is false). */
async function readVerified (client: SafeMeshClient, path: string, size: number, hex: string, signal: AbortSignal): Promise<Uint8Array> {
  if (size > MAX_READ_BYTES) throw new HttpError(413, 'DataTooLarge', `the data is ${size} bytes, more than ${MAX_READ_BYTES} in one answer: read it with \`safemesh fs get ${path}\``)
  const parts: Uint8Array[] = []
  let read = 0
  for await (const part of client.fs.read(path, { signal })) {
    read += part.length
    if (read > MAX_READ_BYTES) throw new HttpError(413, 'DataTooLarge', `the data is more than ${MAX_READ_BYTES} bytes: read it with \`safemesh fs get ${path}\``)
    parts.push(part)
  }
  const bytes = new Uint8Array(Buffer.concat(parts))
  if (sha256Hex(bytes) !== hex) throw new HttpError(502, 'InvalidRequest', `${path} does not hold the data of ${dataHash(hex)} (its sha256 is ${sha256Hex(bytes)})`)
  return bytes
}

/** `data` when the bytes are UTF-8 text, else `dataBase64`. */
function dataField (bytes: Uint8Array): { data: string } | { dataBase64: string } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  // utf8 decoding keeps a byte-order mark, so the text encodes back to these very bytes.
  return isUtf8(buffer) ? { data: buffer.toString('utf8') } : { dataBase64: buffer.toString('base64') }
}

function isRefusal (err: unknown): boolean {
  if (err instanceof HttpError) return err.status === 502 || err.code === 'NoSuchEntry'
  return isSafeMeshError(err) && REFUSALS.has(err.code)
}
