import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  DEFAULT_SERVICE, PUBLIC_ID_ENTRY, TYPE_TAG_NFS_DIRECTORY, TYPE_TAG_PUBLIC_ID, assertPublicId, assertPublicIdPut, assertServiceName,
  decodeServiceEntry, encodeServiceEntry, historyKey, isSafeMeshError, mediaTypeOf, newMutableData, parsePublicIdKey, parseSafeUrl,
  parseSiteLabel, publicIdName, serviceKey, sha3_256, type MutableData
} from '../src/index.js'

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

function codeOf (run: () => unknown): string | undefined {
  try {
    run()
    return undefined
  } catch (err) {
    if (isSafeMeshError(err)) return err.code
    throw err
  }
}

const labelChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split(''))
const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''))
/** A valid label: alphanumeric ends, dashes only inside, 1–63 characters. */
const label = fc.oneof(
  alnum,
  fc.tuple(alnum, fc.array(labelChar, { maxLength: 61 }), alnum).map(([a, mid, b]) => a + mid.join('') + b)
)
const owner = fc.uint8Array({ minLength: 32, maxLength: 32 })

function publicIdData (name: Uint8Array, entries: Array<{ key: Uint8Array, content: Uint8Array }>, key: Uint8Array, tag = TYPE_TAG_PUBLIC_ID): MutableData {
  return newMutableData({ name, tag, owners: [key], entries })
}

describe('public ids and service names', () => {
  it('accepts exactly the DNS-like labels', () => {
    for (const ok of ['a', 'mysite', 'my-site', '0', 'a1-b2', 'x'.repeat(63)]) expect(codeOf(() => { assertPublicId(ok) })).toBeUndefined()
    for (const bad of ['', '-a', 'a-', 'My', 'a.b', 'a_b', 'a@1', 'x'.repeat(64), 'é', ' a', '_publicId']) {
      expect(codeOf(() => { assertPublicId(bad) })).toBe('InvalidRequest')
      expect(codeOf(() => { assertServiceName(bad) })).toBe('InvalidRequest')
    }
    fc.assert(fc.property(label, (l) => codeOf(() => { assertPublicId(l) }) === undefined))
    fc.assert(fc.property(fc.string(), (s) => {
      const valid = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(s)
      return (codeOf(() => { assertServiceName(s) }) === undefined) === valid
    }))
  })

  it('names a public id SHA3-256 of its UTF-8 bytes, and refuses an invalid one', () => {
    fc.assert(fc.property(label, (l) => Buffer.from(publicIdName(l)).equals(Buffer.from(sha3_256(utf8(l))))))
    expect(codeOf(() => publicIdName('Not Valid'))).toBe('InvalidRequest')
  })
})

describe('safe:// addresses', () => {
  it('parses service, public id, version and path', () => {
    expect(parseSafeUrl('safe://www.mysite/a/b.html')).toEqual({ service: 'www', publicId: 'mysite', path: 'a/b.html' })
    expect(parseSafeUrl('safe://mysite')).toEqual({ service: DEFAULT_SERVICE, publicId: 'mysite', path: '' })
    expect(parseSafeUrl('safe://mysite/')).toEqual({ service: 'www', publicId: 'mysite', path: '' })
    expect(parseSafeUrl('SAFE://Blog.MySite/docs/')).toEqual({ service: 'blog', publicId: 'mysite', path: 'docs/' })
    expect(parseSafeUrl('safe://www.mysite@3/a%20b/c%C3%A9.txt?x=1#top')).toEqual({ service: 'www', publicId: 'mysite', version: 3, path: 'a b/cé.txt' })
    expect(parseSafeUrl('safe://mysite//a/./b')).toEqual({ service: 'www', publicId: 'mysite', path: 'a/b' })
    expect(parseSiteLabel('www.mysite')).toEqual({ service: 'www', publicId: 'mysite' })
    expect(parseSiteLabel('mysite')).toEqual({ service: 'www', publicId: 'mysite' })
    expect(parseSiteLabel('www.mysite@12')).toEqual({ service: 'www', publicId: 'mysite', version: 12 })
  })

  it('refuses what is not an address, and every ".." segment', () => {
    for (const bad of [
      'http://www.mysite/', 'safe://', 'safe://a.b.c/', 'safe://www.my_site/', 'safe://www.mysite@0/', 'safe://www.mysite@x/',
      'safe://mysite/../x', 'safe://mysite/a/%2e%2e/b', 'safe://mysite/a%2Fb', 'safe://mysite/%E0%A4%A', 'safe://mysite/a%00'
    ]) expect(codeOf(() => parseSafeUrl(bad))).toBe('InvalidRequest')
    fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.constant('..'), fc.constant('%2e%2e')), { maxLength: 6 }), (segments) => {
      let path: string
      try {
        path = parseSafeUrl(`safe://www.mysite/${segments.join('/')}`).path
      } catch (err) {
        if (isSafeMeshError(err) && err.code === 'InvalidRequest') return true
        throw err
      }
      // What parses never climbs out of the site, never starts with '/' and holds no empty segment.
      const parts = path.replace(/\/$/, '').split('/')
      return !path.startsWith('/') && parts.every(p => p !== '..') && (path === '' || parts.every(p => p.length > 0))
    }))
  })

  it('round-trips any valid site through its URL', () => {
    // eslint-disable-next-line no-control-regex
    const segment = fc.string({ minLength: 1, maxLength: 8 }).filter(s => s !== '.' && s !== '..' && !s.includes('/') && !/[\u0000-\u001f\u007f]/.test(s) && !/\p{Cs}/u.test(s))
    fc.assert(fc.property(label, label, fc.option(fc.integer({ min: 1, max: 1e9 }), { nil: undefined }), fc.array(segment, { maxLength: 4 }), (service, publicId, version, segments) => {
      const url = `safe://${service}.${publicId}${version !== undefined ? `@${version}` : ''}/${segments.map(encodeURIComponent).join('/')}`
      expect(parseSafeUrl(url)).toEqual({ service, publicId, ...(version !== undefined ? { version } : {}), path: segments.join('/') })
    }))
  })
})

describe('the public id\'s entries', () => {
  it('encodes a service entry canonically, and refuses anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 2 ** 40 }), fc.maxSafeNat(), (directory, version, publishedAt) => {
      const bytes = encodeServiceEntry({ directory, version, publishedAt })
      expect(decodeServiceEntry(bytes)).toEqual({ directory, version, publishedAt })
    }))
    expect(codeOf(() => decodeServiceEntry(new Uint8Array([0xa0])))).toBe('InvalidRequest')
    expect(codeOf(() => decodeServiceEntry(new Uint8Array()))).toBe('InvalidRequest')
  })

  it('keeps the current key, the history keys and _publicId apart', () => {
    fc.assert(fc.property(label, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (service, version) => {
      expect(parsePublicIdKey(serviceKey(service))).toEqual({ kind: 'service', service })
      expect(parsePublicIdKey(historyKey(service, version))).toEqual({ kind: 'history', service, version })
    }))
    expect(parsePublicIdKey(PUBLIC_ID_ENTRY)).toEqual({ kind: 'publicId' })
    for (const other of ['www@0', 'www@01', '@1', 'WWW@1', 'www@1@2', 'www@99999999999999999']) expect(parsePublicIdKey(other)).toBeUndefined()
  })
})

describe('the network rule for tag 15001', () => {
  it('stores a public id only at SHA3-256 of the id it names', () => {
    fc.assert(fc.property(label, label, owner, (id, other, key) => {
      fc.pre(id !== other)
      const named = (publicId: string): { key: Uint8Array, content: Uint8Array } => ({ key: utf8(PUBLIC_ID_ENTRY), content: utf8(publicId) })
      expect(codeOf(() => { assertPublicIdPut(publicIdData(publicIdName(id), [named(id)], key)) })).toBeUndefined()
      // Squatting another id's name, or naming no id, or an invalid one.
      expect(codeOf(() => { assertPublicIdPut(publicIdData(publicIdName(other), [named(id)], key)) })).toBe('InvalidOperation')
      expect(codeOf(() => { assertPublicIdPut(publicIdData(publicIdName(id), [], key)) })).toBe('InvalidOperation')
      expect(codeOf(() => { assertPublicIdPut(publicIdData(sha3_256(utf8(id.toUpperCase() + '_')), [named(id.toUpperCase() + '_')], key)) })).toBe('InvalidOperation')
      // Other tags choose their names freely.
      expect(codeOf(() => { assertPublicIdPut(publicIdData(publicIdName(other), [named(id)], key, TYPE_TAG_NFS_DIRECTORY)) })).toBeUndefined()
    }), { numRuns: 50 })
    const invalidUtf8 = { key: utf8(PUBLIC_ID_ENTRY), content: new Uint8Array([0xff]) }
    expect(codeOf(() => { assertPublicIdPut(publicIdData(sha3_256(new Uint8Array([0xff])), [invalidUtf8], new Uint8Array(32))) })).toBe('InvalidOperation')
  })
})

describe('media types', () => {
  it('comes from the extension, case-insensitively, with a safe default', () => {
    expect(mediaTypeOf('index.html')).toBe('text/html; charset=utf-8')
    expect(mediaTypeOf('a/b/STYLE.CSS')).toBe('text/css; charset=utf-8')
    expect(mediaTypeOf('img/logo.png')).toBe('image/png')
    expect(mediaTypeOf('video.mp4')).toBe('video/mp4')
    expect(mediaTypeOf('README')).toBe('application/octet-stream')
    expect(mediaTypeOf('.hidden')).toBe('application/octet-stream')
    expect(mediaTypeOf('dir.v2/file')).toBe('application/octet-stream')
  })
})
