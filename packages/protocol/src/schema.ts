/**
 * Tiny typed schemas for the edge of the system: each one both checks a decoded {@link CodecValue}
 * (producing a typed value) and turns a typed value back into its wire form, checking it the same
 * way, so nothing is ever sent that would not be accepted.
 *
 * Every failure is `SafeMeshError('InvalidRequest')` with the path of the offending field in the
 * message. Objects are closed: unknown fields are refused, because a field that one node ignores and
 * another reads would let two nodes see different requests behind the same bytes.
 *
 * Pattern for new messages (node-to-node ones included):
 * ```ts
 * const ping = object({ nonce: bytes({ length: 8 }), hops: optional(uint(16)) })
 * type Ping = Infer<typeof ping>
 * const wire = encodeWith(ping, { nonce, hops: 1 }); const back: Ping = decodeWith(ping, wire)
 * ```
 */
import { decode, encode, type CodecValue, type DecodeLimits } from './codec.js'
import { invalidRequest, isSafeMeshError } from './errors.js'

export interface Schema<T> {
  /** Checks a decoded wire value and returns its typed form (fresh objects, unknown fields refused). */
  parse (wire: unknown, path?: string): T
  /** Checks a typed value and returns its wire form. */
  toWire (value: T, path?: string): CodecValue
}

export type Infer<S> = S extends Schema<infer T> ? T : never

/** A field that may be absent (never `null`) in an {@link object}. */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true
}

const ROOT = '$'

function fail (path: string, expected: string, got: unknown): never {
  throw invalidRequest(`${path}: expected ${expected}, got ${kindOf(got)}`)
}

function kindOf (v: unknown): string {
  if (v === null) return 'null'
  if (v instanceof Uint8Array) return `${v.length} bytes`
  if (Array.isArray(v)) return `an array of ${v.length}`
  if (typeof v === 'string') return `a string of ${v.length}`
  if (typeof v === 'number') return String(v)
  return typeof v
}

/** A schema whose wire form is its typed form (only a check in both directions). */
function primitive<T> (check: (v: unknown, path: string) => T): Schema<T> {
  return {
    parse: (v, path = ROOT) => check(v, path),
    toWire: (v, path = ROOT) => check(v, path) as CodecValue
  }
}

export interface BytesOptions {
  /** Exact length. */
  readonly length?: number
  /** Maximum length (ignored when `length` is given). */
  readonly max?: number
}

export function bytes (options: BytesOptions = {}): Schema<Uint8Array> {
  const { length, max } = options
  const expected = length !== undefined ? `${length} bytes` : max !== undefined ? `at most ${max} bytes` : 'bytes'
  return primitive((v, path) => {
    if (!(v instanceof Uint8Array)) return fail(path, expected, v)
    if (length !== undefined ? v.length !== length : max !== undefined && v.length > max) fail(path, expected, v)
    return v
  })
}

/** A non-negative safe integer, at most `max`. */
export function uint (max: number = Number.MAX_SAFE_INTEGER): Schema<number> {
  return primitive((v, path) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) fail(path, `an integer in 0..${max}`, v)
    return v
  })
}

export function boolean (): Schema<boolean> {
  return primitive((v, path) => (typeof v === 'boolean' ? v : fail(path, 'a boolean', v)))
}

/** A string of at most `max` UTF-16 code units. */
export function string (max: number): Schema<string> {
  return primitive((v, path) => {
    if (typeof v !== 'string' || v.length > max) fail(path, `a string of at most ${max}`, v)
    return v
  })
}

export function literal<const L extends string | number | boolean | null> (value: L): Schema<L> {
  return primitive((v, path) => (v === value ? value : fail(path, JSON.stringify(value), v)))
}

/** One of a fixed set of strings. */
export function oneOf<const L extends string> (values: readonly L[]): Schema<L> {
  const set: ReadonlySet<string> = new Set(values)
  return primitive((v, path) => (typeof v === 'string' && set.has(v) ? v as L : fail(path, `one of ${values.join(', ')}`, v)))
}

export function optional<T> (schema: Schema<T>): OptionalSchema<T> {
  return {
    optional: true,
    parse: (v, path = ROOT) => (v === undefined ? undefined : schema.parse(v, path)),
    // An absent field has no wire form; `object` leaves it out.
    toWire: (v, path = ROOT) => (v === undefined ? undefined as unknown as CodecValue : schema.toWire(v, path))
  }
}

export function array<T> (item: Schema<T>, max: number): Schema<T[]> {
  const check = (v: unknown, path: string): readonly unknown[] => {
    if (!Array.isArray(v) || v.length > max) return fail(path, `an array of at most ${max}`, v)
    return v
  }
  return {
    parse: (v, path = ROOT) => check(v, path).map((x, i) => item.parse(x, `${path}[${i}]`)),
    toWire: (v, path = ROOT) => (check(v, path) as T[]).map((x, i) => item.toWire(x, `${path}[${i}]`))
  }
}

/** A fixed-length array whose positions have their own schemas (compact wire form for records). */
export function tuple<const S extends readonly Schema<unknown>[]> (...items: S): Schema<{ -readonly [K in keyof S]: Infer<S[K]> }> {
  type T = { -readonly [K in keyof S]: Infer<S[K]> }
  const check = (v: unknown, path: string): readonly unknown[] => {
    if (!Array.isArray(v) || v.length !== items.length) return fail(path, `an array of ${items.length}`, v)
    return v
  }
  return {
    parse: (v, path = ROOT) => check(v, path).map((x, i) => (items[i] as Schema<unknown>).parse(x, `${path}[${i}]`)) as T,
    toWire: (v, path = ROOT) => check(v, path).map((x, i) => (items[i] as Schema<unknown>).toWire(x, `${path}[${i}]`))
  }
}

export type Shape = Readonly<Record<string, Schema<unknown>>>

type Simplify<T> = { [K in keyof T]: T[K] } & {}
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S]
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>

export type ObjectOf<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>

export interface ObjectSchema<S extends Shape> extends Schema<ObjectOf<S>> {
  readonly shape: S
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return false
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * A closed object: exactly the fields of `shape` (optional ones may be absent).
 * `allowed` names extra keys a caller handles itself (the tag of a {@link union}).
 */
function checkObject (v: unknown, path: string, shape: Shape, allowed?: string): Record<string, unknown> {
  if (!isPlainObject(v)) return fail(path, 'an object', v)
  for (const key of Object.keys(v)) {
    if (key !== allowed && !Object.hasOwn(shape, key) && v[key] !== undefined) {
      throw invalidRequest(`${path}: unknown field ${JSON.stringify(key)}`)
    }
  }
  return v
}

function parseFields<S extends Shape> (shape: S, v: Record<string, unknown>, path: string): ObjectOf<S> {
  const out: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(shape)) {
    const value = field.parse(v[key], `${path}.${key}`)
    if (value !== undefined) out[key] = value
  }
  return out as ObjectOf<S>
}

function fieldsToWire (shape: Shape, v: Record<string, unknown>, path: string): Record<string, CodecValue> {
  const out: Record<string, CodecValue> = {}
  for (const [key, field] of Object.entries(shape)) {
    const wire = field.toWire(v[key], `${path}.${key}`)
    if (wire !== undefined) out[key] = wire
  }
  return out
}

export function object<const S extends Shape> (shape: S): ObjectSchema<S> {
  return {
    shape,
    parse: (v, path = ROOT) => parseFields(shape, checkObject(v, path, shape), path),
    toWire: (v, path = ROOT) => fieldsToWire(shape, checkObject(v, path, shape), path)
  }
}

export type Variants = Readonly<Record<string, ObjectSchema<Shape>>>

export type UnionOf<Tag extends string, V extends Variants> = {
  [K in keyof V & string]: Simplify<{ [T in Tag]: K } & Infer<V[K]>>
}[keyof V & string]

/**
 * A discriminated union: the `tag` field names the variant, whose own fields follow
 * (e.g. `union('type', { GetIData: object({ name }) })` is `{ type: 'GetIData', name: … }`).
 */
export function union<const Tag extends string, const V extends Variants> (tag: Tag, variants: V): Schema<UnionOf<Tag, V>> {
  const variantOf = (v: unknown, path: string): [string, ObjectSchema<Shape>, Record<string, unknown>] => {
    if (!isPlainObject(v)) return fail(path, 'an object', v)
    const name = v[tag]
    if (typeof name !== 'string' || !Object.hasOwn(variants, name)) {
      return fail(`${path}.${tag}`, `one of ${Object.keys(variants).join(', ')}`, name)
    }
    const schema = variants[name] as ObjectSchema<Shape>
    return [name, schema, checkObject(v, path, schema.shape, tag)]
  }
  return {
    parse: (v, path = ROOT) => {
      const [name, schema, fields] = variantOf(v, path)
      return { [tag]: name, ...parseFields(schema.shape, fields, path) } as UnionOf<Tag, V>
    },
    toWire: (v, path = ROOT) => {
      const [name, schema, fields] = variantOf(v, path)
      return { [tag]: name, ...fieldsToWire(schema.shape, fields, path) }
    }
  }
}

/**
 * A typed value with a different wire form: `wire` checks the wire shape, `fromWire` builds (and
 * may further check, throwing InvalidRequest) the typed value, `toWireForm` goes back.
 */
export function mapped<W, T> (wire: Schema<W>, fromWire: (w: W, path: string) => T, toWireForm: (t: T, path: string) => W): Schema<T> {
  return {
    parse: (v, path = ROOT) => fromWire(wire.parse(v, path), path),
    toWire: (v, path = ROOT) => wire.toWire(toWireForm(v, path), path)
  }
}

/** Defers building a schema until first use (for recursive or mutually dependent schemas). */
export function lazy<T> (build: () => Schema<T>): Schema<T> {
  let schema: Schema<T> | undefined
  const get = (): Schema<T> => (schema ??= build())
  return {
    parse: (v, path) => get().parse(v, path),
    toWire: (v, path) => get().toWire(v, path)
  }
}

/** Checks and returns a typed value, `what` naming it in error messages. */
export function validate<T> (schema: Schema<T>, value: unknown, what: string = ROOT): T {
  return schema.parse(value, what)
}

/** Encodes a typed value with the codec after checking it against its schema. */
export function encodeWith<T> (schema: Schema<T>, value: T): Uint8Array {
  return encode(asInvalidRequest(() => schema.toWire(value)))
}

/** Decodes bytes (canonical only) and checks them against a schema; only ever throws InvalidRequest. */
export function decodeWith<T> (schema: Schema<T>, bytes: Uint8Array, limits?: DecodeLimits): T {
  const wire = decode(bytes, limits)
  return asInvalidRequest(() => schema.parse(wire))
}

/** A `mapped` conversion might throw something else; from outside, a bad value is a bad value. */
function asInvalidRequest<T> (f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (isSafeMeshError(e) && e.code === 'InvalidRequest') throw e
    throw invalidRequest(`invalid value: ${e instanceof Error ? e.message : String(e)}`)
  }
}
