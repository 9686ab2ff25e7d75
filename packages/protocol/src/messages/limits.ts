/**
 * How big each message may be, in bytes and in data items, known before it is decoded
 * ({@link decodeWireMessage}): a node spends at most a scan on a frame that breaks them. The
 * bounds follow from the network's limits (the largest legitimate message of each type fits, a test
 * holds it) and are far below what a frame could hold otherwise (a 2 MiB frame holds ~2 M items).
 */
import { MAX_CODEC_ITEMS } from '../codec.js'
import { invalidRequest } from '../errors.js'
import { DEFAULT_NETWORK_PARAMS, type NetworkParams } from '../params.js'
import { MAX_PERMISSION_USERS } from '../data/mutable-limits.js'
import { MAX_CERTIFICATE_VOTES } from '../group/certificate.js'
import { decodeWith } from '../schema.js'
import { scanWire } from '../wire-scan.js'
import { FORWARD_INLINE_BYTES } from './forwarding.js'
import { MAX_AUTH_KEYS, MAX_HOLDINGS, wireMessageSchema, type WireMessage } from './node-messages.js'

export interface WireLimit {
  readonly maxBytes: number
  readonly maxItems: number
}

export type LimitParams = Pick<NetworkParams, 'maxMessageSize' | 'maxImmutableDataSize' | 'maxMutableDataEntries' | 'maxMutableDataSize'>

const SMALL_BYTES = 8 * 1024
const SMALL_ITEMS = 128
// A permission tuple [user, set] is at most 15 items; an entry triple 4; an entry action 11.
const PERMISSION_ITEMS = 15
const ENTRY_ITEMS = 4
const ACTION_ITEMS = 11

/** The limits of every message type for a network's parameters. */
export function wireLimits (params: LimitParams = DEFAULT_NETWORK_PARAMS): Readonly<Record<WireMessage['type'], WireLimit>> {
  const small: WireLimit = { maxBytes: SMALL_BYTES, maxItems: SMALL_ITEMS }
  const whole = params.maxMessageSize
  const mutableData = SMALL_ITEMS + ENTRY_ITEMS * params.maxMutableDataEntries + PERMISSION_ITEMS * MAX_PERMISSION_USERS
  // Twice the entry limit, so an over-limit batch still arrives and is refused TooManyEntries, not malformed.
  const actions = SMALL_ITEMS + ACTION_ITEMS * 2 * params.maxMutableDataEntries
  const chunk: WireLimit = { maxBytes: params.maxImmutableDataSize + SMALL_BYTES, maxItems: SMALL_ITEMS }
  return {
    GetIData: small,
    GetMData: small,
    GetMDataShell: small,
    GetMDataVersion: small,
    ListMDataEntries: small,
    ListMDataKeys: small,
    ListMDataValues: small,
    // An entry key may be as long as a MutableData allows.
    GetMDataValue: { maxBytes: params.maxMutableDataSize + SMALL_BYTES, maxItems: SMALL_ITEMS },
    ListMDataPermissions: small,
    ListMDataUserPermissions: small,
    GetShareEnvelope: small,
    GetAccountInfo: small,
    ListAuthKeysAndVersion: small,
    ListCredits: small,
    PutIData: small,
    PutMData: { maxBytes: whole, maxItems: mutableData },
    MutateMDataEntries: { maxBytes: whole, maxItems: actions },
    SetMDataUserPermissions: small,
    DelMDataUserPermissions: small,
    ChangeMDataOwner: small,
    InsAuthKey: small,
    DelAuthKey: small,
    TransferCredit: small,
    OfferChunk: chunk,
    Forward: { maxBytes: SMALL_BYTES + FORWARD_INLINE_BYTES, maxItems: SMALL_ITEMS },
    GetForwarded: small,
    Commit: small,
    Propose: small,
    Prepare: small,
    GetReplica: small,
    PushChunk: chunk,
    PushMData: { maxBytes: whole, maxItems: mutableData + SMALL_ITEMS + 8 * MAX_CERTIFICATE_VOTES },
    PushAccount: { maxBytes: SMALL_BYTES + 40 * MAX_AUTH_KEYS, maxItems: SMALL_ITEMS + MAX_AUTH_KEYS },
    GetReplicaDigest: small,
    GetAccount: small,
    Suspect: small,
    Applied: small,
    Holdings: { maxBytes: whole, maxItems: SMALL_ITEMS + 13 * MAX_HOLDINGS },
    Equivocation: small,
    GetPayment: small
  }
}

/** The message types only nodes send: a peer outside the routing view is refused them before decoding. */
export const NODE_ONLY_MESSAGE_TYPES: ReadonlySet<WireMessage['type']> = new Set([
  'Forward', 'GetForwarded', 'Commit', 'Propose', 'Prepare', 'GetReplica', 'PushChunk', 'PushMData', 'PushAccount',
  'GetReplicaDigest', 'GetAccount', 'Suspect', 'Applied', 'Holdings', 'Equivocation', 'GetPayment'
])

/** A received message's type and size, read by a scan before anything is decoded. */
export interface WireHeader {
  readonly type: WireMessage['type']
  readonly items: number
}

/**
 * Scans a received message and checks it against its type's limits; only ever throws InvalidRequest.
 * What it returns is what {@link decodeWireMessage} then decodes.
 */
export function scanWireMessage (bytes: Uint8Array, limits: Readonly<Record<WireMessage['type'], WireLimit>>): WireHeader {
  const shape = scanWire(bytes, MAX_CODEC_ITEMS)
  const type = shape.type
  if (type === undefined || !Object.hasOwn(limits, type)) throw invalidRequest('not a message: no known type')
  const limit = limits[type as WireMessage['type']]
  if (bytes.length > limit.maxBytes) throw invalidRequest(`a ${type} is at most ${limit.maxBytes} bytes, not ${bytes.length}`)
  if (shape.items > limit.maxItems) throw invalidRequest(`a ${type} holds at most ${limit.maxItems} items, not ${shape.items}`)
  return { type: type as WireMessage['type'], items: shape.items }
}

/** Decodes a message that passed {@link scanWireMessage}; only ever throws InvalidRequest. */
export function decodeWireMessage (bytes: Uint8Array, header: WireHeader): WireMessage {
  const message = decodeWith(wireMessageSchema, bytes, { maxBytes: bytes.length, maxItems: header.items })
  if (message.type !== header.type) throw invalidRequest('the message type changed between scan and decode')
  return message
}
