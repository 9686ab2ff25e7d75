/**
 * The SafeMesh client (SPEC §3, §6–§9): one typed method per request, verified reads, quorum with
 * bounded retries, self-encrypted files, accounts, apps with their containers, and `fs` (NFS).
 *
 * ```ts
 * const network = await loadNetworkFile('.testnet/network.json') // the config itself: its `salt` salts logins
 * const client = await login({ secret, password }, { network })
 * const { address } = await client.putFile(createReadStream('photo.jpg'))
 * for await (const piece of client.getFile(address)) process.stdout.write(piece)
 * await client.close()
 * ```
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { cryptoReady, generateClientKeys, type ClientKeys, type DeriveKeyOptions } from '@safemesh/crypto'
import {
  ANYONE, SafeMeshError, accountNameOf, TYPE_TAG_SESSION_PACKET, bytesEqual, entryKeyId, isSafeMeshError, keyUser, newMutableData,
  randomXorName, validateNewMutableData, xorNameFromHex,
  type KeyedEntryAction, type MutableData, type MutableDataEntry, type MutableDataValue, type NetworkParams,
  type PermissionSet, type ReceivedCredit, type User, type UserPermissions, type XorName
} from '@safemesh/protocol'
import { pino, type Logger } from 'pino'
import { getFile, type GetFileOptions } from './files/get-file.js'
import { putFile, type PutFileOptions, type PutFileResult } from './files/put-file.js'
import type { ChunkStore } from './files/chunk-store.js'
import { actorOf, ownerKey, type AccountSession, type ClientMode, type Identity } from './identity.js'
import { PrivateEntries } from './mdata/private-entries.js'
import { libp2pNetwork, type Libp2pNetworkOptions } from './network/libp2p-network.js'
import type { Network, Transport } from './network/transport.js'
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './quorum/retry.js'
import { readAccount, sendMutation } from './requests/account-requests.js'
import { putImmutableData, type PutIDataResult } from './requests/chunk-upload.js'
import { getShareEnvelope, readImmutableData, readMutableData, type ShareEnvelope } from './requests/data-reads.js'
import { DEFAULT_REQUEST_TIMEOUT, type ClientContext, type RequestOptions } from './requests/request-context.js'
import { decodeAppCredentials, type AppCredentials } from './session/app-credentials.js'
import { authoriseApp, listApps, revokeApp, type AppInfo, type AuthorisedApp, type AuthoriseOptions, type OwnerContext, type RevokedApp } from './session/apps.js'
import { AccessContainer, OWN_CONTAINER_ACCESS } from './auth/access-container.js'
import { RootContainer } from './auth/containers.js'
import { FileSystem, type ContainerSource } from './nfs/file-system.js'
import { checkNewCredentials } from './session/credential-strength.js'
import { listCredits, transferCredit, type TransferCreditOptions, type TransferCreditResult } from './requests/credit-requests.js'
import { ShareLog } from './sharing/share-log.js'
import { verifyShareLogOnNetwork, type ShareLogReport, type VerifyShareLogOptions } from './sharing/share-log-verify.js'
import { Sharing, ensureSharingQuietly } from './sharing/sharing.js'
import { ShareMounts } from './sharing/mounts.js'
import { Web } from './web/web.js'
import { fileSize } from './web/file-size.js'
import { deriveSessionSecrets, FALLBACK_NETWORK_SALT, invalidCredentials, LOGIN_ENTRY_KEY, networkSaltFrom, newSessionPacket, openLogin, SESSION_PACKET_TAG, type SessionSecrets } from './session/session-packet.js'

/** Where a MutableData is: its name and type tag. */
export interface MDataAddress {
  readonly name: XorName
  readonly tag: number
}

/** What logs an account in: the secret (where its session packet is) and the password (what opens it). */
export interface Credentials {
  readonly secret: string
  readonly password: string
}

export interface ClientOptions {
  /** The network: a `Network` (e.g. `libp2pNetwork(…)`, or a fake in tests), or its config (bootstrap, G…). */
  network: Network | Libp2pNetworkOptions
  /** How long to wait for one node's answer (ms). Default 30 s. */
  requestTimeout?: number
  /** Retries of requests whose group did not agree or answer (default: 3 tries). */
  retry?: Partial<RetryPolicy>
  /** Argon2id limits for login and account creation (default: crypto's, 256 MiB and 3 passes). Tests only. */
  kdf?: DeriveKeyOptions
  /**
   * The network's login salt (network.json's `salt`, 64 hex digits, or its 32 bytes). Default:
   * `network.salt` when `network` is a config; else a fixed fallback salt, with a warning.
   */
  networkSalt?: string | Uint8Array
  log?: Logger
  /** Aborts connecting (and logging in). */
  signal?: AbortSignal
}

export interface ConnectOptions extends ClientOptions {
  /** Account mode: the owner's client keys. */
  keys?: ClientKeys
  /** App mode: the credentials `authoriseApp` returned (or their string form). */
  app?: AppCredentials | string
}

/** A login's result: the account's keys and where its session packet is. */
export interface Session extends AccountSession {
  keys: ClientKeys
}

export interface AccountInfo {
  mutationsDone: number
  /** allowance + creditsReceived − creditsSent − mutationsDone, never below 0. */
  mutationsAvailable: number
  /** Credits received from other accounts (TransferCredit), and sent to them. */
  creditsReceived: number
  creditsSent: number
}

export interface AuthKeys {
  keys: Uint8Array[]
  version: number
}

export interface NewMutableDataOptions extends RequestOptions {
  tag: number
  /** Default: a random name. */
  name?: XorName
  entries?: ReadonlyArray<{ key: Uint8Array, content: Uint8Array }>
  permissions?: readonly UserPermissions[]
  /** Encrypt the entries with the acting identity's symmetric key (`mdata/private-entries.ts`). */
  private?: boolean
}

export interface PublicKeys {
  sign: Uint8Array
  encrypt: Uint8Array
}

/** What an app gets on its own MutableData: everything an owner could do but change the owner. */
const APP_PERMISSIONS: PermissionSet = Object.freeze({ Insert: true, Update: true, Delete: true, ManagePermissions: true })

/** The client behind the `SafeMeshClient` interface (its public members are the interface). */
export class MeshClient {
  private readonly transport: Transport
  private readonly identity: Identity
  private readonly ctx: ClientContext
  private readonly salting: SaltOptions
  private closing?: Promise<void>
  private files?: FileSystem
  private shareLogOfOwner?: ShareLog
  private shareMounts?: ShareMounts

  private constructor (transport: Transport, identity: Identity, options: ClientOptions) {
    if (identity.mode !== 'connected' && !bytesEqual(identity.keys.sign.publicKey, transport.publicKey)) {
      throw new Error('the transport does not run as the identity\'s signing key')
    }
    this.transport = transport
    this.identity = identity
    this.salting = { network: options.network, ...(options.networkSalt !== undefined ? { networkSalt: options.networkSalt } : {}), ...(options.log !== undefined ? { log: options.log } : {}) }
    this.ctx = {
      transport,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      timeout: options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT
    }
  }

  // ---- Ways in (SPEC §6) ----

  /** Connected mode (no keys: reads only), account mode (`keys`) or app mode (`app`). */
  static async connect (options: ConnectOptions): Promise<MeshClient> {
    if (options.keys != null && options.app != null) throw new SafeMeshError('InvalidRequest', 'give keys or app credentials, not both')
    await cryptoReady()
    let identity: Identity = { mode: 'connected' }
    if (options.keys != null) identity = { mode: 'account', keys: options.keys }
    if (options.app != null) {
      const app = typeof options.app === 'string' ? decodeAppCredentials(options.app) : options.app
      identity = { mode: 'app', app: app.app, owner: app.owner, keys: app.keys, ...(app.access !== undefined ? { access: app.access } : {}) }
    }
    const transport = await networkOf(options).connect(identity.mode === 'connected' ? undefined : identity.keys.sign, signalOf(options))
    return new MeshClient(transport, identity, options)
  }

  /**
   * Creates an account (SPEC §8): new client keys, and their session packet stored through the
   * new account's own Maid-Managers, which opens the account (`AccountExists` when the same secret
   * and password are taken). Returns a client in account mode. A weak secret or password is
   * `InvalidRequest`, before any network work.
   */
  static async createAccount (secret: string, password: string, options: ClientOptions): Promise<MeshClient> {
    checkNewCredentials(secret, password)
    const salt = networkSaltOf(options)
    await cryptoReady()
    const keys = generateClientKeys()
    const root = randomXorName()
    const connecting = networkOf(options).connect(keys.sign, signalOf(options))
    connecting.catch(() => {})
    const secrets = await deriveWhileConnecting(secret, password, salt, options.kdf)
    const transport = await connecting
    const client = new MeshClient(transport, { mode: 'account', keys, session: { location: secrets.location, root } }, options)
    try {
      await client.putMData(newSessionPacket(secrets, { keys, root }), signalOf(options))
      await client.ensureContainers(options)
      // Profile, inbox and share log: what others need to share with the account (issue 15).
      await ensureSharingQuietly(client.sharing(), { ...signalOf(options), ...(options.log !== undefined ? { log: options.log } : {}) })
    } catch (err) {
      await client.close()
      throw err
    }
    return client
  }

  /**
   * Makes whatever of the account's containers is missing (SPEC §9): at creation, and at each login
   * so that an account made before containers, or whose creation was interrupted, gets them. An
   * account out of mutations still logs in (a warning; its containers come once it has some).
   */
  private async ensureContainers (options: ClientOptions): Promise<void> {
    const keys = this.keys
    const session = this.session
    if (keys === undefined || session === undefined) return
    try {
      await new RootContainer(this, keys, session.root).ensure(signalOf(options))
    } catch (err) {
      if (!(isSafeMeshError(err) && err.code === 'LowBalance')) throw err
      options.log?.warn({ err }, 'the account has no mutations left to make its containers')
    }
  }

  /**
   * Logs in (SPEC §8): reads the session packet without an account, decrypts it, and reconnects as
   * the account's key. A wrong secret and a wrong password are the same `InvalidCredentials`.
   */
  static async login (secret: string, password: string, options: ClientOptions): Promise<MeshClient> {
    const salt = networkSaltOf(options)
    await cryptoReady()
    const network = networkOf(options)
    const connecting = network.connect(undefined, signalOf(options))
    connecting.catch(() => {})
    const secrets = await deriveWhileConnecting(secret, password, salt, options.kdf)
    const reader = new MeshClient(await connecting, { mode: 'connected' }, options)
    let session: Session
    try {
      session = await reader.openSessionWith(secrets, signalOf(options))
    } finally {
      await reader.close()
    }
    const transport = await network.connect(session.keys.sign, signalOf(options))
    const client = new MeshClient(transport, { mode: 'account', keys: session.keys, session: { location: session.location, root: session.root } }, options)
    try {
      await client.ensureContainers(options)
    } catch (err) {
      await client.close()
      throw err
    }
    return client
  }

  /**
   * Reads and opens a session packet without changing who this client acts as: the account's keys,
   * e.g. to decrypt private data while connected. `InvalidCredentials` as for `login`. The network
   * salt is this client's (its options'), unless `networkSalt` is given.
   */
  async openSession ({ secret, password }: Credentials, options: RequestOptions & Pick<ClientOptions, 'kdf' | 'networkSalt'> = {}): Promise<Session> {
    const salt = networkSaltOf({ ...this.salting, ...(options.networkSalt !== undefined ? { networkSalt: options.networkSalt } : {}) })
    await cryptoReady()
    return await this.openSessionWith(deriveSessionSecrets(secret, password, salt, options.kdf), options)
  }

  private async openSessionWith (secrets: SessionSecrets, options: RequestOptions): Promise<Session> {
    let packet: MutableData
    try {
      packet = await this.getMData({ name: secrets.location, tag: SESSION_PACKET_TAG }, options)
    } catch (err) {
      if (isSafeMeshError(err) && err.code === 'NoSuchData') throw invalidCredentials()
      throw err
    }
    const login = packet.entries.get(entryKeyId(LOGIN_ENTRY_KEY))
    if (login === undefined) throw invalidCredentials()
    const { keys, root } = openLogin(login.content, secrets.key)
    // The packet must be the account's own: owned by the key it holds.
    if (packet.owners.length !== 1 || !bytesEqual(packet.owners[0] ?? new Uint8Array(), keys.sign.publicKey)) throw invalidCredentials()
    return { keys, root, location: secrets.location }
  }

  // ---- Who this client is ----

  get mode (): ClientMode {
    return this.identity.mode
  }

  get params (): NetworkParams {
    return this.transport.params
  }

  /** The account acted for (undefined when connected). */
  get account (): XorName | undefined {
    const owner = ownerKey(this.identity)
    return owner === undefined ? undefined : accountNameOf(owner)
  }

  /** The owner's signing public key (undefined when connected). */
  get owner (): Uint8Array | undefined {
    return ownerKey(this.identity)
  }

  /** The app id, in app mode. */
  get app (): string | undefined {
    return this.identity.mode === 'app' ? this.identity.app : undefined
  }

  /** The keys this client acts with: the owner's, or the app's (undefined when connected). */
  get keys (): ClientKeys | undefined {
    return this.identity.mode === 'connected' ? undefined : this.identity.keys
  }

  /** The public halves of `keys`: what `safemesh keys` shows. */
  get publicKeys (): PublicKeys | undefined {
    const keys = this.keys
    return keys === undefined ? undefined : { sign: keys.sign.publicKey, encrypt: keys.encrypt.publicKey }
  }

  /** The session, when this client logged in or created its account. */
  get session (): AccountSession | undefined {
    return this.identity.mode === 'account' ? this.identity.session : undefined
  }

  // ---- ImmutableData ----

  /** An ImmutableData value, verified against its name. */
  async getIData (name: XorName, options: RequestOptions = {}): Promise<Uint8Array> {
    return await readImmutableData(this.ctx, name, options)
  }

  /** Stores a value as ImmutableData; free when it is already stored. */
  async putIData (value: Uint8Array, options: RequestOptions = {}): Promise<PutIDataResult> {
    return await putImmutableData(this.ctx, actorOf(this.identity), value, options)
  }

  // ---- MutableData reads ----

  async getMData ({ name, tag }: MDataAddress, options: RequestOptions = {}): Promise<MutableData> {
    return (await readMutableData(this.ctx, { type: 'GetMData', name, tag }, options)).data
  }

  /** The MutableData without its entries. */
  async getMDataShell ({ name, tag }: MDataAddress, options: RequestOptions = {}): Promise<MutableData> {
    return (await readMutableData(this.ctx, { type: 'GetMDataShell', name, tag }, options)).data
  }

  async getMDataVersion ({ name, tag }: MDataAddress, options: RequestOptions = {}): Promise<number> {
    return (await readMutableData(this.ctx, { type: 'GetMDataVersion', name, tag }, options)).version
  }

  /** Every entry in key order, tombstones included. */
  async listMDataEntries ({ name, tag }: MDataAddress, options: RequestOptions = {}): Promise<MutableDataEntry[]> {
    return (await readMutableData(this.ctx, { type: 'ListMDataEntries', name, tag }, options)).entries
  }

  async listMDataKeys ({ name, tag }: MDataAddress, options: RequestOptions = {}): Promise<Uint8Array[]> {
    return (await readMutableData(this.ctx, { type: 'ListMDataKeys', name, tag }, options)).keys
  }

  /** Values in key order. */
  async listMDataValues ({ name, tag }: MDataAddress, options: RequestOptions = {}): Promise<MutableDataValue[]> {
    return (await readMutableData(this.ctx, { type: 'ListMDataValues', name, tag }, options)).values
  }

  /** One entry's value (a tombstone has empty content); `NoSuchEntry` when the key never existed. */
  async getMDataValue ({ name, tag }: MDataAddress, key: Uint8Array, options: RequestOptions = {}): Promise<MutableDataValue> {
    return (await readMutableData(this.ctx, { type: 'GetMDataValue', name, tag, key }, options)).value
  }

  async listMDataPermissions ({ name, tag }: MDataAddress, options: RequestOptions = {}): Promise<UserPermissions[]> {
    return (await readMutableData(this.ctx, { type: 'ListMDataPermissions', name, tag }, options)).permissions
  }

  /** `NoSuchKey` when the user has no permissions set. */
  async listMDataUserPermissions ({ name, tag }: MDataAddress, user: User, options: RequestOptions = {}): Promise<PermissionSet> {
    return (await readMutableData(this.ctx, { type: 'ListMDataUserPermissions', name, tag, user }, options)).permissions
  }

  /**
   * A read-gated share's gate entry and this client's envelope in it (tag 1004): `AccessDenied`
   * unless the gate names this client's key, `Expired` after its expiry; `payment` is the messageId
   * of the transfer paying a priced gate (served for 10 minutes from its first use).
   */
  async getShareEnvelope (name: XorName, tag: number, payment?: Uint8Array, options: RequestOptions = {}): Promise<ShareEnvelope> {
    return await getShareEnvelope(this.ctx, name, tag, payment, options)
  }

  // ---- MutableData mutations ----

  /** Stores a new MutableData (checked locally first: owners, entry count, size). */
  async putMData (data: MutableData, options: RequestOptions = {}): Promise<void> {
    validateNewMutableData(data, this.params)
    const actor = actorOf(this.identity)
    await sendMutation(this.ctx, (messageId) => ({ type: 'PutMData', ...actor, messageId, data }), options)
  }

  /**
   * Creates a MutableData owned by the account's owner (SPEC §4). An app also gets every
   * permission on it but changing the owner, since an app key is never an owner.
   */
  async createMData (init: NewMutableDataOptions): Promise<MutableData> {
    const owner = ownerKey(this.identity)
    const keys = this.keys
    if (owner === undefined || keys === undefined) throw actorMissing()
    if (init.tag === TYPE_TAG_SESSION_PACKET) throw new SafeMeshError('InvalidRequest', 'tag 0 is for session packets')
    const privately = init.private === true ? new PrivateEntries(keys.symmetric) : undefined
    const entries = (init.entries ?? []).map(e => {
      if (privately === undefined) return e
      const key = privately.encryptKey(e.key)
      return { key, content: privately.encryptValue(e.content, key, 0) }
    })
    if (privately !== undefined) entries.push(privately.marker())
    const permissions = [...(init.permissions ?? [])]
    if (this.identity.mode === 'app' && !permissions.some(p => p.user.kind === 'Key' && bytesEqual(p.user.key, keys.sign.publicKey))) {
      permissions.push({ user: keyUser(keys.sign.publicKey), permissions: APP_PERMISSIONS })
    }
    const data = newMutableData({ name: init.name ?? randomXorName(), tag: init.tag, owners: [owner], entries, permissions })
    await this.putMData(data, init)
    return data
  }

  /** The entry cipher of private MutableData created by this identity. */
  privateEntries (): PrivateEntries {
    const keys = this.keys
    if (keys === undefined) throw actorMissing()
    return new PrivateEntries(keys.symmetric)
  }

  /** Inserts, updates and deletes entries, all or nothing (SPEC §2). */
  async mutateMDataEntries ({ name, tag }: MDataAddress, actions: KeyedEntryAction[], options: RequestOptions = {}): Promise<void> {
    const actor = actorOf(this.identity)
    await sendMutation(this.ctx, (messageId) => ({ type: 'MutateMDataEntries', ...actor, messageId, name, tag, actions }), options)
  }

  /** Sets (replaces) a user's permissions; `version` is the data's version + 1. */
  async setMDataUserPermissions ({ name, tag }: MDataAddress, { user, permissions, version }: { user: User, permissions: PermissionSet, version: number }, options: RequestOptions = {}): Promise<void> {
    const actor = actorOf(this.identity)
    await sendMutation(this.ctx, (messageId) => ({ type: 'SetMDataUserPermissions', ...actor, messageId, name, tag, user, permissions, version }), options)
  }

  /** Removes a user's permissions; `version` is the data's version + 1. */
  async delMDataUserPermissions ({ name, tag }: MDataAddress, { user, version }: { user: User, version: number }, options: RequestOptions = {}): Promise<void> {
    const actor = actorOf(this.identity)
    await sendMutation(this.ctx, (messageId) => ({ type: 'DelMDataUserPermissions', ...actor, messageId, name, tag, user, version }), options)
  }

  /** Hands the data to `newOwner` (only the owner acting itself may). */
  async changeMDataOwner ({ name, tag }: MDataAddress, { newOwner, version }: { newOwner: Uint8Array, version: number }, options: RequestOptions = {}): Promise<void> {
    const actor = actorOf(this.identity)
    await sendMutation(this.ctx, (messageId) => ({ type: 'ChangeMDataOwner', ...actor, messageId, name, tag, newOwners: [newOwner], version }), options)
  }

  // ---- Account ----

  async getAccountInfo (options: RequestOptions = {}): Promise<AccountInfo> {
    const { mutationsDone, mutationsAvailable, creditsReceived, creditsSent } = await readAccount(this.ctx, { type: 'GetAccountInfo', ...actorOf(this.identity) }, options)
    return { mutationsDone, mutationsAvailable, creditsReceived, creditsSent }
  }

  /**
   * Moves `amount` credits to the account named `to` (`accountNameOf` of its owner's key), the
   * owner acting itself; costs exactly `amount`, no op. Retry with the same `messageId` to never pay twice.
   */
  async transferCredit (to: XorName, amount: number, options: TransferCreditOptions = {}): Promise<TransferCreditResult> {
    return await transferCredit(this.ctx, actorOf(this.identity), to, amount, options)
  }

  /** The credits this account received: the most recent 1000, oldest first (owner only). */
  async listCredits (options: RequestOptions = {}): Promise<ReceivedCredit[]> {
    return await listCredits(this.ctx, actorOf(this.identity), options)
  }

  async listAuthKeysAndVersion (options: RequestOptions = {}): Promise<AuthKeys> {
    const { keys, version } = await readAccount(this.ctx, { type: 'ListAuthKeysAndVersion', ...actorOf(this.identity) }, options)
    return { keys, version }
  }

  /** Authorises an app key; `version` is the auth-key version + 1. */
  async insAuthKey (key: Uint8Array, version: number, options: RequestOptions = {}): Promise<void> {
    const actor = actorOf(this.identity)
    await sendMutation(this.ctx, (messageId) => ({ type: 'InsAuthKey', ...actor, messageId, key, version }), options)
  }

  async delAuthKey (key: Uint8Array, version: number, options: RequestOptions = {}): Promise<void> {
    const actor = actorOf(this.identity)
    await sendMutation(this.ctx, (messageId) => ({ type: 'DelAuthKey', ...actor, messageId, key, version }), options)
  }

  // ---- Apps (needs a login: the registry is in the session packet) ----

  /**
   * Authorises `app` (SPEC §9): its keys (the same credentials when it already is), the containers
   * it may use with their permissions at the Data-Managers and their keys, optionally its own
   * container `apps/<app>`, and its auth key at the Maid-Managers.
   */
  async authoriseApp (app: string, options: AuthoriseOptions = {}): Promise<AuthorisedApp> {
    return await authoriseApp(this.ownerContext(), app, options)
  }

  async listApps (options: RequestOptions = {}): Promise<AppInfo[]> {
    return await listApps(this.ownerContext(), options)
  }

  /**
   * Revokes `app`: its auth key, its permissions on every container, and every private container it
   * could read is re-encrypted under a new key (`reencrypted` names them).
   */
  async revokeApp (app: string, options: RequestOptions = {}): Promise<RevokedApp> {
    return await revokeApp(this.ownerContext(), app, options)
  }

  private ownerContext (): OwnerContext {
    if (this.identity.mode === 'app') throw new SafeMeshError('AccessDenied', 'an app cannot manage apps')
    if (this.identity.mode !== 'account' || this.identity.session === undefined) {
      throw new SafeMeshError('InvalidOperation', 'managing apps needs a login with the secret and password')
    }
    return { requests: this, keys: this.identity.keys, location: this.identity.session.location, root: this.identity.session.root }
  }

  // ---- Share log (issue 15) ----

  /**
   * The account's share log, for its owner: `append` adds a signed record. Only the owner signs
   * it (an app or a connected client cannot): AccessDenied otherwise.
   */
  shareLog (): ShareLog {
    if (this.identity.mode !== 'account') throw new SafeMeshError('AccessDenied', 'only the account\'s owner writes its share log (log in with the secret and password)')
    this.shareLogOfOwner ??= new ShareLog(this, this.identity.keys.sign)
    return this.shareLogOfOwner
  }

  /**
   * Verifies `owner`'s share log (its ID: the signing public key, bytes or 64 hex digits) from the
   * network, in any mode: the agreed records and each Data-Manager's replica. NoSuchData when
   * `owner` has no log.
   */
  async verifyShareLog (owner: Uint8Array | string, options: VerifyShareLogOptions = {}): Promise<ShareLogReport> {
    const key = typeof owner === 'string' && /^[0-9a-fA-F]{64}$/.test(owner) ? new Uint8Array(Buffer.from(owner, 'hex')) : owner
    if (typeof key === 'string' || key.length !== 32) throw new SafeMeshError('InvalidRequest', 'an ID is a signing public key: 64 hexadecimal digits')
    return await verifyShareLogOnNetwork(this.ctx, key, options)
  }

  // ---- NFS (SPEC §9) ----

  /** The account's or the app's containers as a file system: `client.fs.write('_documents/a.txt', …)`. */
  get fs (): FileSystem {
    this.files ??= new FileSystem(this, this.ownerOrThrow(), this.containerSource())
    return this.files
  }

  // ---- Sharing (issue 15) ----

  /**
   * Sharing between accounts: `id()`, `share(path, …)`, `inbox()`, `revoke(share, id)`,
   * `setExpiry(share, …)`, `cancelLink(share, link)`; what others shared reads through `fs` at
   * `share:<id>/…` (and with `connectLink`, `link:<link>/…`). The owner only (not an app).
   */
  sharing (): Sharing {
    const identity = this.identity
    if (identity.mode !== 'account') return new Sharing({ requests: this })
    const log = this.shareLog()
    return new Sharing({
      requests: this,
      keys: identity.keys,
      ...(identity.session !== undefined ? { root: identity.session.root } : {}),
      log: { ensure: async (o) => { await log.ensure(o) }, append: async (e, o) => await log.append(e, o), records: async (o) => await log.read(o) }
    })
  }

  // ---- DNS and web sites (SPEC §9, issue 16) ----

  /** Public ids, services and sites: `web().resolve('mysite')`, `web().publish(files, …)`; reads need no account. */
  web (): Web {
    return new Web(this)
  }

  /** One per client: paid reads reuse their payment while the Data-Managers honour it. */
  private mountsOf (keys: ClientKeys): ShareMounts {
    this.shareMounts ??= new ShareMounts(this, keys)
    return this.shareMounts
  }

  private ownerOrThrow (): Uint8Array {
    const owner = ownerKey(this.identity)
    if (owner === undefined) throw actorMissing()
    return owner
  }

  private containerSource (): ContainerSource {
    const identity = this.identity
    if (identity.mode === 'app') {
      const access = identity.access
      return {
        mayMove: true,
        containers: async (options) => {
          if (access === undefined) throw new SafeMeshError('AccessDenied', 'these app credentials predate containers: authorise the app again')
          return (await new AccessContainer(this, access).read(identity.keys, options)).grants
        }
      }
    }
    const shares = identity.mode === 'account' ? this.mountsOf(identity.keys) : undefined
    return {
      mayMove: false,
      ...(shares !== undefined ? { mount: async (name, options) => await shares.mount(name, options), mounts: async (options) => await shares.list(options) } : {}),
      containers: async (options) => {
        if (identity.mode !== 'account' || identity.session === undefined) {
          throw new SafeMeshError('InvalidOperation', 'the containers need a login with the secret and password')
        }
        const containers = await new RootContainer(this, identity.keys, identity.session.root).read(options)
        if (containers === undefined) throw new SafeMeshError('NoSuchData', 'the account has no containers yet: log in again once it has mutations left')
        return [...containers.containers.values()].map(c => ({ ...c, access: [...OWN_CONTAINER_ACCESS] }))
      }
    }
  }

  // ---- Files (SPEC §7) ----

  /** Self-encrypts and stores a file; returns its address (the top data-map chunk's name, hex). */
  async putFile (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: PutFileOptions = {}): Promise<PutFileResult> {
    actorOf(this.identity)
    return await putFile(source, this.chunkStore(), this.params.maxImmutableDataSize, options)
  }

  /** A file's content, in order, verified as it comes. */
  getFile (address: XorName | string, options: GetFileOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    return getFile(typeof address === 'string' ? xorNameFromHex(address) : address, this.chunkStore(), options)
  }

  /** A file's plaintext size, from its data map alone (no content is fetched). */
  async fileSize (address: XorName | string, options: RequestOptions = {}): Promise<number> {
    return await fileSize(typeof address === 'string' ? xorNameFromHex(address) : address, this.chunkStore(), options)
  }

  private chunkStore (): ChunkStore {
    return {
      put: async (value, signal) => await this.putIData(value, signal != null ? { signal } : {}),
      get: async (name, signal) => await this.getIData(name, signal != null ? { signal } : {})
    }
  }

  /** Stops the client's host and everything it runs. Safe to call twice. */
  async close (): Promise<void> {
    this.closing ??= this.transport.close()
    await this.closing
  }
}

/** A SafeMesh client: what `createClient`, `createAccount` and `login` return. */
export type SafeMeshClient = Pick<MeshClient, keyof MeshClient>

/** Connected mode (no keys: reads only), account mode (`keys`) or app mode (`app`), SPEC §6. */
export async function createClient (options: ConnectOptions): Promise<SafeMeshClient> {
  return await MeshClient.connect(options)
}

/**
 * Creates an account (SPEC §8): new keys and their session packet, which opens the account
 * (`AccountExists` when the same secret and password are taken; a weak one is `InvalidRequest`).
 * The client acts as the new account.
 */
export async function createAccount ({ secret, password }: Credentials, options: ClientOptions): Promise<SafeMeshClient> {
  return await MeshClient.createAccount(secret, password, options)
}

/** Logs in (SPEC §8); a wrong secret and a wrong password are the same `InvalidCredentials`. */
export async function login ({ secret, password }: Credentials, options: ClientOptions): Promise<SafeMeshClient> {
  return await MeshClient.login(secret, password, options)
}

/** The user `anyone` or a key's user, for permission calls. */
export function userOf (key: Uint8Array | 'anyone'): User {
  return key === 'anyone' ? ANYONE : keyUser(key)
}

function actorMissing (): SafeMeshError {
  return new SafeMeshError('AccessDenied', 'connected without an account: reads only (log in, or act as an app)')
}

function networkOf (options: ClientOptions): Network {
  const network = options.network
  if ('connect' in network && typeof network.connect === 'function') return network
  const config = network as Libp2pNetworkOptions
  return libp2pNetwork({ ...config, log: config.log ?? options.log ?? pino({ level: 'silent' }) })
}

function signalOf (options: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return options.signal != null ? { signal: options.signal } : {}
}

/** Argon2id blocks the thread for a moment; let the host start dialling first. */
async function deriveWhileConnecting (secret: string, password: string, salt: Uint8Array, kdf: DeriveKeyOptions | undefined): Promise<SessionSecrets> {
  await yieldToLoop()
  return deriveSessionSecrets(secret, password, salt, kdf)
}

type SaltOptions = Pick<ClientOptions, 'network' | 'networkSalt' | 'log'>

let warnedOfFallbackSalt = false

/** The option, else the network config's `salt`, else the fallback: said once per process, where it will be seen. */
function networkSaltOf (options: SaltOptions): Uint8Array {
  const given = options.networkSalt ?? options.network.salt
  if (given !== undefined) return networkSaltFrom(given)
  const warning = 'the network gives no salt (network.json has no "salt"): logins use the fixed fallback salt that every such network shares, so one precomputation attacks them all'
  if (options.log !== undefined) {
    options.log.warn(warning)
  } else if (!warnedOfFallbackSalt) {
    warnedOfFallbackSalt = true
    process.emitWarning(warning, { code: 'SAFEMESH_NO_NETWORK_SALT' })
  }
  return FALLBACK_NETWORK_SALT
}
