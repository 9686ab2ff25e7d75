/**
 * Who a client acts as (SPEC §6): connected (no account, reads only), the account's owner, or an
 * app the owner authorised. Account requests name the account (SHA3-256 of the owner's signing
 * key: its Maid-Managers) and the requester (the key the client actually runs as, which the
 * Maid-Managers check against the Noise peer).
 */
import type { ClientKeys } from '@safemesh/crypto'
import { SafeMeshError, accountNameOf, type XorName } from '@safemesh/protocol'

/** What a login knows beyond the keys: where the session packet is, and the root container. */
export interface AccountSession {
  /** The session packet's name (tag 0). */
  location: XorName
  /** The account's root container (SPEC §9). */
  root: XorName
}

export type Identity =
  | { readonly mode: 'connected' }
  | { readonly mode: 'account', readonly keys: ClientKeys, readonly session?: AccountSession }
  | { readonly mode: 'app', readonly app: string, readonly owner: Uint8Array, readonly keys: ClientKeys, readonly access?: XorName }

/** How a client acts (SPEC §6). */
export type ClientMode = 'connected' | 'account' | 'app'

/** The fields every account request carries. */
export interface Actor {
  readonly account: XorName
  readonly requester: Uint8Array
}

/** The owner's signing public key: what every MutableData this client creates is owned by. */
export function ownerKey (identity: Identity): Uint8Array | undefined {
  switch (identity.mode) {
    case 'connected': return undefined
    case 'account': return identity.keys.sign.publicKey
    case 'app': return identity.owner
  }
}

/** The account and requester of this identity's account requests; connected clients have none. */
export function actorOf (identity: Identity): Actor {
  if (identity.mode === 'connected') {
    throw new SafeMeshError('AccessDenied', 'connected without an account: reads only (log in, or act as an app)')
  }
  const owner = identity.mode === 'account' ? identity.keys.sign.publicKey : identity.owner
  return { account: accountNameOf(owner), requester: identity.keys.sign.publicKey }
}
