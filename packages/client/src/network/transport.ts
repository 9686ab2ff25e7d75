/**
 * The seam between the client's logic (quorum, verification, files, sessions) and the network.
 *
 * Everything above this file speaks in close groups and encoded messages; only
 * `libp2p-network.ts` knows about libp2p. Tests put an in-memory network of G fake nodes here,
 * some of which lie or stay silent.
 */
import type { SigningKeyPair } from '@safemesh/crypto'
import type { NetworkParams, XorName } from '@safemesh/protocol'

/** A node as the client addresses it; `id` is stable for the node's lifetime (its peer id). */
export interface NodeRef {
  readonly id: string
}

import type { SendOptions } from '@safemesh/net'

export type { SendOptions }

/** One client's connection to the network, under one identity. */
export interface Transport {
  /** The parameters every node of this network runs with (G, Q, limits). */
  readonly params: NetworkParams
  /**
   * The Ed25519 public key nodes authenticate this client as (its Noise peer key): the
   * `requester` of every account request it sends.
   */
  readonly publicKey: Uint8Array
  /** The G nodes nearest to `name` as this client sees the network, nearest first. */
  closeGroup (name: XorName): NodeRef[]
  /**
   * Sends an encoded `WireMessage` and resolves with the encoded `WireReply`. Rejects with the
   * node's `SafeMeshError` when it refuses, and with `SafeMeshError('Timeout')` when no answer
   * came in time or the node could not be reached.
   */
  send (node: NodeRef, body: Uint8Array, options?: SendOptions): Promise<Uint8Array>
  /**
   * The nodes asked said they are not the group of a name, or too few are known near it: this
   * client's view is out of date (connections a loaded network dropped). Looks for the missing
   * nodes now and resolves when that search has ended (never rejects), so that the retry that
   * follows asks the group of the refreshed view, not the same stale one again.
   */
  refresh?: () => Promise<void>
  /** Stops everything this transport started. Safe to call twice. */
  close (): Promise<void>
}

export interface ConnectTransportOptions {
  signal?: AbortSignal
}

/** A way to join one network; each call gives a transport running as `identity`. */
export interface Network {
  /**
   * Joins as `identity` (the owner's or an app's signing key pair), or as a fresh random key when
   * undefined (connected mode: reads only).
   */
  connect (identity: SigningKeyPair | undefined, options?: ConnectTransportOptions): Promise<Transport>
  /** The network's login salt (network.json's `salt`), when it has one. */
  readonly salt?: string
}
