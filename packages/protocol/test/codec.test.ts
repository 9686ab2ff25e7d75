import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encode as cborEncode, rfc8949EncodeOptions } from 'cborg'
import { decode, encode, MAX_CODEC_DEPTH, type CodecValue } from '../src/codec.js'
import { isSafeMeshError } from '../src/errors.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

/** Every CodecValue, including awkward keys and unicode; -0 excluded (it encodes as 0). */
export const codecValue: fc.Arbitrary<CodecValue> = fc.letrec<{ value: CodecValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger().map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.string({ unit: 'binary', maxLength: 8 }).filter((k) => k !== '__proto__' && !/\p{Cs}/u.test(k)),
      tie('value'),
      { maxKeys: 5 }
    )
  )
})).value

function expectInvalidRequest (f: () => unknown): void {
  try {
    f()
  } catch (e) {
    expect(isSafeMeshError(e)).toBe(true)
    expect((e as { code: string }).code).toBe('InvalidRequest')
    return
  }
  expect.fail('expected InvalidRequest')
}

describe('codec', () => {
  it('round-trips every CodecValue', () => {
    fc.assert(fc.property(codecValue, (v) => {
      expect(decode(encode(v))).toEqual(v)
    }), { numRuns: 2000 })
  }, 60_000)

  it('is canonical: encode∘decode is the identity on accepted bytes', () => {
    fc.assert(fc.property(codecValue, (v) => {
      const b = encode(v)
      expect(hex(encode(decode(b)))).toBe(hex(b))
    }), { numRuns: 1000 })
  }, 60_000)

  it('encodes the same data to the same bytes whatever the key insertion order', () => {
    expect(hex(encode({ b: 1, a: 2, aa: 3 }))).toBe(hex(encode({ aa: 3, a: 2, b: 1 })))
    // RFC 8949 bytewise order: "a" (0x61 61) < "b" (0x61 62) < "aa" (0x62 61 61)
    expect(hex(encode({ aa: 3, b: 1, a: 2 }))).toBe('a3' + '616102' + '616201' + '62616103')
  })

  it('orders keys as RFC 8949 deterministic encoding does', () => {
    fc.assert(fc.property(codecValue, (v) => {
      expect(hex(encode(v))).toBe(hex(cborEncode(v, rfc8949EncodeOptions)))
    }), { numRuns: 1000 })
  }, 60_000)

  it('omits undefined object properties', () => {
    expect(hex(encode({ a: 1, b: undefined } as unknown as CodecValue))).toBe(hex(encode({ a: 1 })))
  })

  it.each([
    ['float', 'f93c00'],
    ['float64 integral', 'fb3ff0000000000000'],
    ['undefined', 'f7'],
    ['tag', 'c240'],
    ['non-minimal integer', '1801'],
    ['non-minimal length', '5801ff'],
    ['indefinite array', '9f01ff'],
    ['unsorted keys', 'a2616201616102'],
    ['duplicate keys', 'a2616101616102'],
    ['integer key', 'a10101'],
    ['__proto__ key', 'a1695f5f70726f746f5f5fa0'],
    ['invalid utf-8', '62c328'],
    ['trailing bytes', '0101'],
    ['empty input', ''],
    ['truncated', '830102'],
    ['simple value', 'f0'],
    ['unsafe integer', '1b0020000000000000'],
    ['huge claimed length', '5bffffffffffffffff'],
    ['huge claimed array', '9bffffffffffffff00']
  ])('rejects %s', (_, h) => {
    expectInvalidRequest(() => decode(bytes(h)))
  })

  it('bounds nesting depth', () => {
    const ok = bytes('81'.repeat(MAX_CODEC_DEPTH) + '00')
    expect(() => decode(ok)).not.toThrow()
    expectInvalidRequest(() => decode(bytes('81'.repeat(MAX_CODEC_DEPTH + 1) + '00')))
    expectInvalidRequest(() => decode(new Uint8Array(1_000_000).fill(0x81)))
  })

  it('bounds the input size', () => {
    expectInvalidRequest(() => decode(encode(new Uint8Array(100)), { maxBytes: 50 }))
  })

  it.each([
    ['a float', 1.5],
    ['NaN', Number.NaN],
    ['an unsafe integer', 2 ** 53],
    ['a bigint', 1n],
    ['a Map', new Map()],
    ['a Date', new Date()],
    ['undefined', undefined],
    ['a lone surrogate', '\ud800'],
    ['a __proto__ key', JSON.parse('{"__proto__": 1}')]
  ])('refuses to encode %s', (_, v) => {
    expectInvalidRequest(() => encode(v as CodecValue))
  })
})
