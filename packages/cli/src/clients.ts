/**
 * The clients a command needs, made once and closed at the end: connected (reads), acting (the
 * app of `$SAFEMESH_APP`, else the owner logged in) or the owner itself (apps, account creation).
 */
import type { ClientKeys, DeriveKeyOptions } from '@safemesh/crypto'
import { pino, type Logger } from 'pino'
import { type SafeMeshClient, type ClientOptions, checkNewCredentials, connectLink, libp2pNetwork, decodeAppCredentials, createClient, createAccount, login } from '@safemesh/client'
import { appCredentialsOf, ownerCredentials } from './credentials.js'
import type { CliIo } from './io.js'
import { chooseNetwork, networkFilePath, type NetworkFlags } from './network-choice.js'
import { UsageError } from './usage-error.js'

export interface ClientFlags extends NetworkFlags {
  logLevel: string
  timeout?: number
}

export class CliClients {
  private readonly io: CliIo
  private readonly flags: ClientFlags
  private readonly log: Logger
  private readonly opened: SafeMeshClient[] = []
  private network?: Promise<Pick<ClientOptions, 'network' | 'networkSalt'>>
  private reader?: Promise<SafeMeshClient>

  constructor (io: CliIo, flags: ClientFlags) {
    this.io = io
    this.flags = flags
    this.log = pino({ level: flags.logLevel, base: { name: 'safemesh' } }, io.stderr)
  }

  /** No account: reads only. */
  async connected (): Promise<SafeMeshClient> {
    this.reader ??= this.track(async (options) => await createClient(options))
    return await this.reader
  }

  /** The app of `$SAFEMESH_APP`, else the owner (secret and password). */
  async acting (): Promise<SafeMeshClient> {
    const app = appCredentialsOf(this.io)
    if (app !== undefined) return await this.track(async (options) => await createClient({ ...options, app }))
    return await this.owner()
  }

  /** The owner, logged in with the secret and password. */
  async owner (): Promise<SafeMeshClient> {
    if (appCredentialsOf(this.io) !== undefined) throw new UsageError('this command needs the account owner; unset SAFEMESH_APP')
    const { secret, password } = await ownerCredentials(this.io)
    return await this.track(async (options) => await login({ secret, password }, options))
  }

  /** A client that runs as a share link's key: what reads `link:<link>/…` (no credentials needed). */
  async linked (link: string): Promise<SafeMeshClient> {
    return await this.track(async (options) => await connectLink(link, options))
  }

  async createAccount (): Promise<SafeMeshClient> {
    if (appCredentialsOf(this.io) !== undefined) throw new UsageError('an app cannot create accounts; unset SAFEMESH_APP')
    const { secret, password } = await ownerCredentials(this.io, { confirm: true, check: checkNewCredentials })
    return await this.track(async (options) => await createAccount({ secret, password }, options))
  }

  /**
   * The keys of whoever acts, without joining as them: the app's (from its credentials, no network
   * needed), else the owner's, read from the session packet through a connected client.
   */
  async actingKeys (): Promise<ClientKeys> {
    const app = appCredentialsOf(this.io)
    if (app !== undefined) return decodeAppCredentials(app).keys
    const { secret, password } = await ownerCredentials(this.io)
    const reader = await this.connected()
    return (await reader.openSession({ secret, password }, this.kdf())).keys
  }

  /** How this command reaches the network (what a gateway connects and logs in with). */
  async clientOptions (): Promise<ClientOptions> {
    return await this.options()
  }

  /** The network file in use (absolute), or undefined with `--bootstrap`. */
  networkFile (): string | undefined {
    return networkFilePath(this.io, this.flags)
  }

  async closeAll (): Promise<void> {
    await Promise.all(this.opened.map(async client => { await client.close() }))
  }

  private async track (open: (options: ClientOptions) => Promise<SafeMeshClient>): Promise<SafeMeshClient> {
    const client = await open(await this.options())
    this.opened.push(client)
    return client
  }

  private async options (): Promise<ClientOptions> {
    this.network ??= (async () => {
      if (this.io.network !== undefined) return { network: this.io.network }
      const file = await chooseNetwork(this.io, this.flags)
      return { network: libp2pNetwork({ ...file, log: this.log }), ...(file.salt !== undefined ? { networkSalt: file.salt } : {}) }
    })()
    return {
      ...await this.network,
      log: this.log,
      ...(this.flags.timeout !== undefined ? { requestTimeout: this.flags.timeout } : {}),
      ...this.kdf(),
      ...(this.io.signal != null ? { signal: this.io.signal } : {})
    }
  }

  private kdf (): { kdf?: DeriveKeyOptions } {
    return this.io.kdf !== undefined ? { kdf: this.io.kdf } : {}
  }
}
