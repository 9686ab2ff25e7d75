/**
 * `network.json` (SPEC §10): what a client needs to find a network. The testnet writes
 * `{"bootstrap": [multiaddr…], "groupSize": 8, "accountOps": 1000, "nodes": 12, "salt": "<64 hex>"}`;
 * only `bootstrap` is required. `salt` (32 random bytes drawn once per network) salts every login on
 * that network (docs/protocol.md "Login"). The one type of that file, for whoever writes or reads it.
 */
import { readFile } from 'node:fs/promises'
import { networkParams, type NetworkParams } from '@safemesh/protocol'

export interface NetworkFile {
  /** Multiaddrs (with /p2p/<peer id>) of nodes to join through. */
  bootstrap: string[]
  /** G (default 8). */
  groupSize?: number
  /** Each account's allowance of mutations (informative for a client). */
  accountOps?: number
  /** How many nodes the network had when the file was written: the client waits to know them. */
  nodes?: number
  /** The network's login salt: 32 random bytes as 64 lowercase hex digits. Without it clients use a fixed fallback. */
  salt?: string
}

/** Why a network file could not be used (a configuration problem, not a network refusal). */
export class NetworkFileError extends Error {
  override readonly name = 'NetworkFileError'
}

export async function loadNetworkFile (path: string): Promise<NetworkFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new NetworkFileError(code === 'ENOENT' ? `no network file at ${path}` : `cannot read ${path}: ${(err as Error).message}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new NetworkFileError(`${path} is not JSON`)
  }
  return parseNetworkFile(value, path)
}

export function parseNetworkFile (value: unknown, source = 'network file'): NetworkFile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new NetworkFileError(`${source}: expected an object`)
  const record = value as Record<string, unknown>
  const bootstrap = record['bootstrap']
  if (!Array.isArray(bootstrap) || bootstrap.length === 0 || !bootstrap.every((a): a is string => typeof a === 'string')) {
    throw new NetworkFileError(`${source}: "bootstrap" must be a non-empty list of multiaddrs`)
  }
  const config: NetworkFile = { bootstrap }
  for (const field of ['groupSize', 'accountOps', 'nodes'] as const) {
    const n = record[field]
    if (n === undefined) continue
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new NetworkFileError(`${source}: "${field}" must be a non-negative integer`)
    config[field] = n
  }
  if (record['salt'] !== undefined) config.salt = checkNetworkSalt(record['salt'], source)
  return config
}

const NETWORK_SALT_BYTES = 32
const SALT_PATTERN = new RegExp(`^[0-9a-fA-F]{${NETWORK_SALT_BYTES * 2}}$`)

/** A network salt as network.json holds it (64 hex digits, lowercased), or NetworkFileError naming `source`. */
function checkNetworkSalt (value: unknown, source: string): string {
  if (typeof value !== 'string' || !SALT_PATTERN.test(value)) {
    throw new NetworkFileError(`${source}: "salt" must be ${NETWORK_SALT_BYTES} bytes as ${NETWORK_SALT_BYTES * 2} hex digits`)
  }
  return value.toLowerCase()
}

/** The network parameters a config implies (SPEC defaults for everything it does not say). */
export function paramsOf (config: Pick<NetworkFile, 'groupSize' | 'accountOps'>): NetworkParams {
  try {
    return networkParams({
      ...(config.groupSize !== undefined ? { groupSize: config.groupSize } : {}),
      ...(config.accountOps !== undefined && config.accountOps > 0 ? { accountAllowance: config.accountOps } : {})
    })
  } catch (err) {
    throw new NetworkFileError((err as Error).message)
  }
}
