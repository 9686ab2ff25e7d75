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
 *
 * A sealed value starts with SHA3-256(sealed key ‖ entry version as 8 bytes, big-endian): whoever
 * may update entries but lacks the key can neither move a value to another key nor put an older
 * value back (its version would be behind the entry's); a reader refuses either.
 */
import { decryptDeterministic, decryptSymmetric, encryptDeterministic, encryptSymmetric } from '@safemesh/crypto'
import { SafeMeshError, bytesEqual, sha3_256, type MutableDataEntry } from '@safemesh/protocol'

export const PRIVATE_MARKER_KEY = new TextEncoder().encode('safemesh:private')
const MARKER_TEXT = new TextEncoder().encode('safemesh/private-mutable-data/v1')

const BINDING_BYTES = 32

function binding (wireKey: Uint8Array, version: number): Uint8Array {
  const input = new Uint8Array(wireKey.length + 8)
  input.set(wireKey)
  new DataView(input.buffer).setBigUint64(wireKey.length, BigInt(version))
  return sha3_256(input)
}

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

  /** Seals a value for the entry `wireKey` (the sealed key) at entry version `version`. */
  encryptValue (value: Uint8Array, wireKey: Uint8Array, version: number): Uint8Array {
    if (value.length === 0) return value
    const bound = new Uint8Array(BINDING_BYTES + value.length)
    bound.set(binding(wireKey, version))
    bound.set(value, BINDING_BYTES)
    return encryptSymmetric(bound, this.key)
  }

  /** Opens a value of the entry `wireKey` at `version`; `InvalidRequest` when it was sealed for another key or version. */
  decryptValue (value: Uint8Array, wireKey: Uint8Array, version: number): Uint8Array {
    if (value.length === 0) return value
    const bound = decryptSymmetric(value, this.key)
    if (bound.length < BINDING_BYTES || !bytesEqual(bound.subarray(0, BINDING_BYTES), binding(wireKey, version))) {
      throw new SafeMeshError('InvalidRequest', 'a private entry holds a value sealed for another key or version (moved or replayed)')
    }
    return bound.subarray(BINDING_BYTES)
  }

  /** The plaintext entries of a listing, without the marker; entries that do not decrypt are skipped. */
  decryptEntries (entries: readonly MutableDataEntry[]): MutableDataEntry[] {
    const out: MutableDataEntry[] = []
    for (const entry of entries) {
      if (isPrivateMarker(entry.key)) continue
      try {
        out.push({ key: decryptDeterministic(entry.key, this.key), content: this.decryptValue(entry.content, entry.key, entry.version), version: entry.version })
      } catch {}
    }
    return out
  }
}
