/**
 * The wire form of a {@link SafeMeshError}: what a node sends back when a request fails, and what a
 * client turns back into the same error. Only the code and SPEC's details are trusted; the message is
 * informative and bounded.
 */
import { ERROR_CODES, SafeMeshError, type ErrorCode, type ErrorDetails } from './errors.js'
import { array, bytes, mapped, object, oneOf, optional, string, uint, validate, type Infer, type Schema } from './schema.js'

/** Long enough for any message we write, short enough that an error cannot become a payload. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024

/** Enough for every key of the largest batch a MutableData can hold. */
const MAX_ENTRY_ERRORS = 100_000

const entryErrorWire = object({
  key: bytes(),
  code: oneOf(['EntryExists', 'NoSuchEntry', 'InvalidSuccessor']),
  version: optional(uint())
})

const wireErrorShape = object({
  code: oneOf(ERROR_CODES),
  message: string(MAX_ERROR_MESSAGE_LENGTH),
  /** EntryExists: the entry's current version. */
  version: optional(uint()),
  /** InvalidSuccessor: the current version. */
  current: optional(uint()),
  /** InvalidEntryActions: every bad key. */
  errors: optional(array(entryErrorWire, MAX_ENTRY_ERRORS)),
  /** InvalidRequest from a node outside the group asked for (docs/protocol.md). */
  misrouted: optional(oneOf(['account', 'data']))
})

export type WireError = Infer<typeof wireErrorShape>

/** A WireError whose details are checked against its code as it is decoded. */
export const wireErrorSchema: Schema<WireError> = mapped(
  wireErrorShape,
  (w, path) => {
    detailsFor(w.code, w, path)
    return w
  },
  (w) => w
)

export function errorToWire (e: SafeMeshError): WireError {
  // Bounded, and well-formed so that it always encodes (a cut may split a surrogate pair, and a
  // message may quote text that was never valid).
  const message = e.message.slice(0, MAX_ERROR_MESSAGE_LENGTH).replace(/\p{Cs}/gu, '\uFFFD')
  const wire: { -readonly [K in keyof WireError]: WireError[K] } = { code: e.code, message }
  const d = e.details
  if (d !== undefined) {
    if ('version' in d) wire.version = d.version
    else if ('current' in d) wire.current = d.current
    else if ('misrouted' in d) wire.misrouted = d.misrouted
    else {
      wire.errors = d.errors.map(({ key, error }) => (
        error.version === undefined ? { key, code: error.code } : { key, code: error.code, version: error.version }
      ))
    }
  }
  return wire
}

/**
 * Rebuilds the error from its wire form, checking it: a malformed error, or details that do not
 * belong to its code, are InvalidRequest.
 */
export function errorFromWire (w: unknown): SafeMeshError {
  const wire = validate(wireErrorSchema, w, 'error')
  const details = detailsFor(wire.code, wire, 'error')
  return new SafeMeshError(wire.code, wire.message, details)
}

function detailsFor (code: ErrorCode, w: WireError, path: string): ErrorDetails | undefined {
  const present = (['version', 'current', 'errors', 'misrouted'] as const).filter((k) => w[k] !== undefined)
  const expected = code === 'EntryExists' ? 'version' : code === 'InvalidSuccessor' ? 'current' : code === 'InvalidEntryActions' ? 'errors' : code === 'InvalidRequest' ? 'misrouted' : undefined
  // InvalidRequest's detail is optional; the others' are required.
  const optionalDetail = code === 'InvalidRequest' && present.length === 0
  if (!optionalDetail && (present.length > (expected === undefined ? 0 : 1) || (expected !== undefined && present[0] !== expected))) {
    throw new SafeMeshError('InvalidRequest', `${path}: ${code} cannot carry ${present.join(', ') || 'no details'}`)
  }
  if (w.misrouted !== undefined) return { misrouted: w.misrouted }
  if (w.version !== undefined) return { version: w.version }
  if (w.current !== undefined) return { current: w.current }
  if (w.errors !== undefined) {
    return {
      errors: w.errors.map(({ key, code, version }, i) => {
        // NoSuchEntry has no current version; the other two must name it.
        if ((code === 'NoSuchEntry') !== (version === undefined)) {
          throw new SafeMeshError('InvalidRequest', `${path}.errors[${i}]: ${code} ${version === undefined ? 'needs' : 'cannot carry'} a version`)
        }
        return { key, error: version === undefined ? { code } : { code, version } }
      })
    }
  }
  return undefined
}
