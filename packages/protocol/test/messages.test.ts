import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encode } from '../src/codec.js'
import { errorFromWire, errorToWire } from '../src/error-wire.js'
import { SafeMeshError } from '../src/errors.js'
import { encodeMutableData } from '../src/data/mutable-codec.js'
import { newMutableData } from '../src/data/mutable.js'
import {
  decodeRequest, encodeRequest, isAccountRequest, isMutation, MUTATION_REQUEST_TYPES, REQUEST_TYPES, requestDataName, requestTarget, type Request
} from '../src/messages/request.js'
import { decodeResponse, encodeResponse, errorResponse, expectSuccess, responseError, type Response } from '../src/messages/response.js'
import { randomXorName } from '../src/xorname.js'
import { request, response, safeMeshError } from './arbitraries.js'
import { expectSafeMeshError, hex, publicKey, text } from './helpers.js'

/** MutableData holds Maps; compare requests and responses through their canonical bytes. */
const sameRequest = (a: Request, b: Request): void => expect(hex(encodeRequest(a))).toBe(hex(encodeRequest(b)))

describe('requests', () => {
  it('round-trip every request type through the codec, canonically', () => {
    const seen = new Set<string>()
    fc.assert(fc.property(request, (r) => {
      seen.add(r.type)
      const bytes = encodeRequest(r)
      const back = decodeRequest(bytes)
      expect(back.type).toBe(r.type)
      expect(hex(encodeRequest(back))).toBe(hex(bytes))
      if (r.type !== 'PutMData') expect(back).toEqual(r)
    }), { numRuns: 1500 })
    expect([...seen].sort()).toEqual([...REQUEST_TYPES].sort())
  }, 60_000)

  it('classify and target requests', () => {
    const account = randomXorName()
    const name = randomXorName()
    const requester = publicKey()
    const messageId = new Uint8Array(32)
    const read: Request = { type: 'GetMDataValue', name, tag: 1, key: text('k') }
    const accountRead: Request = { type: 'GetAccountInfo', account, requester }
    const mutate: Request = { type: 'MutateMDataEntries', account, requester, messageId, name, tag: 1, actions: [] }
    const data = newMutableData({ name, tag: 0, owners: [requester] })
    const put: Request = { type: 'PutMData', account, requester, messageId, data }
    expect([read, accountRead, mutate, put].map(isMutation)).toEqual([false, false, true, true])
    expect([read, accountRead, mutate, put].map(isAccountRequest)).toEqual([false, true, true, true])
    expect(requestTarget(read)).toBe(name)
    expect(requestTarget(accountRead)).toBe(account)
    expect(requestTarget(mutate)).toBe(account)
    expect(requestTarget(put)).toBe(account)
    expect(requestDataName(mutate)).toBe(name)
    expect(requestDataName(put)).toBe(name)
    expect(requestDataName(accountRead)).toBeUndefined()
    expect(MUTATION_REQUEST_TYPES.length).toBe(9)
    sameRequest(decodeRequest(encodeRequest(put)), put)
  })

  const account = randomXorName()
  const requester = publicKey()
  const messageId = new Uint8Array(32)
  it.each<[string, unknown]>([
    ['an unknown type', { type: 'Nope', name: randomXorName() }],
    ['a missing field', { type: 'GetMData', name: randomXorName() }],
    ['an unknown field', { type: 'GetIData', name: randomXorName(), extra: 1 }],
    ['a short name', { type: 'GetIData', name: new Uint8Array(31) }],
    ['a string where bytes belong', { type: 'GetIData', name: 'a'.repeat(32) }],
    ['a negative tag', { type: 'GetMData', name: randomXorName(), tag: -1 }],
    ['a short message id', { type: 'InsAuthKey', account, requester, messageId: new Uint8Array(31), key: publicKey(), version: 1 }],
    ['a short requester key', { type: 'InsAuthKey', account, requester: new Uint8Array(31), messageId, key: publicKey(), version: 1 }],
    ['a key twice in one batch', {
      type: 'MutateMDataEntries',
      account,
      requester,
      messageId,
      name: randomXorName(),
      tag: 1,
      actions: [{ key: text('k'), action: { kind: 'Insert', content: text('a') } }, { key: text('k'), action: { kind: 'Delete', version: 1 } }]
    }],
    ['an action with a missing version', {
      type: 'MutateMDataEntries',
      account,
      requester,
      messageId,
      name: randomXorName(),
      tag: 1,
      actions: [{ key: text('k'), action: { kind: 'Update', content: text('a') } }]
    }],
    ['a non-array batch', { type: 'MutateMDataEntries', account, requester, messageId, name: randomXorName(), tag: 1, actions: 'all' }],
    ['a non-object', [1, 2, 3]]
  ])('refuse %s as InvalidRequest, both ways', (_, value) => {
    expectSafeMeshError(() => decodeRequest(encode(value as never)), 'InvalidRequest')
    expectSafeMeshError(() => encodeRequest(value as Request), 'InvalidRequest')
  })

  it('refuse messages over the size limit', () => {
    const r: Request = { type: 'MutateMDataEntries', account, requester, messageId, name: randomXorName(), tag: 1, actions: [{ key: text('k'), action: { kind: 'Insert', content: new Uint8Array(5000) } }] }
    decodeRequest(encodeRequest(r))
    expectSafeMeshError(() => decodeRequest(encodeRequest(r), { maxBytes: 4096 }), 'InvalidRequest')
  })

  it('refuse a PutMData whose data is not canonical', () => {
    const data = newMutableData({ name: randomXorName(), tag: 0, owners: [requester], entries: [{ key: text('a'), content: text('1') }, { key: text('b'), content: text('2') }] })
    const wire = { type: 'PutMData', account, requester, messageId, data: { name: data.name, tag: 0, version: 0, owners: [requester], entries: [[text('b'), text('2'), 0], [text('a'), text('1'), 0]], permissions: [] } }
    expectSafeMeshError(() => decodeRequest(encode(wire)), 'InvalidRequest')
    expect(encodeMutableData(data).length).toBeGreaterThan(0)
  })

  it('leave rules to the rules: two owners decode fine (InvalidOwners is for the Data-Managers)', () => {
    const data = newMutableData({ name: randomXorName(), tag: 0, owners: [requester, publicKey()] })
    const back = decodeRequest(encodeRequest({ type: 'PutMData', account, requester, messageId, data }))
    expect(back.type === 'PutMData' && back.data.owners.length).toBe(2)
  })
})

describe('responses', () => {
  it('round-trip every response type', () => {
    fc.assert(fc.property(response, (r) => {
      const bytes = encodeResponse(r)
      const back = decodeResponse(bytes)
      expect(hex(encodeResponse(back))).toBe(hex(bytes))
      if (r.type !== 'GetMData' && r.type !== 'GetMDataShell') expect(back).toEqual(r)
    }), { numRuns: 1500 })
  }, 60_000)

  it('carry errors with their details', () => {
    fc.assert(fc.property(safeMeshError, (e) => {
      const back = decodeResponse(encodeResponse(errorResponse(e)))
      const again = responseError(back as Extract<Response, { type: 'Error' }>)
      expect(again).toBeInstanceOf(SafeMeshError)
      expect(again.name).toBe('SafeMeshError')
      expect(again.code).toBe(e.code)
      expect(again.message).toBe(e.message)
      expect(again.details).toEqual(e.details)
      expect(errorFromWire(errorToWire(e)).details).toEqual(e.details)
    }), { numRuns: 1000 })
  }, 60_000)

  it('always encode an error, whatever its message', () => {
    for (const message of ['x'.repeat(1023) + '😀', 'bad \ud800 text', 'y'.repeat(10_000)]) {
      const back = decodeResponse(encodeResponse(errorResponse(new SafeMeshError('Timeout', message))))
      expect(back.type === 'Error' && back.error.message.length).toBeLessThanOrEqual(1024)
    }
  })

  it('expectSuccess narrows, throws the carried error, or refuses a mismatched answer', () => {
    expect(expectSuccess({ type: 'GetMDataVersion', version: 3 }, 'GetMDataVersion').version).toBe(3)
    const e = expectSafeMeshError(() => expectSuccess(errorResponse(new SafeMeshError('InvalidSuccessor', undefined, { current: 4 })), 'SetMDataUserPermissions'), 'InvalidSuccessor')
    expect(e.details).toEqual({ current: 4 })
    expectSafeMeshError(() => expectSuccess({ type: 'PutIData' }, 'PutMData'), 'InvalidRequest')
  })

  it.each<[string, unknown]>([
    ['an unknown code', { code: 'Oops', message: '' }],
    ['EntryExists without its version', { code: 'EntryExists', message: '' }],
    ['details on a code without any', { code: 'AccessDenied', message: '', current: 1 }],
    ['two kinds of details', { code: 'InvalidSuccessor', message: '', current: 1, version: 2 }],
    ['NoSuchEntry with a version', { code: 'InvalidEntryActions', message: '', errors: [{ key: text('k'), code: 'NoSuchEntry', version: 1 }] }],
    ['EntryExists in a batch without a version', { code: 'InvalidEntryActions', message: '', errors: [{ key: text('k'), code: 'EntryExists' }] }],
    ['an over-long message', { code: 'Timeout', message: 'x'.repeat(5000) }]
  ])('refuse a wire error with %s', (_, error) => {
    expectSafeMeshError(() => errorFromWire(error), 'InvalidRequest')
    expectSafeMeshError(() => decodeResponse(encode({ type: 'Error', error: error as never })), 'InvalidRequest')
  })
})
