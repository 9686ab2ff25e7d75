/**
 * The one codec for everything SafeMesh puts on the wire or on disk: deterministic CBOR (RFC 8949
 * core deterministic encoding) through `cborg`.
 *
 * Why so strict: replicas are compared by digest and group authority counts identical requests, so
 * one value must have exactly one encoding, and a decoder fed by strangers must be total.
 *
 * - Values ({@link CodecValue}): null, booleans, safe integers, strings, byte strings, arrays and
 *   plain objects with string keys. No floats (nothing in the protocol needs one), no bigint (tags
 *   are < 2^53, versions and counters fit a safe integer), no undefined, no tags.
 * - Encoding: smallest integer and length forms, map keys sorted bytewise (RFC 8949 §4.2.1).
 *   An object property whose value is `undefined` is omitted, so optional fields can be written as
 *   plain TypeScript objects.
 * - Decoding accepts only the canonical bytes of a CodecValue: after a strict decode (no
 *   indefinite lengths, no undefined, no floats, no tags, minimal integers, no duplicate keys,
 *   bounded nesting, item count and size) the value is re-encoded and must reproduce the input exactly, which
 *   also enforces key order and rejects invalid UTF-8. So `encode(decode(b))` equals `b` for
 *   every accepted `b`.
 * - `decode` returns a value or throws `SafeMeshError('InvalidRequest')`; nothing else, for any input.
 */
import {
  decode as cborDecode,
  encode as cborEncode,
  Tokenizer,
  Type,
  type DecodeOptions
} from 'cborg'
import { invalidRequest, isSafeMeshError } from './errors.js'
import { DEFAULT_NETWORK_PARAMS } from './params.js'
import { bytesEqual } from './xorname.js'

export type CodecValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly CodecValue[]
  | CodecObject

export interface CodecObject { readonly [key: string]: CodecValue }

/** Deep enough for every protocol message; shallow enough that no input can exhaust the stack. */
export const MAX_CODEC_DEPTH = 32

/** Items any one message or reply may hold (the largest: a full `Holdings`, an account's charged ids). */
export const MAX_CODEC_ITEMS = 1 << 16

export interface DecodeLimits {
  /** Refuse inputs longer than this (default: the default network's `maxMessageSize`). */
  readonly maxBytes?: number
  /** Refuse arrays and maps nested deeper than this (default {@link MAX_CODEC_DEPTH}). */
  readonly maxDepth?: number
  /** Refuse inputs of more data items than this, counted while decoding (default {@link MAX_CODEC_ITEMS}). */
  readonly maxItems?: number
}

// A JS string holding a lone surrogate has no UTF-8 form: it would come back changed.
const LONE_SURROGATE = /\p{Cs}/u

// `__proto__` as a key would reach the object's prototype rather than its own properties.
const FORBIDDEN_KEY = '__proto__'

export function encode (value: CodecValue): Uint8Array {
  assertEncodable(value, 0)
  try {
    return plainBytes(cborEncode(value, ENCODE_OPTIONS))
  } catch (e) {
    /* c8 ignore next */
    throw invalidRequest(`cannot encode: ${describe(e)}`)
  }
}

export function decode (bytes: Uint8Array, limits: DecodeLimits = {}): CodecValue {
  try {
    if (!(bytes instanceof Uint8Array)) throw invalidRequest('expected bytes to decode')
    const maxBytes = limits.maxBytes ?? DEFAULT_NETWORK_PARAMS.maxMessageSize
    if (bytes.length > maxBytes) throw invalidRequest(`encoding too large: ${bytes.length} > ${maxBytes} bytes`)
    const maxDepth = limits.maxDepth ?? MAX_CODEC_DEPTH
    const options: DecodeOptions = { ...STRICT_DECODE_OPTIONS }
    // On a plain Uint8Array cborg's byte strings are copies (`slice`); on a Buffer they would be
    // views sharing memory with the input.
    const input = plainBytes(bytes)
    options.tokenizer = new StrictTokenizer(input, options, maxDepth, limits.maxItems ?? MAX_CODEC_ITEMS)
    const value = fromDecoded(cborDecode(input, options))
    // The strict options cannot see key order or float forms; the round trip sees everything.
    if (!bytesEqual(encode(value), bytes)) throw invalidRequest('non-canonical encoding')
    return value
  } catch (e) {
    if (isSafeMeshError(e) && e.code === 'InvalidRequest') throw e
    throw invalidRequest(`malformed encoding: ${describe(e)}`)
  }
}

// cborg's default key order (length first, then bytewise, RFC 7049) is the same order as RFC 8949's
// bytewise order of encoded keys whenever all keys are strings, which CodecValue guarantees; the
// default sorter is several times faster than `rfc8949EncodeOptions`. A test holds them equal.
const ENCODE_OPTIONS = Object.freeze({ ignoreUndefinedProperties: true })

const STRICT_DECODE_OPTIONS: DecodeOptions = Object.freeze({
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  useMaps: true, // a plain-object decode would let a `__proto__` key set the prototype
  rejectDuplicateMapKeys: true
})

/**
 * Refuses what CodecValue cannot hold as soon as its token is read, and bounds nesting and item
 * count so a hostile input can neither recurse cborg into a stack overflow nor make it build millions
 * of values.
 */
class StrictTokenizer extends Tokenizer {
  // Items still to be read in each open array or map, innermost last.
  private readonly open: number[] = []
  private readonly maxDepth: number
  private itemsLeft: number

  constructor (data: Uint8Array, options: DecodeOptions, maxDepth: number, maxItems: number) {
    super(data, options)
    this.maxDepth = maxDepth
    this.itemsLeft = maxItems
  }

  override next (): ReturnType<Tokenizer['next']> {
    if (--this.itemsLeft < 0) throw invalidRequest('too many items')
    const token = super.next()
    const type = token.type
    if (Type.equals(type, Type.float)) throw invalidRequest('floats are not allowed')
    if (Type.equals(type, Type.tag)) throw invalidRequest('tags are not allowed')
    const last = this.open.length - 1
    if (last >= 0) this.open[last] = (this.open[last] as number) - 1
    const children = Type.equals(type, Type.array)
      ? Number(token.value)
      : Type.equals(type, Type.map) ? 2 * Number(token.value) : 0
    if (children > 0) {
      this.open.push(children)
      if (this.open.length > this.maxDepth) throw invalidRequest(`nested deeper than ${this.maxDepth}`)
    } else {
      while (this.open.length > 0 && this.open[this.open.length - 1] === 0) this.open.pop()
    }
    return token
  }
}

/** Turns cborg's output (Maps for CBOR maps) into a CodecValue, checking what cborg does not. */
function fromDecoded (raw: unknown): CodecValue {
  if (raw === null || typeof raw === 'boolean' || typeof raw === 'string' || raw instanceof Uint8Array) return raw
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw)) throw invalidRequest('only safe integers are allowed')
    return raw
  }
  if (Array.isArray(raw)) return raw.map(fromDecoded)
  if (raw instanceof Map) {
    const object: Record<string, CodecValue> = {}
    for (const [key, value] of raw) {
      if (typeof key !== 'string') throw invalidRequest('map keys must be strings')
      if (key === FORBIDDEN_KEY) throw invalidRequest(`the key ${FORBIDDEN_KEY} is not allowed`)
      object[key] = fromDecoded(value)
    }
    return object
  }
  throw invalidRequest(`unsupported value of type ${typeof raw}`)
}

function assertEncodable (value: unknown, depth: number): void {
  if (value === null || typeof value === 'boolean' || value instanceof Uint8Array) return
  switch (typeof value) {
    case 'number':
      if (!Number.isSafeInteger(value)) throw invalidRequest(`cannot encode ${value}: only safe integers`)
      return
    case 'string':
      if (LONE_SURROGATE.test(value)) throw invalidRequest('cannot encode a string with a lone surrogate')
      return
    case 'object':
      break
    default:
      throw invalidRequest(`cannot encode a value of type ${typeof value}`)
  }
  if (depth >= MAX_CODEC_DEPTH) throw invalidRequest(`cannot encode: nested deeper than ${MAX_CODEC_DEPTH}`)
  if (Array.isArray(value)) {
    for (const item of value) assertEncodable(item, depth + 1)
    return
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) {
    throw invalidRequest(`cannot encode a ${(value).constructor?.name ?? 'non-plain object'}`)
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key === FORBIDDEN_KEY) throw invalidRequest(`cannot encode the key ${FORBIDDEN_KEY}`)
    if (LONE_SURROGATE.test(key)) throw invalidRequest('cannot encode a key with a lone surrogate')
    if (item !== undefined) assertEncodable(item, depth + 1)
  }
}

/** A plain Uint8Array view of the same memory: Buffers compare and print differently. */
function plainBytes (bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function describe (e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
