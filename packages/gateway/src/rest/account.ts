/** What the REST handlers need of the logged-in account: its sharing ID, its share log, a deadline. */
import { isSafeMeshError, type SafeMeshClient, type VerifiedShareLogRecord } from '@safemesh/client'
import { bytesToHex } from '@safemesh/protocol'
import type { GatewayState } from '../state.js'

/** A REST call gives the network this long (a share on a 12-node testnet takes seconds). */
const REQUEST_MS = 120_000

/** Aborted when the call has run too long or the gateway closes. */
export function requestSignal (state: GatewayState): AbortSignal {
  return AbortSignal.any([state.closing, AbortSignal.timeout(REQUEST_MS)])
}

/** The account's sharing ID (its signing key, hex: what `safemesh id` prints). */
export function ownId (client: SafeMeshClient): string {
  const key = client.publicKeys?.sign
  if (key === undefined) throw new Error('a session\'s client has the account\'s keys')
  return bytesToHex(key)
}

/** The account's share log, every record verified (what `safemesh share log` reads); none when it has no log yet. */
export async function ownRecords (client: SafeMeshClient, signal: AbortSignal): Promise<VerifiedShareLogRecord[]> {
  try {
    return await client.shareLog().read({ signal })
  } catch (err) {
    if (isSafeMeshError(err) && err.code === 'NoSuchData') return []
    throw err
  }
}
