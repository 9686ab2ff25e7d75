import fc from 'fast-check'
import { newMutableData, userId, type MutableData, type PermissionSet, type User } from '../src/data/mutable.js'
import type { Request } from '../src/messages/request.js'
import type { Response } from '../src/messages/response.js'
import { errorToWire } from '../src/error-wire.js'
import { ERROR_CODES, SafeMeshError } from '../src/errors.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const bytesN = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })

export const name = bytesN(32)
export const publicKey = bytesN(32)
export const messageId = bytesN(32)
const smallBytes = fc.uint8Array({ maxLength: 24 })
const tag = fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.constant(2 ** 53 - 1))
const version = fc.oneof(fc.nat({ max: 5 }), fc.maxSafeNat())

const user: fc.Arbitrary<User> = fc.oneof(
  fc.constant<User>({ kind: 'Anyone' }),
  publicKey.map((key): User => ({ kind: 'Key', key }))
)

export const permissionSet: fc.Arbitrary<PermissionSet> = fc.record(
  { Insert: fc.boolean(), Update: fc.boolean(), Delete: fc.boolean(), ManagePermissions: fc.boolean() },
  { requiredKeys: [] }
)

const mutableData: fc.Arbitrary<MutableData> = fc.record({
  name,
  tag,
  owners: fc.array(publicKey, { minLength: 1, maxLength: 2 }),
  entries: fc.uniqueArray(fc.record({ key: fc.uint8Array({ maxLength: 8 }), content: smallBytes, version }), { selector: (e) => hex(e.key), maxLength: 5 }),
  permissions: fc.uniqueArray(fc.record({ user, permissions: permissionSet }), { selector: (p) => userId(p.user), maxLength: 3 }),
  version
}).map(newMutableData)

const mutation = { messageId, requester: publicKey, account: name }
const md = { name, tag }

const entryAction = fc.oneof(
  fc.record({ kind: fc.constant('Insert' as const), content: smallBytes }),
  fc.record({ kind: fc.constant('Update' as const), content: smallBytes, version }),
  fc.record({ kind: fc.constant('Delete' as const), version })
)

const variant = <const T extends string, R extends Record<string, fc.Arbitrary<unknown>>> (type: T, fields: R) =>
  fc.record({ type: fc.constant(type), ...fields })

export const request: fc.Arbitrary<Request> = fc.oneof(
  variant('GetIData', { name }),
  variant('GetMData', md),
  variant('GetMDataShell', md),
  variant('GetMDataVersion', md),
  variant('ListMDataEntries', md),
  variant('ListMDataKeys', md),
  variant('ListMDataValues', md),
  variant('GetMDataValue', { ...md, key: smallBytes }),
  variant('ListMDataPermissions', md),
  variant('ListMDataUserPermissions', { ...md, user }),
  variant('GetShareEnvelope', { ...md, payment: fc.option(messageId, { nil: undefined }) }),
  variant('GetAccountInfo', { account: name, requester: publicKey }),
  variant('ListAuthKeysAndVersion', { account: name, requester: publicKey }),
  variant('ListCredits', { account: name, requester: publicKey }),
  variant('TransferCredit', { ...mutation, to: name, amount: fc.maxSafeNat(), memo: fc.option(name, { nil: undefined }) }),
  variant('PutIData', { ...mutation, name, size: fc.maxSafeNat() }),
  variant('PutMData', { ...mutation, data: mutableData }),
  variant('MutateMDataEntries', {
    ...mutation,
    ...md,
    actions: fc.uniqueArray(fc.record({ key: fc.uint8Array({ maxLength: 8 }), action: entryAction }), { selector: (a) => hex(a.key), maxLength: 4 })
  }),
  variant('SetMDataUserPermissions', { ...mutation, ...md, user, permissions: permissionSet, version }),
  variant('DelMDataUserPermissions', { ...mutation, ...md, user, version }),
  variant('ChangeMDataOwner', { ...mutation, ...md, newOwners: fc.array(publicKey, { maxLength: 2 }), version }),
  variant('InsAuthKey', { ...mutation, key: publicKey, version }),
  variant('DelAuthKey', { ...mutation, key: publicKey, version })
) as fc.Arbitrary<Request>

export const safeMeshError: fc.Arbitrary<SafeMeshError> = fc.oneof(
  fc.tuple(fc.constantFrom(...ERROR_CODES.filter((c) => !['EntryExists', 'InvalidSuccessor', 'InvalidEntryActions'].includes(c))), fc.string({ maxLength: 30 }))
    .map(([code, message]) => new SafeMeshError(code, message)),
  version.map((v) => new SafeMeshError('EntryExists', undefined, { version: v })),
  version.map((v) => new SafeMeshError('InvalidSuccessor', undefined, { current: v })),
  fc.array(fc.tuple(smallBytes, fc.oneof(
    fc.constant({ code: 'NoSuchEntry' as const }),
    version.map((v) => ({ code: 'EntryExists' as const, version: v })),
    version.map((v) => ({ code: 'InvalidSuccessor' as const, version: v }))
  )), { minLength: 1, maxLength: 4 }).map((errors) => new SafeMeshError('InvalidEntryActions', undefined, { errors: errors.map(([key, error]) => ({ key, error })) }))
)

const empty = <const T extends string>(type: T) => fc.constant({ type })

export const response: fc.Arbitrary<Response> = fc.oneof(
  variant('GetIData', { value: fc.uint8Array({ maxLength: 64 }) }),
  variant('GetMData', { data: mutableData }),
  variant('GetMDataShell', { data: mutableData }),
  variant('GetMDataVersion', { version }),
  variant('ListMDataEntries', { entries: fc.array(fc.record({ key: smallBytes, content: smallBytes, version }), { maxLength: 4 }) }),
  variant('ListMDataKeys', { keys: fc.array(smallBytes, { maxLength: 4 }) }),
  variant('ListMDataValues', { values: fc.array(fc.record({ content: smallBytes, version }), { maxLength: 4 }) }),
  variant('GetMDataValue', { value: fc.record({ content: smallBytes, version }) }),
  variant('ListMDataPermissions', { permissions: fc.array(fc.record({ user, permissions: permissionSet }), { maxLength: 3 }) }),
  variant('ListMDataUserPermissions', { permissions: permissionSet }),
  variant('GetShareEnvelope', { gate: smallBytes, envelope: fc.option(smallBytes, { nil: undefined }) }),
  variant('GetAccountInfo', { mutationsDone: fc.nat(), mutationsAvailable: fc.nat(), creditsReceived: fc.nat(), creditsSent: fc.nat() }),
  variant('ListCredits', { credits: fc.array(fc.record({ payer: name, amount: fc.maxSafeNat(), memo: fc.option(name, { nil: undefined }), messageId }), { maxLength: 3 }) }),
  empty('TransferCredit'),
  variant('ListAuthKeysAndVersion', { keys: fc.array(publicKey, { maxLength: 3 }), version }),
  empty('PutIData'), empty('PutMData'), empty('MutateMDataEntries'), empty('SetMDataUserPermissions'),
  empty('DelMDataUserPermissions'), empty('ChangeMDataOwner'), empty('InsAuthKey'), empty('DelAuthKey'),
  safeMeshError.map((e) => ({ type: 'Error' as const, error: errorToWire(e) }))
) as fc.Arbitrary<Response>

/** Byte-level damage to a valid encoding: the shapes of corruption and of deliberate probing. */
export type Damage =
  | { op: 'flip', at: number, bit: number }
  | { op: 'set', at: number, value: number }
  | { op: 'truncate', at: number }
  | { op: 'insert', at: number, bytes: Uint8Array }
  | { op: 'remove', at: number, length: number }

// Bytes that start the CBOR items most likely to upset a decoder: huge lengths, indefinite forms,
// floats, undefined, tags, breaks, simple values.
const NASTY = [0x00, 0x17, 0x18, 0x1b, 0x3b, 0x5b, 0x5f, 0x7b, 0x7f, 0x9b, 0x9f, 0xbb, 0xbf, 0xc0, 0xc2, 0xd8, 0xf4, 0xf6, 0xf7, 0xf8, 0xf9, 0xfb, 0xff]

export const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...NASTY), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 9 }), fc.constantFrom(...NASTY).map((b) => Uint8Array.of(b))) }),
  fc.record({ op: fc.constant('remove' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) })
)

export function applyDamage (input: Uint8Array, damages: readonly Damage[]): Uint8Array {
  let b = Uint8Array.from(input)
  for (const d of damages) {
    const at = b.length === 0 ? 0 : d.at % b.length
    switch (d.op) {
      case 'flip': if (b.length > 0) b[at] = (b[at] as number) ^ (1 << d.bit); break
      case 'set': if (b.length > 0) b[at] = d.value; break
      case 'truncate': b = b.slice(0, at); break
      case 'insert': b = Uint8Array.from([...b.subarray(0, at), ...d.bytes, ...b.subarray(at)]); break
      case 'remove': b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + d.length)]); break
    }
  }
  return b
}
