/**
 * Seed 002's data hashes: `sha256:<hex>` of the plaintext. A share made through the REST API is
 * found again by its hash in two places, both written by the sharer and both checked against the
 * bytes when the data is read:
 *
 * - the stored file is content-addressed, `_documents/shared/<hex>`, so the share log's signed
 *   `share` record (which names the path) names the hash, and the owner finds its own shares;
 * - the share's note, which the recipient's inbox item carries (sealed and signed), is `sha256:<hex>`.
 */
import { createHash } from 'node:crypto'
import { HttpError } from '../http.js'

const PREFIX = 'sha256:'
/** Where the REST API keeps the data it shares, one file per content. */
const SHARED_DATA_FOLDER = '_documents/shared'

const HEX = /^[0-9a-f]{64}$/

export function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The sha256 (hex) of a stream's bytes, without holding them. */
export async function sha256OfStream (source: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256')
  for await (const part of source) hash.update(part)
  return hash.digest('hex')
}

/** `sha256:<hex>` for a hash's 64 hex digits. */
export function dataHash (hex: string): string {
  return PREFIX + hex
}

/** The 64 lowercase hex digits of `sha256:<hex>` or `<hex>` (any case); 400 otherwise. */
export function parseDataHash (text: string): string {
  const trimmed = text.trim().toLowerCase()
  const hex = trimmed.startsWith(PREFIX) ? trimmed.slice(PREFIX.length) : trimmed
  if (!HEX.test(hex)) throw new HttpError(400, 'InvalidRequest', `a data hash is sha256:<64 hex digits> (or the 64 digits alone), not ${JSON.stringify(text)}`)
  return hex
}

/** Where data of this hash is stored in the sharer's drive. */
export function dataPath (hex: string): string {
  return `${SHARED_DATA_FOLDER}/${hex}`
}

/** The hash a content-addressed path names, if it is one. */
export function hashOfPath (path: string): string | undefined {
  const prefix = SHARED_DATA_FOLDER + '/'
  if (!path.startsWith(prefix)) return undefined
  const hex = path.slice(prefix.length)
  return HEX.test(hex) ? hex : undefined
}

/** The hash a share's note names (`sha256:<hex>`, possibly followed by text), if any. */
export function hashOfNote (note: string | undefined): string | undefined {
  return note === undefined ? undefined : /^sha256:([0-9a-f]{64})(?:\s|$)/.exec(note)?.[1]
}
