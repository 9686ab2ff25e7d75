/**
 * @safemesh/client — the SafeMesh client library (the `safemesh` command line is @safemesh/cli).
 *
 * @example
 * ```ts
 * import { SafeMeshClient, libp2pNetwork, loadNetworkFile } from '@safemesh/client'
 *
 * const network = libp2pNetwork(await loadNetworkFile('.testnet/network.json'))
 * const client = await SafeMeshClient.createAccount('my secret', 'my password', { network })
 * const { address } = await client.putFile([new TextEncoder().encode('hello')])
 * await client.close()
 * ```
 *
 * @packageDocumentation
 */
export {
  SafeMeshClient, userOf,
  type AccountInfo, type AuthKeys, type ClientOptions, type ConnectOptions, type NewMutableDataOptions, type PublicKeys, type Session
} from './client.js'
export { type AccountSession, type ClientMode, type Identity } from './identity.js'
export type { ConnectTransportOptions, Network, NodeRef, SendOptions, Transport } from './network/transport.js'
export { libp2pNetwork, type Libp2pNetworkOptions } from './network/libp2p-network.js'
export { loadNetworkFile, parseNetworkFile, paramsOf, NetworkFileError, type NetworkFile } from '@safemesh/net'
export { askGroup, type GroupOutcome, type GroupQuorumOptions } from './quorum/group-quorum.js'
export { askNode, type Answer, type ReplyCheck } from './quorum/answer.js'
export { DEFAULT_RETRY_POLICY, isRetryable, withRetries, type RetryPolicy } from './quorum/retry.js'
export { DEFAULT_REQUEST_TIMEOUT, type RequestContext, type RequestOptions } from './requests/request-context.js'
export type { PutIDataResult } from './requests/chunk-upload.js'
export { DEFAULT_UPLOAD_CONCURRENCY, type PutFileOptions, type PutFileResult, type UploadProgress } from './files/put-file.js'
export { DEFAULT_DOWNLOAD_CONCURRENCY, type DownloadProgress, type GetFileOptions } from './files/get-file.js'
export { MAX_DATA_MAP_DEPTH } from './files/data-map-chain.js'
export { PrivateEntries, PRIVATE_MARKER_KEY, hasPrivateMarker, isPrivateMarker } from './mdata/private-entries.js'
export { decodeAppCredentials, encodeAppCredentials, type AppCredentials } from './session/app-credentials.js'
export type { AppInfo, AuthorisedApp } from './session/apps.js'
export { APPS_ENTRY_KEY, type AppRecord } from './session/app-registry.js'
export { LOGIN_ENTRY_KEY, SESSION_PACKET_TAG, deriveSessionSecrets, invalidCredentials, type LoginRecord, type SessionSecrets } from './session/session-packet.js'
