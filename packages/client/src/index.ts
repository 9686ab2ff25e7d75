/**
 * @safemesh/client — the SafeMesh client library (the `safemesh` command line is @safemesh/cli).
 * Three ways in (SPEC §6): `createClient` (connected: reads only; or with keys or app
 * credentials), `createAccount` and `login`. MutableData is addressed as `{ name, tag }`; every
 * operation takes `{ signal }`; every refusal is a `SafeMeshError` with a SPEC code.
 *
 * @example
 * ```ts
 * import { createAccount, loadNetworkFile } from '@safemesh/client'
 *
 * const network = await loadNetworkFile('.testnet/network.json') // the config itself: its `salt` salts logins
 * const client = await createAccount({ secret: 'a quiet owl over harbour 1937', password: 'violet tango spoons drift' }, { network })
 * const { address } = await client.putFile([new TextEncoder().encode('hello')])
 * const md = await client.createMData({ tag: 20_000 })
 * console.log(await client.getMDataVersion(md), address)
 * await client.close()
 * ```
 *
 * @packageDocumentation
 */
export {
  createClient, createAccount, login, userOf,
  type SafeMeshClient, type MDataAddress, type Credentials, type AccountInfo, type AuthKeys, type ClientOptions,
  type ConnectOptions, type NewMutableDataOptions, type PublicKeys, type Session
} from './client.js'
export type { AccountSession, ClientMode } from './identity.js'
export type { ConnectTransportOptions, Network, NodeRef, SendOptions, Transport } from './network/transport.js'
export type { MeshClient } from './client.js'
export type { PrivateEntries } from './mdata/private-entries.js'
export type { RetryPolicy } from './quorum/retry.js'
export { libp2pNetwork, type Libp2pNetworkOptions } from './network/libp2p-network.js'
export { loadNetworkFile, parseNetworkFile, NetworkFileError, type NetworkFile } from '@safemesh/net'
export { SafeMeshError, isSafeMeshError, type ErrorCode } from '@safemesh/protocol'
export type { RequestOptions } from './requests/request-context.js'
export type { PutIDataResult } from './requests/chunk-upload.js'
export type { TransferCreditOptions, TransferCreditResult } from './requests/credit-requests.js'
export type { ReceivedCredit } from '@safemesh/protocol'
export type { PutFileOptions, PutFileResult, UploadProgress } from './files/put-file.js'
export type { DownloadProgress, GetFileOptions } from './files/get-file.js'
export { decodeAppCredentials, encodeAppCredentials, type AppCredentials } from './session/app-credentials.js'
export { checkNewCredentials, MIN_CREDENTIAL_SCORE } from './session/credential-strength.js'
export type { AppInfo, AuthorisedApp, AuthoriseOptions, ContainerGrant, RevokedApp } from './session/apps.js'
export { checkAppRequest, requestAppAccess, type AppAccessRequest, type AppRequestAnswer, type AppRequestTicket, type RequestAppAccessOptions } from './session/app-request.js'
export { BASIC_ACCESS, CONTAINER_ACCESS, parseContainerAccess, type ContainerAccess } from './auth/access-container.js'
export { DEFAULT_CONTAINERS } from './auth/containers.js'
export type {
  ContainerListing, FileSystem, FsEntry, WriteManyItem, WriteManyOptions, WriteManyProgress, WriteOptions
} from './nfs/file-system.js'
export type { FileMetadata } from './nfs/entry-record.js'
export type { ShareLog, ShareLogRequests } from './sharing/share-log.js'
export type { ShareLogMember, ShareLogProblem, ShareLogReport, VerifyShareLogOptions } from './sharing/share-log-verify.js'
export type { ShareEvent, ShareLogRecord, VerifiedShareLogRecord } from '@safemesh/protocol'
export type { Sharing, SharingId, InboxShare, InboxListing } from './sharing/sharing.js'
export type { AccountId, ShareOptions, ShareResult, RevokeResult, ExpiryResult, CancelledLink } from './sharing/owner.js'
export { connectLink } from './sharing/connect-link.js'
export { parseExpiry } from './sharing/expiry.js'
export { LINK_PREFIX, decodeLink, type Link } from './sharing/link.js'
export { SHARE_PREFIX, LINK_MOUNT_PREFIX } from './sharing/mounts.js'
export type { Web } from './web/web.js'
export type {
  PublicName, PublishOptions, PublishProgress, PublishResult, ResolveOptions, ServiceRecord, Site, SiteEntry, SiteFile, SiteReadOptions
} from './web/types.js'
