import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { IncomingMessage } from 'node:http'
import { parseRange } from '../src/content/range.js'
import { pinCookie, pinnedVersion } from '../src/content/site-pin.js'

describe('HTTP Range', () => {
  it('reads one byte range in each of its three forms, and refuses what lies past the end', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'whole' })
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'part', offset: 0, length: 10 })
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'part', offset: 90, length: 10 })
    expect(parseRange('bytes=-5', 100)).toEqual({ kind: 'part', offset: 95, length: 5 })
    expect(parseRange('bytes=-500', 100)).toEqual({ kind: 'part', offset: 0, length: 100 })
    expect(parseRange('bytes=50-1000', 100)).toEqual({ kind: 'part', offset: 50, length: 50 })
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' })
    // Several ranges, other units, nonsense and a reversed range: the whole file is a correct answer.
    for (const header of ['bytes=0-1,5-6', 'items=0-1', 'bytes=a-b', 'bytes=9-3', 'bytes=-']) {
      expect(parseRange(header, 100), header).toEqual({ kind: 'whole' })
    }
  })

  it('never asks for a byte outside the file (property)', () => {
    fc.assert(fc.property(fc.nat(10_000), fc.option(fc.nat(20_000)), fc.option(fc.nat(20_000)), (size, a, b) => {
      const header = `bytes=${a ?? ''}-${b ?? ''}`
      const ask = parseRange(header, size)
      if (ask.kind === 'part') {
        expect(ask.length).toBeGreaterThan(0)
        expect(ask.offset + ask.length).toBeLessThanOrEqual(size)
      }
    }))
  })
})

describe('site version pins', () => {
  const request = (headers: Record<string, string>): IncomingMessage => ({ headers } as unknown as IncomingMessage)

  it('a subresource request uses the pin its page set; a document, a program or a bad pin resolves afresh', () => {
    const cookie = pinCookie(3, '/safe/www.site/').split(';')[0] as string
    expect(pinnedVersion(request({ cookie, 'sec-fetch-dest': 'style' }))).toBe(3)
    expect(pinnedVersion(request({ cookie: `a=b; ${cookie}`, 'sec-fetch-dest': 'image' }))).toBe(3)
    expect(pinnedVersion(request({ cookie, 'sec-fetch-dest': 'document' }))).toBeUndefined()
    expect(pinnedVersion(request({ cookie }))).toBeUndefined()
    expect(pinnedVersion(request({ cookie: 'safemesh_site_version=0', 'sec-fetch-dest': 'style' }))).toBeUndefined()
    expect(pinnedVersion(request({ cookie: 'safemesh_site_version=1e3', 'sec-fetch-dest': 'style' }))).toBeUndefined()
    expect(pinCookie(3, '/safe/www.site/')).toContain('Path=/safe/www.site/')
  })
})
