import { SafeMeshError, type NetworkParams, type WireMessage, type WireReply } from '@safemesh/protocol'
import type { RoutingView, SendOptions } from '@safemesh/net'

export type { SendOptions }
import type { Store } from '../store/store.js'
import type { PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'

/** What a persona may use of its node: shared routing view, store, parameters and messaging. */
export interface PersonaContext {
  readonly self: PeerId
  readonly routing: RoutingView
  readonly store: Store
  readonly params: NetworkParams
  readonly log: Logger
  /** Sends a message to a node (this one included: delivered locally) and resolves with its reply. */
  send: (peer: PeerId, message: WireMessage, options?: SendOptions) => Promise<WireReply>
  /** Signs with this node's peer key: what it says that others must be able to prove (a sequencer's proposals). */
  sign: (bytes: Uint8Array) => Promise<Uint8Array>
}

/**
 * The Ed25519 public key a peer authenticated with (Noise): a client's peer
 * key is its signing key, so this is who sent a request.
 */
export function senderKey (peer: PeerId): Uint8Array {
  if (peer.type !== 'Ed25519') throw new SafeMeshError('AccessDenied', 'only Ed25519 peers may act on accounts')
  return peer.publicKey.raw
}
