/** What every route of a running gateway shares. */
import type { ClientOptions, SafeMeshClient } from '@safemesh/client'
import type { Logger } from 'pino'
import type { Sessions } from './session.js'

export interface GatewayState {
  /** A connected client (no account): every read of sites and public data goes through it. */
  readonly reader: SafeMeshClient
  /** How to reach the network: what sessions log in with. */
  readonly clientOptions: ClientOptions
  readonly sessions: Sessions
  readonly log: Logger
  readonly port: number
  /** `http://127.0.0.1:<port>`: the page, its API and the REST API. */
  readonly consoleOrigin: string
  /** `http://localhost:<port>`: sites (`/safe/<service>.<publicId>/…`) and raw files (`/file/<hex>`). */
  readonly contentOrigin: string
  /** The local testnet's folder (its testnet.json), when the gateway runs beside one: the page's node list. */
  readonly testnetDir?: string
  /** Aborted when the gateway closes: long polls and streams end with it. */
  readonly closing: AbortSignal
}
