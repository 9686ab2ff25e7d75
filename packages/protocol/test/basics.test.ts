import { describe, expect, it } from 'vitest'
import { immutableDataName, validateImmutableData } from '../src/data/immutable.js'
import { isReservedTypeTag, TYPE_TAG_NFS_DIRECTORY, TYPE_TAG_PUBLIC_ID, TYPE_TAG_SESSION_PACKET, TYPE_TAG_WEB_SERVICE } from '../src/data/type-tags.js'
import { ERROR_CODES, isSafeMeshError, SafeMeshError } from '../src/errors.js'
import { DEFAULT_NETWORK_PARAMS, networkParams, quorumOf } from '../src/params.js'
import { sha3_256 } from '../src/hash.js'
import { array, bytes, decodeWith, encodeWith, literal, object, optional, string, uint, union, validate, type Infer } from '../src/schema.js'
import { expectSafeMeshError, hex, text } from './helpers.js'

describe('errors', () => {
  it('has SPEC’s twenty stable codes and issue 15’s Expired', () => {
    expect(ERROR_CODES).toHaveLength(21)
    expect(new Set(ERROR_CODES).size).toBe(21)
    expect(ERROR_CODES.at(-1)).toBe('Expired')
  })

  it('is an Error named SafeMeshError with a code', () => {
    const e = new SafeMeshError('LowBalance')
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('SafeMeshError')
    expect(e.code).toBe('LowBalance')
    expect(e.message).toBe('LowBalance')
    expect(isSafeMeshError(e)).toBe(true)
    expect(isSafeMeshError(new Error('x'))).toBe(false)
    expect(new SafeMeshError('InvalidSuccessor', undefined, { current: 3 }).message).toContain('3')
  })
})

describe('network parameters', () => {
  it('defaults follow SPEC', () => {
    expect(DEFAULT_NETWORK_PARAMS).toMatchObject({
      groupSize: 8,
      quorum: 5,
      accountAllowance: 1000,
      maxImmutableDataSize: 1024 * 1024 + 10 * 1024,
      maxMutableDataEntries: 1000,
      maxMutableDataSize: 1024 * 1024
    })
    expect(DEFAULT_NETWORK_PARAMS.maxMessageSize).toBeGreaterThan(2 * 1024 * 1024)
  })

  it('derive the quorum and validate overrides', () => {
    expect([3, 4, 5, 8, 9].map(quorumOf)).toEqual([2, 3, 3, 5, 5])
    expect(networkParams({ groupSize: 3 })).toMatchObject({ groupSize: 3, quorum: 2 })
    expect(networkParams({ groupSize: 5, quorum: 5 }).quorum).toBe(5)
    expect(() => networkParams({ groupSize: 2 })).toThrow(RangeError)
    expect(() => networkParams({ groupSize: 8, quorum: 4 })).toThrow(RangeError)
    expect(() => networkParams({ groupSize: 8, quorum: 9 })).toThrow(RangeError)
    expect(() => networkParams({ accountAllowance: 1.5 })).toThrow(RangeError)
    expect(() => networkParams({ maxMessageSize: 0 })).toThrow(RangeError)
  })
})

describe('ImmutableData', () => {
  it('is named by SHA3-256 of its value', () => {
    expect(hex(immutableDataName(new Uint8Array(0)))).toBe('a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a')
    expect(hex(sha3_256(text('abc')))).toBe('3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532')
  })

  it('is checked for size, then name', () => {
    const value = text('hello')
    validateImmutableData(immutableDataName(value), value, DEFAULT_NETWORK_PARAMS)
    expectSafeMeshError(() => validateImmutableData(new Uint8Array(32), value, DEFAULT_NETWORK_PARAMS), 'InvalidRequest')
    const max = new Uint8Array(DEFAULT_NETWORK_PARAMS.maxImmutableDataSize)
    validateImmutableData(immutableDataName(max), max, DEFAULT_NETWORK_PARAMS)
    const over = new Uint8Array(DEFAULT_NETWORK_PARAMS.maxImmutableDataSize + 1)
    expectSafeMeshError(() => validateImmutableData(immutableDataName(over), over, DEFAULT_NETWORK_PARAMS), 'DataTooLarge')
  })
})

describe('type tags', () => {
  it('names SPEC’s tags and reserved range', () => {
    expect([TYPE_TAG_SESSION_PACKET, TYPE_TAG_NFS_DIRECTORY, TYPE_TAG_PUBLIC_ID, TYPE_TAG_WEB_SERVICE]).toEqual([0, 15000, 15001, 15002])
    expect([0, 1, 10000, 10001, 15000].map(isReservedTypeTag)).toEqual([false, true, true, false, false])
  })
})

describe('schema combinators', () => {
  const ping = union('type', {
    Ping: object({ nonce: bytes({ length: 4 }), hops: optional(uint(16)), note: optional(string(10)) }),
    Pong: object({ nonces: array(bytes({ max: 4 }), 2), ok: literal(true) })
  })
  type Ping = Infer<typeof ping>

  it('infers types and round-trips', () => {
    const a: Ping = { type: 'Ping', nonce: Uint8Array.of(1, 2, 3, 4) }
    const b: Ping = { type: 'Pong', nonces: [Uint8Array.of(1)], ok: true }
    expect(decodeWith(ping, encodeWith(ping, a))).toEqual(a)
    expect(decodeWith(ping, encodeWith(ping, b))).toEqual(b)
    expect(decodeWith(ping, encodeWith(ping, { ...a, hops: 3 }))).toEqual({ ...a, hops: 3 })
  })

  it.each<[unknown, string]>([
    [{ type: 'Ping', nonce: new Uint8Array(3) }, '$.nonce'],
    [{ type: 'Ping', nonce: new Uint8Array(4), hops: 17 }, '$.hops'],
    [{ type: 'Ping', nonce: new Uint8Array(4), note: 'x'.repeat(11) }, '$.note'],
    [{ type: 'Ping', nonce: new Uint8Array(4), extra: 1 }, 'extra'],
    [{ type: 'Pong', nonces: [new Uint8Array(5)], ok: true }, '$.nonces[0]'],
    [{ type: 'Pong', nonces: [], ok: false }, '$.ok'],
    [{ type: 'Pong', nonces: [1, 2, 3], ok: true }, '$.nonces'],
    [{ type: 'Pang' }, '$.type'],
    [null, '$']
  ])('refuses %j with the path %s', (value, path) => {
    const e = expectSafeMeshError(() => validate(ping, value), 'InvalidRequest')
    expect(e.message).toContain(path)
  })

  it('never returns unknown fields or shares the input object', () => {
    const input = { type: 'Ping', nonce: new Uint8Array(4) }
    const out = validate(ping, input)
    expect(out).not.toBe(input)
    expect(isSafeMeshError(out)).toBe(false)
  })
})
