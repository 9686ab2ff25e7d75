/**
 * Which network a command talks to (SPEC §10): `--bootstrap MULTIADDR…` when given, else the
 * network file from `--network FILE`, else `$SAFEMESH_NETWORK`, else `./.testnet/network.json`.
 * The file carries the network's login salt; with `--bootstrap`, `--salt HEX` does.
 */
import { isAbsolute, join } from 'node:path'
import { loadNetworkFile, parseNetworkFile, type NetworkFile } from '@safemesh/net'
import type { CliIo } from './io.js'
import { UsageError } from './usage-error.js'

export interface NetworkFlags {
  network?: string
  bootstrap: string[]
  groupSize?: number
  salt?: string
}

const DEFAULT_NETWORK_FILE = join('.testnet', 'network.json')

/** The network file a command reads (absolute), or undefined with `--bootstrap`. */
export function networkFilePath (io: CliIo, flags: NetworkFlags): string | undefined {
  if (flags.bootstrap.length > 0) return undefined
  const path = flags.network ?? io.env['SAFEMESH_NETWORK'] ?? DEFAULT_NETWORK_FILE
  return isAbsolute(path) ? path : join(io.cwd, path)
}

export async function chooseNetwork (io: CliIo, flags: NetworkFlags): Promise<NetworkFile> {
  if (flags.bootstrap.length > 0) {
    if (flags.network !== undefined) throw new UsageError('give --network or --bootstrap, not both')
    return parseNetworkFile({ bootstrap: flags.bootstrap, groupSize: flags.groupSize, salt: flags.salt }, 'the command line')
  }
  if (flags.salt !== undefined) throw new UsageError('--salt goes with --bootstrap (a network file carries its own salt)')
  const given = flags.network ?? io.env['SAFEMESH_NETWORK']
  const absolute = networkFilePath(io, flags) as string
  let config: NetworkFile
  try {
    config = await loadNetworkFile(absolute)
  } catch (err) {
    const hint = given === undefined ? ' (start one with `npm run testnet -- up`, or give --network FILE or --bootstrap MULTIADDR)' : ''
    throw new UsageError(`${(err as Error).message}${hint}`)
  }
  return flags.groupSize !== undefined ? { ...config, groupSize: flags.groupSize } : config
}
