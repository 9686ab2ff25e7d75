/**
 * Responses to the requests of SPEC §3: for each request type, a success carrying that request's
 * payload under the same `type`, or `{ type: 'Error', error }`. Mutations succeed with no payload.
 * Responses are compared byte for byte when a client counts a quorum of equal answers, which is
 * why every listing is in canonical (key) order.
 */
import type { DecodeLimits } from '../codec.js'
import { SafeMeshError } from '../errors.js'
import { errorFromWire, errorToWire, wireErrorSchema } from '../error-wire.js'
import {
  mutableDataEntrySchema, mutableDataSchema, mutableDataValueSchema, permissionSetSchema, publicKeySchema,
  userPermissionsSchema, versionSchema, xorNameSchema
} from '../data/mutable-codec.js'
import { array, bytes, decodeWith, encodeWith, object, optional, uint, union, type Infer } from '../schema.js'
import { MESSAGE_ID_LENGTH, type RequestType } from './request.js'

const MAX_WIRE_ITEMS = 1 << 20

const empty = object({})

/** Received credits one ListCredits gives at most: the most recent. */
export const MAX_LISTED_CREDITS = 1000

/** A credit an account received: from the account `payer`, under the payer's message id. */
export const receivedCreditSchema = object({
  payer: xorNameSchema,
  amount: uint(),
  memo: optional(xorNameSchema),
  messageId: bytes({ length: MESSAGE_ID_LENGTH })
})
export type ReceivedCredit = Infer<typeof receivedCreditSchema>

/** The variants of {@link responseSchema}, for unions that extend it. */
export const responseVariants = {
  GetIData: object({ value: bytes() }),
  GetMData: object({ data: mutableDataSchema }),
  /** The MutableData with no entries. */
  GetMDataShell: object({ data: mutableDataSchema }),
  GetMDataVersion: object({ version: versionSchema }),
  ListMDataEntries: object({ entries: array(mutableDataEntrySchema, MAX_WIRE_ITEMS) }),
  ListMDataKeys: object({ keys: array(bytes(), MAX_WIRE_ITEMS) }),
  /** In key order, like ListMDataKeys. */
  ListMDataValues: object({ values: array(mutableDataValueSchema, MAX_WIRE_ITEMS) }),
  GetMDataValue: object({ value: mutableDataValueSchema }),
  ListMDataPermissions: object({ permissions: array(userPermissionsSchema, MAX_WIRE_ITEMS) }),
  ListMDataUserPermissions: object({ permissions: permissionSetSchema }),
  /** The gate entry's content, and the entry under the requester's key unless missing or deleted. */
  GetShareEnvelope: object({ gate: bytes(), envelope: optional(bytes()) }),
  /** `mutationsAvailable`: allowance + creditsReceived − creditsSent − mutationsDone, never below 0. */
  GetAccountInfo: object({ mutationsDone: uint(), mutationsAvailable: uint(), creditsReceived: uint(), creditsSent: uint() }),
  ListAuthKeysAndVersion: object({ keys: array(publicKeySchema, MAX_WIRE_ITEMS), version: versionSchema }),
  /** Oldest first. */
  ListCredits: object({ credits: array(receivedCreditSchema, MAX_LISTED_CREDITS) }),
  PutIData: empty,
  PutMData: empty,
  MutateMDataEntries: empty,
  SetMDataUserPermissions: empty,
  DelMDataUserPermissions: empty,
  ChangeMDataOwner: empty,
  InsAuthKey: empty,
  DelAuthKey: empty,
  TransferCredit: empty,
  Error: object({ error: wireErrorSchema })
} as const

export const responseSchema = union('type', responseVariants)

export type Response = Infer<typeof responseSchema>
export type ResponseType = Response['type']
/** The success response to a request of type T. */
export type SuccessResponse<T extends RequestType> = Extract<Response, { type: T }>
export type ErrorResponse = Extract<Response, { type: 'Error' }>
/** What a request of type T may be answered with. */
export type ResponseFor<T extends RequestType> = SuccessResponse<T> | ErrorResponse

export function errorResponse (e: SafeMeshError): ErrorResponse {
  return { type: 'Error', error: errorToWire(e) }
}

export function isErrorResponse (response: Response): response is ErrorResponse {
  return response.type === 'Error'
}

/** The SafeMeshError an error response carries (checked: details must match the code). */
export function responseError (response: ErrorResponse): SafeMeshError {
  return errorFromWire(response.error)
}

/**
 * Narrows a response to the success of `type`: returns it, throws the carried SafeMeshError for an
 * error response, and InvalidRequest for a success of another type (a confused or lying node).
 */
export function expectSuccess<T extends RequestType> (response: Response, type: T): SuccessResponse<T> {
  if (response.type === 'Error') throw responseError(response)
  if (response.type !== type) throw new SafeMeshError('InvalidRequest', `expected a ${type} response, got ${response.type}`)
  return response as SuccessResponse<T>
}

export function encodeResponse (response: Response): Uint8Array {
  return encodeWith(responseSchema, response)
}

/** Decodes a response from untrusted bytes; only ever returns a Response or throws InvalidRequest. */
export function decodeResponse (bytes: Uint8Array, limits?: DecodeLimits): Response {
  return decodeWith(responseSchema, bytes, limits)
}
