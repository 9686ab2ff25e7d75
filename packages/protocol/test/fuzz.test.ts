/**
 * Decoders face strangers: for ANY input they must return a value or throw
 * SafeMeshError('InvalidRequest') — never another error, never hang. 100,000 inputs per decoder:
 * random bytes, CBOR-flavoured garbage, and valid encodings damaged by flips, overwrites,
 * truncations, insertions and removals (which reach deep into the schemas).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../src/codec.js'
import { isSafeMeshError } from '../src/errors.js'
import { decodeRequest, encodeRequest } from '../src/messages/request.js'
import { decodeResponse, encodeResponse } from '../src/messages/response.js'
import { applyDamage, damage, request, response } from './arbitraries.js'

const corpusOf = <T>(arb: fc.Arbitrary<T>, enc: (t: T) => Uint8Array): Uint8Array[] =>
  fc.sample(arb, { numRuns: 400, seed: 20170401 }).map(enc)

const requestCorpus = corpusOf(request, encodeRequest)
const responseCorpus = corpusOf(response, encodeResponse)

const randomBytes = fc.uint8Array({ maxLength: 64 })
/** Byte strings made of CBOR item heads and small payload bytes: garbage that looks like CBOR. */
const cborish = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(0x18, 0x19, 0x1a, 0x1b, 0x40, 0x58, 0x5f, 0x60, 0x78, 0x7f, 0x80, 0x81, 0x98, 0x9f, 0xa0, 0xa1, 0xb8, 0xbf, 0xc2, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff)
  ),
  { maxLength: 48 }
).map((a) => Uint8Array.from(a))
const damaged = (corpus: Uint8Array[]): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.constantFrom(...corpus), fc.array(damage, { minLength: 1, maxLength: 4 })).map(([b, d]) => applyDamage(b, d))

interface Tally { accepted: number, refused: number }

/** Runs a decoder; anything but a value or InvalidRequest fails the property (with the input). */
function total<T> (decoder: (b: Uint8Array) => T, check: (value: T, b: Uint8Array) => void, tally: Tally) {
  return (b: Uint8Array): void => {
    let value: T
    try {
      value = decoder(b)
    } catch (e) {
      if (isSafeMeshError(e) && e.code === 'InvalidRequest') {
        tally.refused++
        return
      }
      throw new Error(`decoder threw ${String(e)} for ${Buffer.from(b).toString('hex')}`)
    }
    tally.accepted++
    check(value, b)
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
/** Whatever is accepted must be canonical: re-encoding gives back the very bytes. */
const canonical = <T>(enc: (t: T) => Uint8Array) => (value: T, b: Uint8Array): void => {
  const again = hex(enc(value))
  if (again !== hex(b)) throw new Error(`accepted non-canonical bytes ${hex(b)}`)
}

const TIMEOUT = 120_000

describe.each([
  ['decode', decode, canonical(encode)],
  ['decodeRequest', decodeRequest, canonical(encodeRequest)]
] as const)('%s is total over 100,000 inputs', (_, decoder, check) => {
  const tally: Tally = { accepted: 0, refused: 0 }
  const run = (arb: fc.Arbitrary<Uint8Array>, numRuns: number): void => {
    fc.assert(fc.property(arb, total(decoder as (b: Uint8Array) => unknown, check as (v: unknown, b: Uint8Array) => void, tally)), { numRuns })
  }

  it('20,000 random byte strings', () => run(randomBytes, 20_000), TIMEOUT)
  it('20,000 CBOR-like byte strings', () => run(cborish, 20_000), TIMEOUT)
  it('60,000 damaged valid requests', () => run(damaged(requestCorpus), 60_000), TIMEOUT)
  it('saw both outcomes', () => {
    expect(tally.accepted + tally.refused).toBe(100_000)
    expect(tally.refused).toBeGreaterThan(0)
    expect(tally.accepted).toBeGreaterThan(0)
  })
})

describe('decodeResponse is total', () => {
  it('20,000 damaged valid responses', () => {
    const tally: Tally = { accepted: 0, refused: 0 }
    fc.assert(fc.property(damaged(responseCorpus), total(decodeResponse, canonical(encodeResponse), tally)), { numRuns: 20_000 })
    expect(tally.accepted).toBeGreaterThan(0)
  }, TIMEOUT)
})

describe('hostile shapes', () => {
  it.each([
    ['a 2 MiB run of nested array heads', new Uint8Array(2 * 1024 * 1024).fill(0x81)],
    ['a 2 MiB run of map heads', new Uint8Array(2 * 1024 * 1024).fill(0xa1)],
    ['a claimed 2^64-byte string', Uint8Array.of(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
    ['a claimed 2^32-item array', Uint8Array.of(0x9a, 0xff, 0xff, 0xff, 0xff, 0x00)],
    ['a request one byte over the size limit', new Uint8Array(2 * 1024 * 1024 + 64 * 1024 + 1)]
  ])('%s is refused quickly', (_, bytes) => {
    const t = performance.now()
    for (const decoder of [decode, decodeRequest, decodeResponse]) {
      try {
        decoder(bytes)
        expect.fail('accepted')
      } catch (e) {
        expect(isSafeMeshError(e) && e.code).toBe('InvalidRequest')
      }
    }
    expect(performance.now() - t).toBeLessThan(2000)
  })
})
