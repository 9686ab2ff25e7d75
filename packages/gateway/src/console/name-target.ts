/** What name a person means when typing one on the page: 64 hex digits as they are, any other text by its SHA3-256. */
import { sha3_256, xorNameToHex } from '@safemesh/protocol'

export interface NameTarget {
  /** The 64 hex digits the close group is computed for. */
  hex: string
  /** Whether `hex` is the SHA3-256 of the text (false: the text was a name already). */
  hashed: boolean
}

export function nameTarget (text: string): NameTarget {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return { hex: text.toLowerCase(), hashed: false }
  return { hex: xorNameToHex(sha3_256(new TextEncoder().encode(text))), hashed: true }
}
