/**
 * Re-encrypting a container when an app that could read it is revoked (SPEC §9): nothing written
 * after the revocation may open with the keys the app holds. Entry keys are sealed
 * deterministically under the container key and a directory places entries by their sealed key,
 * so a new key moves every entry: the container is copied into a new directory, at a random name
 * the revoked app never learns, under a random key.
 *
 * 1. Freeze the old directory: every user's permissions are removed (children first), so from
 *    here on only the owner can write it and no app's write can land where the copy misses it.
 * 2. Copy its live entries, re-sealed under the new key (records unchanged: files and their
 *    histories keep their own keys).
 * 3. The new directory grants `keep`: the permissions of the apps that keep the container, as
 *    their access entries say (not as the old directory says: a revocation run again after an
 *    interruption finds the old one frozen already).
 *
 * The caller then records the new place in the root container and in the entries of the apps that
 * keep the container; an app that writes to the frozen directory meanwhile gets `AccessDenied`,
 * reads its entry again and retries (`fs.ts`). What the revoked app read before, it keeps.
 */
import { generateSymmetricKey } from '@safemesh/crypto'
import { randomXorName, type UserPermissions } from '@safemesh/protocol'
import type { RequestOptions } from '../requests/request-context.js'
import { Directory, type DirectoryRequests, type ListedEntry } from '../nfs/directory.js'
import type { ContainerInfo } from './containers.js'

export async function reencryptContainer (
  requests: DirectoryRequests,
  owner: Uint8Array,
  container: ContainerInfo,
  keep: readonly UserPermissions[],
  options: RequestOptions = {}
): Promise<ContainerInfo> {
  const old = new Directory(requests, container, owner)
  const head = await old.readHead(options)
  for (const { user } of [...head.permissions.values()]) await old.setPermissions(user, undefined, options)
  const entries: ListedEntry[] = []
  for await (const entry of old.entries(options)) entries.push(entry)
  const next: ContainerInfo = { name: container.name, head: randomXorName(), key: generateSymmetricKey() }
  const copy = await Directory.create(requests, next, owner, keep, options)
  await copy.insertMany(entries, options)
  return next
}
