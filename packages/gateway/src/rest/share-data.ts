/* eslint-disable camelcase -- seed 002's JSON fields are snake_case (data_hash, expires_at, key_version) */
/**
 * `POST /share_data` (seed 002): stores the data content-addressed in the account's drive
 * (`_documents/shared/<sha256>`, data-hash.ts; a file given by `path` is copied there), then shares
 * that file exactly as `safemesh share PATH --with ID` does (`sharing().share`), with the hash as
 * the share's note, and answers with the share log's record of it.
 */
import { isUtf8 } from 'node:buffer'
import type { FsEntry, SafeMeshClient } from '@safemesh/client'
import { bytesToHex, isSafeMeshError } from '@safemesh/protocol'
import { HttpError, sendJson } from '../http.js'
import type { RequestContext } from '../router.js'
import { ownId, ownRecords, requestSignal } from './account.js'
import { dataHash, dataPath, sha256Hex, sha256OfStream } from './data-hash.js'
import { parseShareRequest } from './share-request.js'

/** What a share's data is encrypted with (crypto: self-encryption, secretbox, seal, sign). */
const ENCRYPTION = {
  /** The content: self-encryption, each chunk under its own key (SPEC §7). */
  algorithm: 'aes-256-gcm',
  /** The file's data map, under a fresh key per file version. */
  key_wrap: 'xchacha20-poly1305',
  /** That key reaches each recipient in an envelope sealed to its X25519 key and signed by the sharer. */
  key_exchange: 'x25519-sealed-box',
  signature: 'ed25519'
} as const

interface Stored {
  hex: string
  path: string
  entry: FsEntry
}

export async function shareData (ctx: RequestContext): Promise<void> {
  const request = parseShareRequest(await ctx.body())
  const client = ctx.owner()
  const signal = requestSignal(ctx.state)
  const stored = request.content.kind === 'data'
    ? await storeBytes(client, request.content.bytes, signal)
    : await storeCopy(client, request.content.path, signal)
  const result = await client.sharing().share(stored.path, {
    with: request.recipients,
    note: dataHash(stored.hex),
    ...(request.expires !== undefined ? { expires: request.expires } : {}),
    ...(request.price !== undefined ? { price: request.price } : {}),
    signal
  })
  const record = (await ownRecords(client, signal)).findLast(r => r.event.kind === 'share' && bytesToHex(r.event.share) === result.share)
  sendJson(ctx.res, 200, {
    status: 'shared',
    data_hash: dataHash(stored.hex),
    share: result.share,
    path: stored.path,
    ...(request.content.kind === 'path' ? { source: request.content.path } : {}),
    size: stored.entry.size,
    recipients: result.recipients,
    updated: result.updated,
    ...(result.expires !== undefined ? { expires_at: new Date(result.expires).toISOString() } : {}),
    ...(result.price !== undefined ? { price: result.price } : {}),
    // Each version of a file has its own key: the version shared names it.
    encryption: { ...ENCRYPTION, key_version: stored.entry.version },
    compliance: {
      log: ownId(client),
      record: record === undefined ? null : { index: record.index, hash: bytesToHex(record.hash), at: new Date(record.at).toISOString() },
      recorded: record !== undefined
    }
  })
}

/** Writes `bytes` at their content address, unless that file already holds them. */
async function storeBytes (client: SafeMeshClient, bytes: Uint8Array, signal: AbortSignal): Promise<Stored> {
  const hex = sha256Hex(bytes)
  const path = dataPath(hex)
  const entry = await holding(client, path, hex, bytes.length, signal) ??
    await client.fs.write(path, [bytes], { signal, mediaType: mediaTypeOf(bytes) })
  return { hex, path, entry }
}

/** Copies the file at `source` (its current version) to its content address, unless that file already holds it. */
async function storeCopy (client: SafeMeshClient, source: string, signal: AbortSignal): Promise<Stored> {
  const from = await client.fs.stat(source, { signal })
  if (from.kind !== 'file') throw new HttpError(400, 'InvalidRequest', `${source} is a folder: share a file (a folder is shared with \`safemesh share\`)`)
  // One version throughout: what is hashed is what is copied, even if the file is written meanwhile.
  const version = { version: from.version, signal }
  const hex = await sha256OfStream(client.fs.read(source, version))
  const path = dataPath(hex)
  if (source === path) return { hex, path, entry: from }
  const entry = await holding(client, path, hex, from.size, signal) ??
    await client.fs.write(path, client.fs.read(source, version), { signal, size: from.size, mediaType: from.mediaType })
  return { hex, path, entry }
}

/** The file at `path` when it holds the data of `hex` (checked: a file written there by hand may not). */
async function holding (client: SafeMeshClient, path: string, hex: string, size: number, signal: AbortSignal): Promise<FsEntry | undefined> {
  let entry: FsEntry
  try {
    entry = await client.fs.stat(path, { signal })
  } catch (err) {
    if (isSafeMeshError(err) && err.code === 'NoSuchEntry') return undefined
    throw err
  }
  if (entry.kind !== 'file' || entry.size !== size) return undefined
  return await sha256OfStream(client.fs.read(path, { signal })) === hex ? entry : undefined
}

function mediaTypeOf (bytes: Uint8Array): string {
  return isUtf8(bytes) ? 'text/plain; charset=utf-8' : 'application/octet-stream'
}
