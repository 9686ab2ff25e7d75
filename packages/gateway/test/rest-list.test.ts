import { describe, expect, it } from 'vitest'
import type { ShareLogRecord } from '@safemesh/protocol'
import { matchesReceived, matchesShared, parseListQuery } from '../src/rest/list-query.js'
import { sharesMade } from '../src/rest/shares-made.js'

const ME = '1'.repeat(64)
const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const HASH = 'c'.repeat(64)
const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'))
const query = (text: string): ReturnType<typeof parseListQuery> => parseListQuery(new URLSearchParams(text))
const at = (iso: string): number => Date.parse(iso)

describe('GET /data/list filters', () => {
  it('parse from, to (a date alone takes the whole day), recipient and sender', () => {
    expect(query('')).toEqual({})
    expect(query(`from=2026-04-01&to=2026-04-14T10:30:00Z&recipient=${A.toUpperCase()}&sender=${B}`))
      .toEqual({ from: at('2026-04-01T00:00:00Z'), to: at('2026-04-14T10:30:00Z'), recipient: A, sender: B })
    expect(query('to=2026-04-14').to).toBe(at('2026-04-15T00:00:00Z') - 1)
    expect(query('from=2026-04-14T12:00:00%2B02:00').from).toBe(at('2026-04-14T10:00:00Z'))
  })

  it('refuse unknown or repeated parameters, bad times, a reversed range and bad IDs', () => {
    for (const text of ['form=2026-04-01', 'from=2026-04-01&from=2026-04-02', 'from=yesterday', 'to=1713090600000', 'from=2026-04-02&to=2026-04-01', 'recipient=node_b2c3', `sender=${A}0`]) {
      expect(() => query(text), text).toThrow(expect.objectContaining({ status: 400, code: 'InvalidRequest' }))
    }
  })

  it('match shares made by date and by a recipient named now or before a revocation; received by date and sender', () => {
    const made = { at: at('2026-04-10T00:00:00Z'), recipients: [A], revoked: [B] }
    expect(matchesShared(made, query(''), ME)).toBe(true)
    expect(matchesShared(made, query('from=2026-04-10&to=2026-04-10'), ME)).toBe(true)
    expect(matchesShared(made, query('from=2026-04-11'), ME)).toBe(false)
    expect(matchesShared(made, query('to=2026-04-09'), ME)).toBe(false)
    expect(matchesShared(made, query(`recipient=${A}`), ME)).toBe(true)
    expect(matchesShared(made, query(`recipient=${B}`), ME)).toBe(true)
    expect(matchesShared(made, query(`recipient=${ME}`), ME)).toBe(false)
    expect(matchesShared(made, query(`sender=${ME}`), ME)).toBe(true)
    expect(matchesShared(made, query(`sender=${A}`), ME)).toBe(false)

    const received = { at: at('2026-04-10T00:00:00Z'), from: A }
    expect(matchesReceived(received, query(`sender=${A}&from=2026-04-01`), ME)).toBe(true)
    expect(matchesReceived(received, query(`sender=${B}`), ME)).toBe(false)
    expect(matchesReceived(received, query(`recipient=${ME}`), ME)).toBe(true)
    expect(matchesReceived(received, query(`recipient=${A}`), ME)).toBe(false)
    expect(matchesReceived(received, query('to=2026-04-09T23:59:59Z'), ME)).toBe(false)
  })
})

describe('shares made, from the share log', () => {
  const record = (index: number, event: ShareLogRecord['event']): ShareLogRecord => ({ index, prev: new Uint8Array(32), at: 1000 * (index + 1), event })
  const S1 = bytes('01'.repeat(32))
  const S2 = bytes('02'.repeat(32))

  it('one item per share: recipients less revoked, latest terms, the hash a content-addressed path names', () => {
    const made = sharesMade([
      record(0, { kind: 'share', share: S1, path: `_documents/shared/${HASH}`, recipients: [bytes(A), bytes(B)], expires: 9000, price: 2 }),
      record(1, { kind: 'share', share: S2, path: '_documents/records', recipients: [bytes(A)] }),
      record(2, { kind: 'revoke', share: S1, recipients: [bytes(B)] }),
      record(3, { kind: 'payment', share: S1, payer: bytes(A), amount: 2, messageId: new Uint8Array(32) }),
      record(4, { kind: 'expiry', share: S2, expires: 7000 }),
      // Shared again with the same people: new terms (no expiry now, no price).
      record(5, { kind: 'share', share: S1, path: `_documents/shared/${HASH}`, recipients: [bytes(A)] }),
      record(6, { kind: 'revoke', share: bytes('03'.repeat(32)), recipients: [bytes(A)] })
    ])
    expect(made).toEqual([
      { share: '01'.repeat(32), path: `_documents/shared/${HASH}`, hash: HASH, recipients: [A], revoked: [B], at: 1000 },
      { share: '02'.repeat(32), path: '_documents/records', recipients: [A], revoked: [], at: 2000, expires: 7000 }
    ])
  })

  it('a recipient revoked and then shared with again is a recipient, not revoked', () => {
    const made = sharesMade([
      record(0, { kind: 'share', share: S1, path: '_documents/a.txt', recipients: [bytes(A)], price: 1 }),
      record(1, { kind: 'revoke', share: S1, recipients: [bytes(A)] }),
      record(2, { kind: 'share', share: S1, path: '_documents/a.txt', recipients: [bytes(A)], price: 1 })
    ])
    expect(made).toEqual([{ share: '01'.repeat(32), path: '_documents/a.txt', recipients: [A], revoked: [], at: 1000, price: 1 }])
  })
})
