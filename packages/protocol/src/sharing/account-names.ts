/**
 * The sharing MutableData every account has at names anyone derives from its ID (its signing key):
 * its profile (tag 1002), its inbox (tag 1003) and its share log (tag 1005). Nodes refuse to store
 * one at another account's name, so nobody can take a person's profile, inbox or log first.
 */
import { SafeMeshError } from '../errors.js'
import { sha3_256 } from '../hash.js'
import { TYPE_TAG_INBOX, TYPE_TAG_PROFILE, TYPE_TAG_SHARE_LOG } from '../data/type-tags.js'
import { bytesToHex, concatBytes, xorNameEquals, type XorName } from '../xorname.js'
import type { MutableData } from '../data/mutable.js'
import { assertShareLogSegmentPut } from './share-log.js'

/** The profile (tag 1002) of the account whose signing key is `id`. */
export function profileName (id: Uint8Array): XorName {
  return labelledHash('safemesh/profile/v1', id)
}

/** The inbox (tag 1003) of the account whose signing key is `id`. */
export function inboxName (id: Uint8Array): XorName {
  return labelledHash('safemesh/inbox/v1', id)
}

/**
 * A new MutableData of a sharing tag must sit at its owner's own name (the log: at one of its
 * owner's segments); other tags pass. InvalidOperation otherwise. Owners are checked elsewhere.
 */
export function assertAccountNamePut (data: MutableData): void {
  const owner = data.owners[0]
  if (data.owners.length !== 1 || owner === undefined) return
  if (data.tag === TYPE_TAG_SHARE_LOG) return assertShareLogSegmentPut(data)
  const expected = data.tag === TYPE_TAG_PROFILE ? profileName(owner) : data.tag === TYPE_TAG_INBOX ? inboxName(owner) : undefined
  if (expected !== undefined && !xorNameEquals(expected, data.name)) {
    throw new SafeMeshError('InvalidOperation', `a MutableData of tag ${data.tag} is stored only at its owner's own name (${bytesToHex(expected)})`)
  }
}

/** SHA3-256(label ‖ parts…). */
export function labelledHash (label: string, ...parts: readonly Uint8Array[]): Uint8Array {
  return sha3_256(labelled(label, ...parts))
}

/** label ‖ parts…: the bytes a domain-separated hash or signature covers. */
export function labelled (label: string, ...parts: readonly Uint8Array[]): Uint8Array {
  return concatBytes(new TextEncoder().encode(label), ...parts)
}
