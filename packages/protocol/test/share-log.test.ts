import { createHash, createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  SHARE_LOG_GENESIS, assertShareLogSegmentPut, decodeShareLogRecord, encodeShareLogRecord, shareLogIndexOf, shareLogKey,
  shareLogName, shareLogRecordHash, shareLogSegmentName, shareLogSegmentProblem, shareLogSigningBytes, signShareLogRecord,
  verifyShareLog, type ShareEvent, type ShareLogRecord
} from '../src/sharing/share-log.js'
import { newMutableData, type MutableData } from '../src/data/mutable.js'
import { TYPE_TAG_SHARE_LOG } from '../src/data/type-tags.js'
import { encode } from '../src/codec.js'
import { SafeMeshError } from '../src/errors.js'
import type { VerifySignature } from '../src/group/certificate.js'

interface Signer { key: Uint8Array, secret: KeyObject }

function signer (): Signer {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const jwk = publicKey.export({ format: 'jwk' })
  return { key: new Uint8Array(Buffer.from(jwk.x as string, 'base64url')), secret: privateKey }
}

const verifyEd25519: VerifySignature = (signature, message, publicKey) => {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' })
    return edVerify(null, message, key, signature)
  } catch {
    return false
  }
}

const owner = signer()
const stranger = signer()
const signWith = (s: Signer) => (message: Uint8Array): Uint8Array => new Uint8Array(edSign(null, message, s.secret))

interface Entry { key: Uint8Array, content: Uint8Array, version?: number }

/** A log of `events` written as the client does: chained, signed, keyed by index. */
function writeLog (events: readonly ShareEvent[], by: Signer = owner, first = 0, prev = SHARE_LOG_GENESIS): Entry[] {
  const entries: Entry[] = []
  for (const [i, event] of events.entries()) {
    const record: ShareLogRecord = { index: first + i, prev, at: 1_700_000_000_000 + i, event }
    const content = encodeShareLogRecord(record, signShareLogRecord(record, signWith(by)))
    entries.push({ key: shareLogKey(first + i), content, version: 0 })
    prev = shareLogRecordHash(content)
  }
  return entries
}

const bytesN = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const name = bytesN(32)
const key = bytesN(32)
const keys = fc.array(key, { maxLength: 4 })
const time = fc.nat({ max: 2 ** 45 })

const event: fc.Arbitrary<ShareEvent> = fc.oneof(
  fc.record({ kind: fc.constant('share' as const), share: name, path: fc.string({ maxLength: 40 }), recipients: keys, expires: time, price: fc.nat() }, { requiredKeys: ['kind', 'share', 'path', 'recipients'] }),
  fc.record({ kind: fc.constant('revoke' as const), share: name, recipients: keys }),
  fc.record({ kind: fc.constant('expiry' as const), share: name, expires: time }, { requiredKeys: ['kind', 'share'] }),
  fc.record({ kind: fc.constant('payment' as const), share: name, payer: name, amount: fc.nat(), messageId: bytesN(32) }),
  fc.record({ kind: fc.constant('link' as const), share: name, link: key }),
  fc.record({ kind: fc.constant('link-cancel' as const), share: name, link: key })
)

// Logs of at least 2 records, and a position in them.
const logAndPosition = fc.array(event, { minLength: 2, maxLength: 12 }).chain(events =>
  fc.tuple(fc.constant(events), fc.nat({ max: events.length - 1 })))

function failedAt (entries: readonly Entry[]): { index: number, fault: string, reason: string } | 'ok' {
  const result = verifyShareLog(entries, owner.key, verifyEd25519)
  return result.ok ? 'ok' : { index: result.index, fault: result.fault, reason: result.reason }
}

describe('share log records: signed, hash-chained, keyed by index', () => {
  it('an intact log of any events verifies, and gives back every record as written', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 15 }), events => {
      const entries = writeLog(events)
      const result = verifyShareLog(entries, owner.key, verifyEd25519)
      expect(result.ok).toBe(true)
      expect(result.records.map(r => r.event)).toEqual(events)
      expect(result.records.map(r => r.index)).toEqual(events.map((_e, i) => i))
      result.records.forEach((r, i) => {
        expect(r.hash).toEqual(shareLogRecordHash(entries[i]!.content))
        expect(r.prev).toEqual(i === 0 ? SHARE_LOG_GENESIS : result.records[i - 1]!.hash)
      })
    }), { numRuns: 60 })
  })

  it('any change of a record\'s bytes is found, and names that record', () => {
    fc.assert(fc.property(logAndPosition, fc.nat(), fc.integer({ min: 1, max: 255 }), ([events, i], at, flip) => {
      const entries = writeLog(events)
      const target = entries[i]!
      const content = Uint8Array.from(target.content)
      const offset = at % content.length
      content[offset] = content[offset]! ^ flip
      entries[i] = { ...target, content }
      const found = failedAt(entries)
      expect(found).not.toBe('ok')
      if (found === 'ok') return
      expect(found.index).toBe(i)
      expect(['altered', 'malformed']).toContain(found.fault)
    }), { numRuns: 150 })
  })

  it('a record re-encoded with another event, time or chain link (keeping its signature) is altered', () => {
    fc.assert(fc.property(logAndPosition, event, fc.constantFrom('event', 'at', 'prev'), ([events, i], other, field) => {
      const entries = writeLog(events)
      const { record, signature } = decodeShareLogRecord(entries[i]!.content)
      const changed: ShareLogRecord = field === 'event'
        ? { ...record, event: other }
        : field === 'at' ? { ...record, at: record.at + 1 } : { ...record, prev: new Uint8Array(32).fill(9) }
      fc.pre(field !== 'event' || !bytesSame(shareLogSigningBytes(changed), shareLogSigningBytes(record)))
      entries[i] = { ...entries[i]!, content: encodeShareLogRecord(changed, signature) }
      expect(failedAt(entries)).toMatchObject({ index: i, fault: 'altered' })
    }), { numRuns: 100 })
  })

  it('a record removed from the middle is found: a gap, a tombstone, or later records renumbered', () => {
    fc.assert(fc.property(logAndPosition.filter(([events, i]) => i < events.length - 1), fc.constantFrom('gap', 'tombstone', 'renumber'), ([events, i], how) => {
      const entries = writeLog(events)
      if (how === 'gap') entries.splice(i, 1)
      if (how === 'tombstone') entries[i] = { ...entries[i]!, content: new Uint8Array(0), version: 1 }
      if (how === 'renumber') {
        entries.splice(i, 1)
        entries.forEach((e, j) => { entries[j] = { ...e, key: shareLogKey(j) } })
      }
      expect(failedAt(entries)).toMatchObject({ index: i, fault: 'removed' })
    }), { numRuns: 100 })
  })

  it('two records swapped are found at the first of them', () => {
    fc.assert(fc.property(fc.array(event, { minLength: 2, maxLength: 12 }).chain(events =>
      fc.tuple(fc.constant(events), fc.uniqueArray(fc.nat({ max: events.length - 1 }), { minLength: 2, maxLength: 2 }))), ([events, pair]) => {
      const [a, b] = [Math.min(...pair), Math.max(...pair)]
      const entries = writeLog(events)
      const contentA = entries[a]!.content
      entries[a] = { ...entries[a]!, content: entries[b]!.content }
      entries[b] = { ...entries[b]!, content: contentA }
      expect(failedAt(entries)).toMatchObject({ index: a, fault: 'reordered' })
    }), { numRuns: 100 })
  })

  it('an inserted record (a stranger\'s, a forged one, or a copy of another) is found where it is', () => {
    fc.assert(fc.property(logAndPosition, event, fc.constantFrom('stranger', 'garbage', 'copy'), ([events, i], other, kind) => {
      const entries = writeLog(events)
      const prev = i === 0 ? SHARE_LOG_GENESIS : shareLogRecordHash(entries[i - 1]!.content)
      const forged = kind === 'stranger'
        ? writeLog([other], stranger, i, prev)[0]!.content
        : kind === 'garbage' ? encode({ v: 1, index: i }) : entries[(i + 1) % entries.length]!.content
      entries.splice(i, 0, { key: shareLogKey(i), content: forged, version: 0 })
      entries.forEach((e, j) => { entries[j] = { ...e, key: shareLogKey(j) } })
      const found = failedAt(entries)
      expect(found).not.toBe('ok')
      if (found === 'ok') return
      expect(found.index).toBe(i)
    }), { numRuns: 100 })
  })

  it('a stranger\'s record appended at the end is not the owner\'s', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 8 }), event, (events, other) => {
      const entries = writeLog(events)
      const prev = entries.length === 0 ? SHARE_LOG_GENESIS : shareLogRecordHash(entries.at(-1)!.content)
      entries.push(...writeLog([other], stranger, entries.length, prev))
      expect(failedAt(entries)).toMatchObject({ index: events.length, fault: 'altered' })
    }), { numRuns: 50 })
  })

  it('a record whose entry was updated to the same content is found (entries are never updated)', () => {
    const entries = writeLog([{ kind: 'link', share: new Uint8Array(32), link: new Uint8Array(32).fill(1) }, { kind: 'expiry', share: new Uint8Array(32) }])
    entries[1] = { ...entries[1]!, version: 1 }
    expect(failedAt(entries)).toMatchObject({ index: 1, fault: 'altered' })
  })

  it('cutting the log\'s tail leaves a valid, shorter log: a lagging replica looks the same (found by comparing replicas)', () => {
    fc.assert(fc.property(logAndPosition, ([events, i]) => {
      const entries = writeLog(events).slice(0, i)
      expect(failedAt(entries)).toBe('ok')
    }), { numRuns: 30 })
  })

  it('verifying from a known record on gives what verifying the whole log gives', () => {
    fc.assert(fc.property(logAndPosition, fc.integer({ min: 1, max: 255 }), fc.boolean(), ([events, i], flip, damage) => {
      const entries = writeLog(events)
      if (damage) entries[entries.length - 1] = { ...entries.at(-1)!, content: Uint8Array.from(entries.at(-1)!.content, (b, j) => j === 3 ? b ^ flip : b) }
      const whole = verifyShareLog(entries, owner.key, verifyEd25519)
      const prev = i === 0 ? SHARE_LOG_GENESIS : shareLogRecordHash(entries[i - 1]!.content)
      const tail = verifyShareLog(entries.slice(i), owner.key, verifyEd25519, { index: i, prev })
      expect(tail.ok).toBe(whole.ok)
      if (!whole.ok && !tail.ok) expect(tail.index).toBe(whole.index)
      expect(tail.records).toEqual(whole.records.slice(i))
    }), { numRuns: 50 })
  })

  it('a log verifies only under its owner\'s key', () => {
    const entries = writeLog([{ kind: 'expiry', share: new Uint8Array(32), expires: 5 }])
    expect(verifyShareLog(entries, stranger.key, verifyEd25519)).toMatchObject({ ok: false, index: 0, fault: 'altered' })
  })

  it('an entry whose key is not an index is malformed; the first record must follow the genesis', () => {
    const entries = writeLog([{ kind: 'expiry', share: new Uint8Array(32) }])
    expect(failedAt([{ ...entries[0]!, key: new Uint8Array([0]) }])).toMatchObject({ index: 0, fault: 'malformed' })
    const started = writeLog([{ kind: 'expiry', share: new Uint8Array(32) }], owner, 0, new Uint8Array(32).fill(1))
    expect(failedAt(started)).toMatchObject({ index: 0, fault: 'unchained' })
  })

  it('the signature covers a domain-separated encoding: the bare record\'s signature does not verify', () => {
    const record: ShareLogRecord = { index: 0, prev: SHARE_LOG_GENESIS, at: 1, event: { kind: 'expiry', share: new Uint8Array(32) } }
    const signed = shareLogSigningBytes(record)
    expect(new TextDecoder().decode(signed.subarray(0, 28))).toBe('safemesh/share-log/v1/record')
    const bare = signWith(owner)(signed.subarray(28))
    const content = encodeShareLogRecord(record, bare)
    expect(failedAt([{ key: shareLogKey(0), content }])).toMatchObject({ index: 0, fault: 'altered' })
  })

  it('records are bounded: too many recipients or an oversized path are refused before signing', () => {
    const many: ShareEvent = { kind: 'revoke', share: new Uint8Array(32), recipients: Array.from({ length: 1001 }, () => new Uint8Array(32)) }
    expect(() => shareLogSigningBytes({ index: 0, prev: SHARE_LOG_GENESIS, at: 0, event: many })).toThrow(SafeMeshError)
    const long: ShareEvent = { kind: 'share', share: new Uint8Array(32), path: 'x'.repeat(4097), recipients: [] }
    expect(() => shareLogSigningBytes({ index: 0, prev: SHARE_LOG_GENESIS, at: 0, event: long })).toThrow(SafeMeshError)
  })
})

describe('share log keys, names and segments', () => {
  it('keys are 8-byte big-endian indices, in index order', () => {
    fc.assert(fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (a, b) => {
      expect(shareLogIndexOf(shareLogKey(a))).toBe(a)
      expect(Math.sign(Buffer.compare(shareLogKey(a), shareLogKey(b)))).toBe(Math.sign(a - b))
    }))
    expect(shareLogKey(1)).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]))
    expect(shareLogIndexOf(new Uint8Array(7))).toBeUndefined()
    expect(shareLogIndexOf(new Uint8Array(8).fill(255))).toBeUndefined()
    expect(() => shareLogKey(-1)).toThrow(SafeMeshError)
  })

  it('names: the first segment is SHA3-256("safemesh/share-log/v1" ‖ owner); every segment has its own', () => {
    const expected = new Uint8Array(createHash('sha3-256').update(Buffer.concat([Buffer.from('safemesh/share-log/v1'), Buffer.alloc(32, 7)])).digest())
    expect(shareLogName(new Uint8Array(32).fill(7))).toEqual(expected)
    expect(shareLogSegmentName(owner.key, 0)).toEqual(shareLogName(owner.key))
    const names = new Set([0, 1, 1000, 2000].map(i => Buffer.from(shareLogSegmentName(owner.key, i)).toString('hex')))
    names.add(Buffer.from(shareLogName(stranger.key)).toString('hex'))
    expect(names.size).toBe(5)
  })

  const segment = (fields: Partial<Parameters<typeof newMutableData>[0]> = {}, first = 0): MutableData => newMutableData({
    name: shareLogSegmentName(owner.key, first),
    tag: TYPE_TAG_SHARE_LOG,
    owners: [owner.key],
    ...fields
  })

  it('a segment is the owner\'s only at its own name, with no one else permitted', () => {
    expect(shareLogSegmentProblem(segment(), owner.key, 0)).toBeUndefined()
    expect(shareLogSegmentProblem(segment({ tag: 15000 }), owner.key, 0)).toMatch(/tag/)
    expect(shareLogSegmentProblem(segment({ owners: [stranger.key] }), owner.key, 0)).toMatch(/not owned/)
    expect(shareLogSegmentProblem(segment({ permissions: [{ user: { kind: 'Anyone' }, permissions: { Insert: true } }] }), owner.key, 0)).toMatch(/others/)
    expect(shareLogSegmentProblem(segment({}, 1000), owner.key, 999)).toMatch(/name/)
  })

  it('a PutMData of tag 1005 must be its owner\'s segment for its first record (no one takes another\'s log)', () => {
    const entries = writeLog([{ kind: 'expiry', share: new Uint8Array(32) }], owner, 1000, new Uint8Array(32))
    expect(() => { assertShareLogSegmentPut(segment()) }).not.toThrow()
    expect(() => { assertShareLogSegmentPut(segment({ entries }, 1000)) }).not.toThrow()
    expect(() => { assertShareLogSegmentPut(segment({ entries }, 0)) }).toThrow(/share log segment/)
    expect(() => { assertShareLogSegmentPut(segment({ owners: [stranger.key] })) }).toThrow(SafeMeshError)
    expect(() => { assertShareLogSegmentPut(segment({ permissions: [{ user: { kind: 'Anyone' }, permissions: { Insert: true } }] })) }).toThrow(SafeMeshError)
    expect(() => { assertShareLogSegmentPut(segment({ entries: [{ key: new Uint8Array([1]), content: new Uint8Array([1]) }] })) }).toThrow(/record index/)
    // Other tags are not its business.
    expect(() => { assertShareLogSegmentPut(newMutableData({ name: new Uint8Array(32), tag: 15000, owners: [stranger.key] })) }).not.toThrow()
  })
})

function bytesSame (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0
}
