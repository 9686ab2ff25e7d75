/**
 * Where an account's sharing MutableData are: names anyone derives from the account's ID (its
 * signing key), domain-separated so that no two kinds of data share a name.
 */
import { sha3_256, type XorName } from '@safemesh/protocol'

const utf8 = new TextEncoder()

/** SHA3-256(label ‖ parts…). */
export function labelledHash (label: string, ...parts: readonly Uint8Array[]): Uint8Array {
  return sha3_256(labelled(label, ...parts))
}

/** label ‖ parts…: the bytes a domain-separated signature covers. */
export function labelled (label: string, ...parts: readonly Uint8Array[]): Uint8Array {
  const head = utf8.encode(label)
  const out = new Uint8Array(head.length + parts.reduce((n, p) => n + p.length, 0))
  out.set(head)
  let offset = head.length
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** The profile (tag 1002) of the account whose signing key is `id`. */
export function profileName (id: Uint8Array): XorName {
  return labelledHash('safemesh/profile/v1', id)
}

/** The inbox (tag 1003) of the account whose signing key is `id`. */
export function inboxName (id: Uint8Array): XorName {
  return labelledHash('safemesh/inbox/v1', id)
}
