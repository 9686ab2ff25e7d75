/**
 * How the command line reads and writes the entries of one MutableData: as they are, or through
 * the creator's symmetric key when the data is private (`mdata/private-entries.ts`).
 */
import type { ClientKeys } from '@safemesh/crypto'
import { isSafeMeshError, isTombstone, type MutableDataEntry, type XorName } from '@safemesh/protocol'
import type { SafeMeshClient, RequestOptions } from '@safemesh/client'
import { PRIVATE_MARKER_KEY, PrivateEntries, isPrivateMarker } from '@safemesh/client/internals'

export interface EntryCodec {
  readonly private: boolean
  /** The key as stored, for a key as typed. */
  key (plain: Uint8Array): Uint8Array
  /** The value as stored under `storedKey` at entry version `version`, for a value as typed. */
  value (storedKey: Uint8Array, version: number, plain: Uint8Array): Uint8Array
  /** A stored value (of `storedKey` at `version`) as people read it. */
  readValue (storedKey: Uint8Array, version: number, stored: Uint8Array): Uint8Array
  /** Stored entries as people read them: no marker, decrypted; tombstones only with `all`. */
  readEntries (stored: readonly MutableDataEntry[], all?: boolean): MutableDataEntry[]
}

export const PLAIN_ENTRIES: EntryCodec = {
  private: false,
  key: (plain) => plain,
  value: (_key, _version, plain) => plain,
  readValue: (_key, _version, stored) => stored,
  readEntries: (stored, all = false) => stored.filter(e => all || !isTombstone(e))
}

export function privateCodec (keys: ClientKeys, marker: Uint8Array): EntryCodec {
  const cipher = new PrivateEntries(keys.symmetric)
  cipher.checkMarker(marker)
  return {
    private: true,
    key: (plain) => cipher.encryptKey(plain),
    value: (storedKey, version, plain) => cipher.encryptValue(plain, storedKey, version),
    readValue: (storedKey, version, stored) => cipher.decryptValue(stored, storedKey, version),
    readEntries: (stored, all = false) => cipher.decryptEntries(stored.filter(e => !isPrivateMarker(e.key))).filter(e => all || !isTombstone(e))
  }
}

/**
 * Finds out whether the data is private (one small read of its marker entry), and if it is, gets
 * the keys to read it with from `keysFor`.
 */
export async function entryCodecFor (
  reader: SafeMeshClient,
  name: XorName,
  tag: number,
  keysFor: () => Promise<ClientKeys>,
  options: RequestOptions
): Promise<EntryCodec> {
  let marker
  try {
    marker = await reader.getMDataValue({ name, tag }, PRIVATE_MARKER_KEY, options)
  } catch (err) {
    if (isSafeMeshError(err) && err.code === 'NoSuchEntry') return PLAIN_ENTRIES
    throw err
  }
  return privateCodec(await keysFor(), marker.content)
}
