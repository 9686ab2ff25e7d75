/**
 * Private MutableData (SPEC §2: "private data is protected by encryption on the client"). Reading
 * is not a network permission, so a private MutableData encrypts its entries with the creator's
 * symmetric key: keys deterministically (`encryptDeterministic`, so one plaintext key is always the
 * same entry and can be updated or looked up), values with a fresh nonce each (`encryptSymmetric`).
 *
 * A private MutableData says so itself: it holds the entry `safemesh:private` (a plaintext key no
 * encrypted key can equal) whose value is a known text sealed under the same key, so a client can
 * tell "private, and mine to read" from "private, encrypted with keys I don't hold" before touching
 * any entry. Its version is the format's. Tombstones (empty values) stay empty.
 */
import { decryptDeterministic, decryptSymmetric, encryptDeterministic, encryptSymmetric } from '@safemesh/crypto'
import { SafeMeshError, bytesEqual, type MutableDataEntry } from '@safemesh/protocol'

export const PRIVATE_MARKER_KEY = new TextEncoder().encode('safemesh:private')
const MARKER_TEXT = new TextEncoder().encode('safemesh/private-mutable-data/v1')

export function isPrivateMarker (key: Uint8Array): boolean {
  return bytesEqual(key, PRIVATE_MARKER_KEY)
}

export class PrivateEntries {
  private readonly key: Uint8Array

  constructor (symmetricKey: Uint8Array) {
    this.key = symmetricKey
  }

  /** The marker entry a new private MutableData starts with. */
  marker (): { key: Uint8Array, content: Uint8Array } {
    return { key: PRIVATE_MARKER_KEY, content: encryptSymmetric(MARKER_TEXT, this.key) }
  }

  /** Refuses (AccessDenied) a marker sealed under another key: the data is someone else's secret. */
  checkMarker (content: Uint8Array): void {
    let text: Uint8Array | undefined
    try {
      text = decryptSymmetric(content, this.key)
    } catch {}
    if (text === undefined || !bytesEqual(text, MARKER_TEXT)) {
      throw new SafeMeshError('AccessDenied', 'this private MutableData is encrypted with keys you do not hold')
    }
  }

  encryptKey (key: Uint8Array): Uint8Array {
    return encryptDeterministic(key, this.key)
  }

  encryptValue (value: Uint8Array): Uint8Array {
    return value.length === 0 ? value : encryptSymmetric(value, this.key)
  }

  decryptValue (value: Uint8Array): Uint8Array {
    return value.length === 0 ? value : decryptSymmetric(value, this.key)
  }

  /** The plaintext entries of a listing, without the marker; entries that do not decrypt are skipped. */
  decryptEntries (entries: readonly MutableDataEntry[]): MutableDataEntry[] {
    const out: MutableDataEntry[] = []
    for (const entry of entries) {
      if (isPrivateMarker(entry.key)) continue
      try {
        out.push({ key: decryptDeterministic(entry.key, this.key), content: this.decryptValue(entry.content), version: entry.version })
      } catch {}
    }
    return out
  }
}
