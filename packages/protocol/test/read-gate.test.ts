import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encode } from '../src/codec.js'
import { newMutableData, type MutableData } from '../src/data/mutable.js'
import {
  MAX_GATE_READERS, READ_GATE_KEY, checkRead, decodeReadGate, encodeReadGate, isPricedGate, isReadGated, readGateOf,
  shareEnvelopeOf, type ReadGate
} from '../src/data/read-gate.js'
import { TYPE_TAG_SHARE_ENVELOPE, TYPE_TAG_SHARE_LOG } from '../src/data/type-tags.js'
import { randomXorName } from '../src/xorname.js'
import { NODE_ONLY_MESSAGE_TYPES, decodeWireMessage, scanWireMessage, wireLimits } from '../src/messages/limits.js'
import { encodeMessage, encodeReply, decodeReply, type WireMessage } from '../src/messages/node-messages.js'
import { DEFAULT_NETWORK_PARAMS } from '../src/params.js'
import { expectSafeMeshError, hex, publicKey, text } from './helpers.js'

const owner = publicKey()
const reader = publicKey()
const other = publicKey()
const stranger = publicKey()
const NOW = Date.UTC(2026, 11, 4, 12)

function share (gate: ReadGate | Uint8Array | undefined, envelopes: Array<[Uint8Array, Uint8Array]> = []): MutableData {
  const entries = envelopes.map(([key, content]) => ({ key, content }))
  if (gate !== undefined) entries.push({ key: READ_GATE_KEY, content: gate instanceof Uint8Array ? gate : encodeReadGate(gate) })
  return newMutableData({ name: randomXorName(), tag: TYPE_TAG_SHARE_ENVELOPE, owners: [owner], entries })
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const gateArbitrary: fc.Arbitrary<ReadGate> = fc.record({
  readers: fc.array(bytes32, { maxLength: 8 }),
  expires: fc.maxSafeNat(),
  price: fc.nat(),
  payee: bytes32
}, { requiredKeys: ['readers'] }).filter(g => (g.price ?? 0) === 0 || g.payee !== undefined)

describe('read gate encoding', () => {
  it('round-trips every gate, canonically', () => {
    fc.assert(fc.property(gateArbitrary, (gate) => {
      const bytes = encodeReadGate(gate)
      const back = decodeReadGate(bytes)
      expect(back).toEqual(gate)
      expect(hex(encodeReadGate(back))).toBe(hex(bytes))
    }), { numRuns: 500 })
  })

  it('refuses malformed gates with InvalidRequest', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['not CBOR', text('safemesh')],
      ['no version', encode({ readers: [] })],
      ['a later version', encode({ v: 2, readers: [] })],
      ['a short reader key', encode({ v: 1, readers: [new Uint8Array(31)] })],
      ['a negative price', encode({ v: 1, readers: [], price: -1 })],
      ['an unknown field', encode({ v: 1, readers: [], note: 'x' })],
      ['a price with no payee', encode({ v: 1, readers: [], price: 3 })],
      ['too many readers', encode({ v: 1, readers: Array.from({ length: MAX_GATE_READERS + 1 }, () => new Uint8Array(32)) })]
    ]
    for (const [what, bytes] of cases) expect(() => decodeReadGate(bytes), what).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))
    expectSafeMeshError(() => encodeReadGate({ readers: [], price: 1 }), 'InvalidRequest')
  })

  it('gates tag 1004 only, and knows a priced gate', () => {
    expect(isReadGated(TYPE_TAG_SHARE_ENVELOPE)).toBe(true)
    expect([0, 1003, TYPE_TAG_SHARE_LOG, 15000].map(isReadGated)).toEqual([false, false, false, false])
    expect(isPricedGate({ readers: [], price: 0, payee: randomXorName() })).toBe(false)
    expect(isPricedGate({ readers: [], price: 2, payee: randomXorName() })).toBe(true)
  })

  it('reads the gate entry: none when absent, deleted or malformed', () => {
    expect(readGateOf(share({ readers: [reader] }))?.readers).toEqual([reader])
    expect(readGateOf(share(undefined))).toBeUndefined()
    expect(readGateOf(share(new Uint8Array(0)))).toBeUndefined()
    expect(readGateOf(share(text('not a gate')))).toBeUndefined()
  })
})

describe('checkRead', () => {
  const gated = share({ readers: [reader, other], expires: NOW + 1000 })

  it('lets the owner read, whatever the gate says or lacks', () => {
    checkRead(gated, owner, NOW + 10_000, false)
    checkRead(share(undefined), owner, NOW, false)
    checkRead(share(text('malformed')), owner, NOW, false)
    checkRead(share({ readers: [], price: 5, payee: randomXorName() }), owner, NOW, false)
  })

  it('lets a named reader read until the expiry, and not at it or after (Expired)', () => {
    checkRead(gated, reader, NOW, false)
    checkRead(gated, other, NOW + 999, false)
    expectSafeMeshError(() => checkRead(gated, reader, NOW + 1000, false), 'Expired')
    expectSafeMeshError(() => checkRead(gated, reader, NOW + 1001, true), 'Expired')
  })

  it('refuses a stranger AccessDenied, before and after the expiry', () => {
    expectSafeMeshError(() => checkRead(gated, stranger, NOW, true), 'AccessDenied')
    expectSafeMeshError(() => checkRead(gated, stranger, NOW + 5000, true), 'AccessDenied')
  })

  it('refuses everyone but the owner when the gate is missing, deleted or malformed', () => {
    for (const data of [share(undefined), share(new Uint8Array(0)), share(text('x')), share(encode({ v: 1, readers: [reader], price: 1 }))]) {
      expectSafeMeshError(() => checkRead(data, reader, NOW, true), 'AccessDenied')
    }
  })

  it('serves a priced gate to a reader only when paid', () => {
    const priced = share({ readers: [reader], price: 3, payee: randomXorName() })
    expectSafeMeshError(() => checkRead(priced, reader, NOW, false), 'AccessDenied')
    checkRead(priced, reader, NOW, true)
    expectSafeMeshError(() => checkRead(priced, stranger, NOW, true), 'AccessDenied')
    checkRead(share({ readers: [reader], price: 0 }), reader, NOW, false)
  })

  it('has no expiry when the gate sets none', () => {
    checkRead(share({ readers: [reader] }), reader, Number.MAX_SAFE_INTEGER, false)
  })

  it('decides exactly as the rule says for any gate, requester and time', () => {
    const who = fc.constantFrom('owner', 'reader', 'stranger')
    fc.assert(fc.property(gateArbitrary, who, fc.maxSafeNat(), fc.boolean(), (gate, role, now, paid) => {
      const requester = role === 'owner' ? owner : role === 'reader' ? reader : stranger
      const g = role === 'reader' ? { ...gate, readers: [...gate.readers, reader] } : gate
      const data = share(g)
      let expected: string = 'ok'
      if (role !== 'owner') {
        if (role === 'stranger') expected = 'AccessDenied'
        else if (g.expires !== undefined && now >= g.expires) expected = 'Expired'
        else if ((g.price ?? 0) > 0 && !paid) expected = 'AccessDenied'
      }
      let got = 'ok'
      try { checkRead(data, requester, now, paid) } catch (e) { got = (e as { code: string }).code }
      expect(got).toBe(expected)
    }), { numRuns: 1000 })
  })
})

describe('shareEnvelopeOf', () => {
  it('gives the gate and the requester\'s own envelope only', () => {
    const gate = encodeReadGate({ readers: [reader, other] })
    const data = share(gate, [[reader, text('sealed to reader')], [other, text('sealed to other')]])
    expect(shareEnvelopeOf(data, reader)).toEqual({ gate, envelope: text('sealed to reader') })
    expect(shareEnvelopeOf(data, owner)).toEqual({ gate })
  })

  it('leaves out a deleted envelope, and refuses data without a gate entry', () => {
    const gate = encodeReadGate({ readers: [reader] })
    const data = share(gate, [[reader, new Uint8Array(0)]])
    expect(shareEnvelopeOf(data, reader)).toEqual({ gate })
    expectSafeMeshError(() => shareEnvelopeOf(share(undefined, [[reader, text('x')]]), reader), 'NoSuchEntry')
  })
})

describe('the messages of read-gated reads', () => {
  const limits = wireLimits(DEFAULT_NETWORK_PARAMS)
  const fits = (message: WireMessage): void => {
    const bytes = encodeMessage(message)
    expect(decodeWireMessage(bytes, scanWireMessage(bytes, limits))).toEqual(message)
  }

  it('fit their wire limits at their largest', () => {
    fits({ type: 'GetShareEnvelope', name: randomXorName(), tag: Number.MAX_SAFE_INTEGER, payment: new Uint8Array(32).fill(255) })
    fits({ type: 'GetShareEnvelope', name: randomXorName(), tag: TYPE_TAG_SHARE_ENVELOPE })
    fits({ type: 'GetPayment', payee: randomXorName(), payer: randomXorName(), messageId: new Uint8Array(32).fill(255) })
  })

  it('take GetPayment from nodes only, and carry a Payment and an envelope reply', () => {
    expect(NODE_ONLY_MESSAGE_TYPES.has('GetPayment')).toBe(true)
    expect(NODE_ONLY_MESSAGE_TYPES.has('GetShareEnvelope')).toBe(false)
    const memo = randomXorName()
    expect(decodeReply(encodeReply({ type: 'Payment', amount: 7, memo }))).toEqual({ type: 'Payment', amount: 7, memo })
    const gate = encodeReadGate({ readers: [reader] })
    expect(decodeReply(encodeReply({ type: 'GetShareEnvelope', gate }))).toEqual({ type: 'GetShareEnvelope', gate })
  })
})
