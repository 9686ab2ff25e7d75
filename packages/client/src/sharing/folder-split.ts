/**
 * A folder becomes a directory of its own when it is first shared (docs/protocol.md, "Sharing"):
 * its key opens that folder and nothing else of its container, and a revocation rotates it alone.
 *
 * 1. A new private directory (random head, random key, no permissions) gets the folder's entries,
 *    re-sealed under its key (records unchanged: files keep their own keys, nothing re-uploaded).
 * 2. The root container records it as a container named by the folder's full path
 *    (`_documents/records`); from then on the owner's paths below it resolve there
 *    (`FileSystem`: the longest container name a path starts with).
 * 3. The folder stays in its old container as an explicit folder entry (`records/`), and the
 *    entries copied are deleted there, a batch per node.
 *
 * Recorded before deleting: an interruption leaves the copies in the old container (shadowed, and
 * still listed by `fs ls -r` of the container), never a folder with no home.
 */
import { generateSymmetricKey, type ClientKeys } from '@safemesh/crypto'
import { SafeMeshError, randomXorName, type KeyedEntryAction } from '@safemesh/protocol'
import type { RequestOptions } from '../requests/request-context.js'
import { PrivateEntries } from '../mdata/private-entries.js'
import type { ContainerInfo, RootContainer } from '../auth/containers.js'
import { Directory, type DirectoryRequests, type ListedEntry } from '../nfs/directory.js'
import { decodeEntryRecord, type EntryRecord } from '../nfs/entry-record.js'
import { folderKey } from '../nfs/paths.js'

/** How many deletes one MutateMDataEntries carries. */
const BATCH = 250

interface Found {
  node: { name: Uint8Array, tag: number }
  wireKey: Uint8Array
  version: number
  path: string
  record?: EntryRecord
}

/** Moves the folder `rel` of `container` into a directory of its own; returns where it is now. */
export async function splitFolder (
  requests: DirectoryRequests,
  keys: ClientKeys,
  root: RootContainer,
  container: ContainerInfo,
  rel: string,
  options: RequestOptions = {}
): Promise<ContainerInfo> {
  if (container.key === undefined) throw new SafeMeshError('InvalidOperation', `${container.name} is public: anyone can read it already`)
  const owner = keys.sign.publicKey
  const old = new Directory(requests, container, owner)
  const cipher = new PrivateEntries(container.key)
  const prefix = folderKey(rel)
  const inside: Found[] = []
  let marker: Found | undefined
  for await (const node of old.nodes(options)) {
    const address = { name: node.name, tag: node.tag }
    for (const entry of cipher.decryptEntries([...node.entries.values()])) {
      const path = new TextDecoder().decode(entry.key)
      if (!path.startsWith(prefix)) continue
      const found: Found = { node: address, wireKey: cipher.encryptKey(entry.key), version: entry.version, path }
      if (entry.content.length > 0) found.record = decodeEntryRecord(entry.content)
      if (path === prefix) marker = found
      else if (found.record !== undefined) inside.push(found)
    }
  }
  if (inside.length === 0 && marker?.record === undefined) throw new SafeMeshError('NoSuchEntry', `no file or folder ${JSON.stringify(`${container.name}/${rel}`)}`)

  const info: ContainerInfo = { name: `${container.name}/${rel}`, head: randomXorName(), key: generateSymmetricKey() }
  const made = await Directory.create(requests, info, owner, [], options)
  const moved: ListedEntry[] = inside.map(f => ({ path: f.path.slice(prefix.length), record: f.record as EntryRecord }))
  await made.insertMany(moved, options)
  await root.record(info, undefined, options)

  if (marker?.record === undefined) {
    const now = Date.now()
    const folder: EntryRecord = { kind: 'folder', size: 0, created: now, modified: now, mediaType: 'inode/directory', metadata: new Uint8Array(), version: 1 }
    if (marker === undefined) await old.insert(prefix, folder, options)
    else await old.update(prefix, { node: marker.node, version: marker.version }, folder, options)
  }
  const byNode = new Map<string, { node: Found['node'], actions: KeyedEntryAction[] }>()
  for (const f of inside) {
    const id = Buffer.from(f.node.name).toString('hex')
    const group = byNode.get(id) ?? { node: f.node, actions: [] }
    group.actions.push({ key: f.wireKey, action: { kind: 'Delete', version: f.version + 1 } })
    byNode.set(id, group)
  }
  for (const { node, actions } of byNode.values()) {
    for (let i = 0; i < actions.length; i += BATCH) await requests.mutateMDataEntries(node, actions.slice(i, i + BATCH), options)
  }
  return info
}
