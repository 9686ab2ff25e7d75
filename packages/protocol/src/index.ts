/**
 * The pure core of SafeMesh (no I/O): names and XOR distance, ImmutableData and MutableData rules,
 * requests, responses and node messages with their one canonical codec, SPEC §3's errors, network
 * parameters, and the group rules (agreement, recovery, the same answer) node and client share.
 *
 * @example
 * ```ts
 * import { encodeRequest, randomXorName, quorumOf } from '@safemesh/protocol'
 *
 * const name = randomXorName()
 * const bytes = encodeRequest({ type: 'GetIData', name })
 * console.log(quorumOf(8)) // 5
 * ```
 *
 * @packageDocumentation
 */
export * from './errors.js'
export * from './error-wire.js'
export * from './params.js'
export * from './xorname.js'
export * from './hash.js'
export * from './closeness.js'
export * from './codec.js'
export * from './schema.js'
export * from './data/immutable.js'
export * from './data/type-tags.js'
export * from './data/mutable.js'
export * from './data/mutable-codec.js'
export * from './data/mutable-limits.js'
export * from './data/entry-actions.js'
export * from './data/permission-changes.js'
export * from './data/read-gate.js'
export * from './data/append-only.js'
export * from './messages/request.js'
export * from './messages/response.js'
export * from './messages/node-messages.js'
export * from './messages/forwarding.js'
export * from './account.js'
export * from './group/agreement.js'
export * from './group/certificate.js'
export * from './group/recovery.js'
export * from './group/same-answer.js'
export * from './wire-scan.js'
export * from './messages/limits.js'
export * from './sharing/share-log.js'
export * from './sharing/account-names.js'
export * from './web/labels.js'
export * from './web/safe-url.js'
export * from './web/service-entry.js'
export * from './web/public-id-rule.js'
export * from './web/media-types.js'
