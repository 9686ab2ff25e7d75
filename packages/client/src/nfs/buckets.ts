/**
 * How a directory outgrows one MutableData (SPEC §2: 1000 entries, 1 MiB). A directory is a tree
 * of MutableData of tag 15000: the head, then up to 16 children per node, created only when their
 * parent is full. An entry's place is fixed by its key: at depth d it can only go to the child
 * named by the d-th nibble of SHA3-256(key), and it goes one level down only when a one-entry
 * insert at the level above failed with `TooManyEntries` or `DataTooLarge`. Entries never move
 * and a full node stays full (deletes leave tombstones), so two writers of one new key always meet
 * at the same node, where one gets `EntryExists`: a directory never holds a key twice.
 */
import { ACTIONS, ANYONE, bytesEqual, mutableDataSize, sha3_256, userId, type Action, type MutableData, type NetworkParams, type User, type XorName } from '@safemesh/protocol'
import { MAX_PATH_BYTES } from './paths.js'
import { MAX_MEDIA_TYPE_LENGTH, MAX_USER_METADATA_BYTES } from './entry-record.js'

export const BUCKET_FANOUT = 16
/** 16^8 nodes of 1000 entries: far beyond any directory's needs, and a bound on a lister's work. */
export const MAX_BUCKET_DEPTH = 8
/** An upper bound on one entry's serialised size (key, sealed record, framing). */
const MAX_ENTRY_BYTES = MAX_PATH_BYTES + MAX_USER_METADATA_BYTES + MAX_MEDIA_TYPE_LENGTH + 1024

const BUCKET_LABEL = new TextEncoder().encode('safemesh/nfs-bucket/v1')

/** The nibbles that lead from the head to the node at `depth` for this entry key. */
export function bucketPath (wireKey: Uint8Array, depth: number): number[] {
  const hash = sha3_256(wireKey)
  const path: number[] = []
  for (let d = 0; d < depth; d++) {
    const byte = hash[d >> 1] ?? 0
    path.push(d % 2 === 0 ? byte >> 4 : byte & 15)
  }
  return path
}

/** The name of the node reached from `head` by `path` (the head itself for an empty path). */
export function bucketName (head: XorName, path: readonly number[]): XorName {
  if (path.length === 0) return head
  const input = new Uint8Array(head.length + BUCKET_LABEL.length + path.length)
  input.set(head)
  input.set(BUCKET_LABEL, head.length)
  input.set(path, head.length + BUCKET_LABEL.length)
  return sha3_256(input)
}

/** Whether a node may have children: only a full one does (a one-entry insert could fail on it). */
export function mayHaveChildren (node: MutableData, params: Pick<NetworkParams, 'maxMutableDataEntries' | 'maxMutableDataSize'>): boolean {
  return node.entries.size >= params.maxMutableDataEntries || mutableDataSize(node) > params.maxMutableDataSize - MAX_ENTRY_BYTES
}

/**
 * Whether a child node grants anyone an action its head does not: anyone who may insert can create
 * a child, so a child is trusted only as far as the head's permissions reach, and ignored beyond.
 */
export function grantsBeyond (child: MutableData, head: MutableData): boolean {
  if (child.owners.length !== 1 || head.owners.length !== 1 || !bytesEqual(child.owners[0] as Uint8Array, head.owners[0] as Uint8Array)) return true
  for (const granted of child.permissions.values()) {
    for (const action of ACTIONS) {
      if (granted.permissions[action] === true && !allowedIn(head, granted.user, action)) return true
    }
  }
  return false
}

function allowedIn (md: MutableData, user: User, action: Action): boolean {
  const own = md.permissions.get(userId(user))?.permissions[action]
  if (own !== undefined) return own
  return md.permissions.get(userId(ANYONE))?.permissions[action] === true
}
