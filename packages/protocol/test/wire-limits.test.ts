import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decode, encode, type CodecValue } from '../src/codec.js'
import { isSafeMeshError } from '../src/errors.js'
import { assertBatchCanFit } from '../src/data/entry-actions.js'
import { MAX_PERMISSION_USERS, assertWithinLimits } from '../src/data/mutable-limits.js'
import { newMutableData, type MutableData } from '../src/data/mutable.js'
import { decodeWireMessage, scanWireMessage, wireLimits } from '../src/messages/limits.js'
import { MAX_AUTH_KEYS, MAX_HOLDINGS, encodeMessage, type WireMessage } from '../src/messages/node-messages.js'
import { FORWARD_INLINE_BYTES, chargeOf } from '../src/messages/forwarding.js'
import { DEFAULT_NETWORK_PARAMS } from '../src/params.js'
import { scanWire } from '../src/wire-scan.js'
import { applyDamage, damage, request } from './arbitraries.js'
import { expectSafeMeshError } from './helpers.js'

const limits = wireLimits(DEFAULT_NETWORK_PARAMS)
const key = (i: number, fill = 0): Uint8Array => { const b = new Uint8Array(32).fill(fill); new DataView(b.buffer).setUint32(0, i); return b }
const MAX_INT = Number.MAX_SAFE_INTEGER

/** Items the way the scan counts them: every value, key and container one. */
function itemsOf (value: CodecValue): number {
  if (Array.isArray(value)) return 1 + value.reduce<number>((n, v) => n + itemsOf(v), 0)
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return 1 + Object.values(value).reduce<number>((n, v) => n + 1 + itemsOf(v), 0)
  }
  return 1
}

/** The largest MutableData the limits allow, in items: every entry and every permission user filled. */
function fullestMutableData (): MutableData {
  const entries = Array.from({ length: DEFAULT_NETWORK_PARAMS.maxMutableDataEntries }, (_, i) => ({ key: key(i).subarray(0, 4), content: new Uint8Array(0), version: MAX_INT }))
  const all = { Insert: true, Update: false, Delete: true, ManagePermissions: false }
  const permissions = [
    { user: { kind: 'Anyone' as const }, permissions: all },
    ...Array.from({ length: MAX_PERMISSION_USERS - 1 }, (_, i) => ({ user: { kind: 'Key' as const, key: key(i, 1) }, permissions: all }))
  ]
  return newMutableData({ name: key(0), tag: MAX_INT, owners: [key(0, 2)], entries, permissions, version: MAX_INT })
}

function accepted (message: WireMessage): void {
  const bytes = encodeMessage(message)
  const header = scanWireMessage(bytes, limits)
  expect(header.type).toBe(message.type)
  expect(decodeWireMessage(bytes, header).type).toBe(message.type)
}

describe('scanWire', () => {
  it('reads the type and counts the items of every valid request as a decode does', () => {
    fc.assert(fc.property(request, (r) => {
      const bytes = encodeMessage(r)
      const shape = scanWire(bytes, 1 << 16)
      expect(shape.type).toBe(r.type)
      expect(shape.items).toBe(itemsOf(decode(bytes)))
    }), { numRuns: 2000 })
  })

  it('accepts whatever decode accepts, with the same count, and refuses only with InvalidRequest', () => {
    fc.assert(fc.property(request, fc.array(damage, { minLength: 1, maxLength: 3 }), (r, damages) => {
      const bytes = applyDamage(encodeMessage(r), damages)
      let decoded: CodecValue | undefined
      try { decoded = decode(bytes) } catch {}
      try {
        const shape = scanWire(bytes, 1 << 16)
        if (decoded !== undefined) expect(shape.items).toBe(itemsOf(decoded))
      } catch (e) {
        expect(isSafeMeshError(e) && e.code).toBe('InvalidRequest')
        expect(decoded).toBeUndefined()
      }
    }), { numRuns: 5000 })
  })

  it('stops counting at the limit, whatever the frame claims', () => {
    const flat = new Uint8Array(2 * 1024 * 1024)
    flat.set([0xa2, 0x64, ...new TextEncoder().encode('type'), 0x68, ...new TextEncoder().encode('PutMData'), 0x64, ...new TextEncoder().encode('data'), 0x9a, 0x00, 0x1f, 0xff, 0xe0])
    expectSafeMeshError(() => scanWire(flat, 1000), 'InvalidRequest')
  })
})

describe('wire limits', () => {
  it('let the largest legitimate message of each big type through', () => {
    const data = fullestMutableData()
    const base = { account: key(1), requester: key(2), messageId: key(3) }
    const putMData = { type: 'PutMData' as const, ...base, data }
    accepted(putMData)
    accepted({ type: 'Forward', account: key(1), owner: key(2), executor: key(3), digest: key(4), mutation: new Uint8Array(FORWARD_INLINE_BYTES) })
    accepted({ type: 'Applied', charge: { ...chargeOf({ type: 'InsAuthKey', ...base, key: key(5), version: MAX_INT }, key(4)), opens: key(6) } })
    const votes = Array.from({ length: 64 }, (_, i) => ({ voter: key(i), signature: new Uint8Array(64) }))
    accepted({ type: 'PushMData', data, seq: MAX_INT, certificate: { seq: MAX_INT, round: MAX_INT, sequencer: key(0), requestId: key(1), digest: key(2), votes } })
    const actions = Array.from({ length: 2 * DEFAULT_NETWORK_PARAMS.maxMutableDataEntries }, (_, i) => ({ key: key(i), action: { kind: 'Update' as const, content: new Uint8Array(0), version: MAX_INT } }))
    accepted({ type: 'MutateMDataEntries', ...base, name: key(4), tag: MAX_INT, actions })
    accepted({
      type: 'Holdings',
      chunks: Array.from({ length: MAX_HOLDINGS }, (_, i) => key(i)),
      mdata: Array.from({ length: MAX_HOLDINGS }, (_, i) => ({ name: key(i), tag: MAX_INT, seq: MAX_INT })),
      accounts: Array.from({ length: MAX_HOLDINGS }, (_, i) => ({ account: key(i), mutationsDone: MAX_INT }))
    })
    accepted({ type: 'PushAccount', account: key(0), record: { owner: key(1), mutationsDone: MAX_INT, authKeys: Array.from({ length: MAX_AUTH_KEYS }, (_, i) => key(i)), authKeysVersion: MAX_INT, appOf: key(2) } })
    accepted({ type: 'OfferChunk', value: new Uint8Array(DEFAULT_NETWORK_PARAMS.maxImmutableDataSize) })
    accepted({ type: 'ChangeMDataOwner', ...base, name: key(4), tag: MAX_INT, newOwners: Array.from({ length: 16 }, (_, i) => key(i)), version: MAX_INT })
  })

  it('refuse a 2 MiB frame of tiny items after a scan of its first items', () => {
    // The attack of issue 14 point 1: a PutMData whose entries are ~500 k tiny triples.
    const triples = 500_000
    const head = encode({ type: 'PutMData' }).subarray(1)
    const frame = new Uint8Array(2 * 1024 * 1024)
    let at = 0
    frame[at++] = 0xa2 // a map of two: data, type
    frame.set([0x64, ...new TextEncoder().encode('data')], at); at += 5
    frame.set([0x9a, 0, 0, 0, 0], at); new DataView(frame.buffer).setUint32(at + 1, triples); at += 5
    for (let i = 0; i < triples && at + 4 < frame.length - head.length; i++) { frame.set([0x83, 0x40, 0x40, 0x00], at); at += 4 }
    frame.set(head, at)
    const started = process.cpuUsage()
    // Stopped at the item cap: it never walked the other ~1.9 M items.
    expect(expectSafeMeshError(() => scanWireMessage(frame.subarray(0, at + head.length), limits), 'InvalidRequest').message).toMatch(/more than 65536 items/)
    const spent = process.cpuUsage(started)
    console.log(`refusing a ${((at + head.length) / 1024 / 1024).toFixed(2)} MiB frame of ${triples * 4} items cost ${((spent.user + spent.system) / 1000).toFixed(2)} ms of CPU`)
  })

  it('refuse a small message type carrying a big body before scanning it', () => {
    const commit = encode({ type: 'Commit', padding: new Uint8Array(64 * 1024) })
    expect(() => scanWireMessage(commit, limits)).toThrow(/Commit is at most/)
    expect(() => scanWireMessage(encode({ type: 'NoSuchMessage' }), limits)).toThrow(/no known type/)
    expect(() => scanWireMessage(encode([1, 2, 3]), limits)).toThrow(/no known type/)
  })
})

describe('limits a Maid-Manager checks without the data', () => {
  it('refuses a batch of more keys than a MutableData holds, or more bytes than it may be', () => {
    const n = DEFAULT_NETWORK_PARAMS.maxMutableDataEntries
    const del = (i: number) => ({ key: key(i), action: { kind: 'Delete' as const, version: 1 } })
    assertBatchCanFit(Array.from({ length: n }, (_, i) => del(i)))
    expectSafeMeshError(() => assertBatchCanFit(Array.from({ length: n + 1 }, (_, i) => del(i))), 'TooManyEntries')
    const big = { key: key(0), action: { kind: 'Insert' as const, content: new Uint8Array(DEFAULT_NETWORK_PARAMS.maxMutableDataSize) } }
    expectSafeMeshError(() => assertBatchCanFit([big]), 'DataTooLarge')
  })

  it('refuses a MutableData naming more permission users than the limit', () => {
    const md = fullestMutableData()
    assertWithinLimits({ ...md, entries: new Map() })
    const permissions = new Map(md.permissions)
    permissions.set('one-more', { user: { kind: 'Key', key: key(1, 9) }, permissions: {} })
    expectSafeMeshError(() => assertWithinLimits({ ...md, entries: new Map(), permissions }), 'TooManyEntries')
  })
})
