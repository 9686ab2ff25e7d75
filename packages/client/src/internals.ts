/**
 * The client's building blocks, for the command line, tests and benches: the client class behind
 * the `SafeMeshClient` interface, the transport seam, group quorums, retries, session packets,
 * private entries, containers and directories. Not a stable API: applications use `@safemesh/client`.
 *
 * @example
 * ```ts
 * import { askGroup, DEFAULT_RETRY_POLICY } from '@safemesh/client/internals'
 * ```
 *
 * @packageDocumentation
 */
export { MeshClient } from './client.js'
export type { Identity } from './identity.js'
export { paramsOf } from '@safemesh/net'
export { askGroup, type GroupOutcome, type GroupQuorumOptions } from './quorum/group-quorum.js'
export { askNode, type NodeAnswer, type ReplyCheck } from './quorum/answer.js'
export { DEFAULT_RETRY_POLICY, isRetryable, withRetries } from './quorum/retry.js'
export { DEFAULT_REQUEST_TIMEOUT, type ClientContext } from './requests/request-context.js'
export { DEFAULT_UPLOAD_CONCURRENCY } from './files/put-file.js'
export { DEFAULT_DOWNLOAD_CONCURRENCY } from './files/get-file.js'
export { MAX_DATA_MAP_DEPTH } from './files/data-map-chain.js'
export { PrivateEntries, PRIVATE_MARKER_KEY, isPrivateMarker } from './mdata/private-entries.js'
export { APPS_ENTRY_KEY, type AppRecord } from './session/app-registry.js'
export { LOGIN_ENTRY_KEY, SESSION_PACKET_TAG, deriveSessionSecrets, invalidCredentials, newSessionPacket, type LoginRecord, type SessionSecrets } from './session/session-packet.js'
export { AccessContainer } from './auth/access-container.js'
export { RootContainer, derivedContainerKey, type ContainerInfo } from './auth/containers.js'
export { Directory, type DirectoryRef } from './nfs/directory.js'
export { FileSystem, type ContainerSource } from './nfs/file-system.js'
export { OWNER_RECORD_KEY, openEnvelope, openOwnerRecord, sealEnvelope, type ShareEnvelope, type OwnerRecord, type ShareReader } from './sharing/envelope.js'
export { inboxAddress, openInboxItem, readInbox, sealInboxItem, type InboxItem, type Offer } from './sharing/inbox.js'
export { profileAddress, readProfile, verifyProfile, type Profile } from './sharing/profile.js'
export { encodeLink, linkKeys } from './sharing/link.js'
export { ShareMounts } from './sharing/mounts.js'
export { splitContainer } from './nfs/file-system.js'
