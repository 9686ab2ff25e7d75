import { mkdir, readFile, rename, writeFile, open } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

/** File in a node's data directory that holds its libp2p Ed25519 peer key (protobuf form). */
const PEER_KEY_FILE = 'peer.key'

/**
 * Loads the node's peer key from `dataDir`, creating it once if absent.
 *
 * The key is written to a temporary file, fsynced and renamed into place, so a
 * node killed while creating it never finds a half-written key on restart: its
 * identity (and so its place in every close group) is stable for the life of
 * the data directory.
 */
export async function loadOrCreatePeerKey (dataDir: string): Promise<PrivateKey> {
  await mkdir(dataDir, { recursive: true })
  const path = join(dataDir, PEER_KEY_FILE)
  try {
    return privateKeyFromProtobuf(await readFile(path))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const key = await generateKeyPair('Ed25519')
  const tmp = `${path}.tmp`
  const handle = await open(tmp, 'w', 0o600)
  try {
    await handle.writeFile(privateKeyToProtobuf(key))
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, path)
  return key
}

/** Writes `value` as JSON to `path` atomically (temporary file + rename). */
export async function writeJsonAtomic (path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n')
  await rename(tmp, path)
}
