/**
 * The network's rule for public ids (SPEC §9, docs/protocol.md): a new MutableData of tag 15001
 * names its public id in its `_publicId` entry and sits at SHA3-256 of that id. So the data at a
 * name is always for the id that hashes to it, and the first valid PutMData there owns the id
 * (a second one is `DataExists`). Checked by Maid-Managers and Data-Managers alike.
 */
import { SafeMeshError } from '../errors.js'
import { TYPE_TAG_PUBLIC_ID } from '../data/type-tags.js'
import { entryKeyId, type MutableData } from '../data/mutable.js'
import { bytesToHex, xorNameEquals } from '../xorname.js'
import { isLabel, publicIdName } from './labels.js'
import { PUBLIC_ID_ENTRY } from './service-entry.js'

const PUBLIC_ID_KEY = entryKeyId(new TextEncoder().encode(PUBLIC_ID_ENTRY))

/** `InvalidOperation` unless a tag-15001 PutMData names a valid public id that hashes to its name; other tags pass. */
export function assertPublicIdPut (data: MutableData): void {
  if (data.tag !== TYPE_TAG_PUBLIC_ID) return
  const entry = data.entries.get(PUBLIC_ID_KEY)
  const publicId = entry === undefined ? undefined : utf8OrUndefined(entry.content)
  if (publicId === undefined || !isLabel(publicId)) {
    throw new SafeMeshError('InvalidOperation', `a MutableData of tag ${TYPE_TAG_PUBLIC_ID} names its public id (1 to 63 of a-z, 0-9, "-") in its ${PUBLIC_ID_ENTRY} entry`)
  }
  const expected = publicIdName(publicId)
  if (!xorNameEquals(expected, data.name)) {
    throw new SafeMeshError('InvalidOperation', `the public id ${JSON.stringify(publicId)} is stored only at SHA3-256 of its name (${bytesToHex(expected)})`)
  }
}

function utf8OrUndefined (bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}
