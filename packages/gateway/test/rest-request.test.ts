/* eslint-disable camelcase -- seed 002's JSON fields are snake_case (require_payment, expires_at) */
import { describe, expect, it } from 'vitest'
import { HttpError } from '../src/http.js'
import { parseShareRequest } from '../src/rest/share-request.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const NOW = Date.parse('2026-04-14T10:30:00Z')

function refusal (body: unknown): string {
  try {
    parseShareRequest(body, NOW)
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError)
    expect(err).toMatchObject({ status: 400, code: 'InvalidRequest' })
    return (err as Error).message
  }
  throw new Error('accepted')
}

describe('POST /share_data body', () => {
  it('takes the seed\'s body: text, a recipient, encrypt, no payment', () => {
    const request = parseShareRequest({ data: 'Sensitive enterprise data...', recipient: A, encrypt: true, require_payment: false, price: 0 }, NOW)
    expect(request).toEqual({ content: { kind: 'data', bytes: new TextEncoder().encode('Sensitive enterprise data...') }, recipients: [A] })
  })

  it('takes base64 bytes, a path, several recipients (case and repeats folded), a price and an expiry', () => {
    expect(parseShareRequest({ dataBase64: Buffer.from([0, 255, 1]).toString('base64'), recipient: A }, NOW).content).toEqual({ kind: 'data', bytes: new Uint8Array([0, 255, 1]) })
    const request = parseShareRequest({ path: ' _documents/x.txt ', recipients: [A, B.toUpperCase(), A], require_payment: true, price: 3, expires_at: '2026-04-15T10:30:00Z' }, NOW)
    expect(request).toEqual({ content: { kind: 'path', path: '_documents/x.txt' }, recipients: [A, B], price: 3, expires: Date.parse('2026-04-15T10:30:00Z') })
    expect(parseShareRequest({ data: 'x', recipient: A, price: 2 }, NOW).price, 'a price alone makes the share paid').toBe(2)
    expect(parseShareRequest({ data: 'x', recipient: A, expires_at: null }, NOW).expires).toBeUndefined()
  })

  it('refuses an unencrypted share, saying shares are always encrypted', () => {
    expect(refusal({ data: 'x', recipient: A, encrypt: false })).toMatch(/always encrypted/)
    expect(refusal({ data: 'x', recipient: A, encrypt: 'yes' })).toMatch(/always encrypted/)
  })

  it('refuses a body that is not one object with exactly one kind of content', () => {
    expect(refusal(null)).toMatch(/JSON object/)
    expect(refusal([A])).toMatch(/JSON object/)
    expect(refusal({ recipient: A })).toMatch(/exactly one of/)
    expect(refusal({ data: 'x', path: '_documents/x', recipient: A })).toMatch(/exactly one of/)
    expect(refusal({ data: 42, recipient: A })).toMatch(/"data" is a string/)
    expect(refusal({ data: '', recipient: A })).toMatch(/empty/)
    expect(refusal({ dataBase64: 'not base64!', recipient: A })).toMatch(/not base64/)
    expect(refusal({ dataBase64: 'AAA', recipient: A }), 'unpadded').toMatch(/not base64/)
    expect(refusal({ path: '  ', recipient: A })).toMatch(/names a file/)
    expect(refusal({ data: 'x', recipient: A, recipent: B })).toMatch(/unknown field\(s\) recipent/)
  })

  it('refuses missing or malformed recipients', () => {
    expect(refusal({ data: 'x' })).toMatch(/sharing ID/)
    expect(refusal({ data: 'x', recipient: A, recipients: [B] })).toMatch(/not both/)
    expect(refusal({ data: 'x', recipients: [] })).toMatch(/non-empty array/)
    expect(refusal({ data: 'x', recipients: A })).toMatch(/non-empty array/)
    expect(refusal({ data: 'x', recipient: 'node_b2c3d4e5f6a1' })).toMatch(/64 hex digits/)
    expect(refusal({ data: 'x', recipients: [A, 7] })).toMatch(/64 hex digits/)
  })

  it('refuses payment terms that contradict each other, and prices that are not whole credits', () => {
    expect(refusal({ data: 'x', recipient: A, require_payment: true })).toMatch(/at least 1 credit/)
    expect(refusal({ data: 'x', recipient: A, require_payment: true, price: 0 })).toMatch(/at least 1 credit/)
    expect(refusal({ data: 'x', recipient: A, require_payment: false, price: 5 })).toMatch(/needs "require_payment": true/)
    expect(refusal({ data: 'x', recipient: A, require_payment: 'no' })).toMatch(/true or false/)
    for (const price of [1.5, -1, '2', Number.MAX_VALUE]) expect(refusal({ data: 'x', recipient: A, price }), String(price)).toMatch(/whole number/)
  })

  it('refuses an expiry that is not an ISO time in the future', () => {
    expect(refusal({ data: 'x', recipient: A, expires_at: '24h' })).toMatch(/ISO 8601/)
    expect(refusal({ data: 'x', recipient: A, expires_at: 1_900_000_000_000 })).toMatch(/ISO 8601/)
    expect(refusal({ data: 'x', recipient: A, expires_at: '2026-02-30T99:00:00Z' })).toMatch(/ISO 8601/)
    expect(refusal({ data: 'x', recipient: A, expires_at: '2026-04-14T10:29:59Z' })).toMatch(/has passed/)
  })
})
