import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { cryptoReady, generateSymmetricKey } from '@safemesh/crypto'
import { ANYONE, DEFAULT_NETWORK_PARAMS, SafeMeshError, keyUser, newMutableData, randomXorName, type MutableData, type UserPermissions } from '@safemesh/protocol'
import { normalisePath, normalisePrefix, childOf } from '../src/nfs/paths.js'
import { bucketName, bucketPath, grantsBeyond, mayHaveChildren, MAX_BUCKET_DEPTH } from '../src/nfs/buckets.js'
import { decodeEntryRecord, encodeEntryRecord, openVersion, sealVersion, type EntryRecord } from '../src/nfs/entry-record.js'
import { parseContainerAccess, permissionSetOf } from '../src/auth/access-container.js'

beforeAll(cryptoReady)

const segment = fc.stringMatching(/^[a-zA-Z0-9 ._-]{1,12}$/).filter(s => s !== '.' && s !== '..')
const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map(s => s.join('/'))

describe('NFS paths', () => {
  it('normalising is idempotent and drops empty segments; "." and ".." and control characters are refused', () => {
    fc.assert(fc.property(path, fc.nat(3), (p, slashes) => {
      const messy = '/'.repeat(slashes) + p.split('/').join('//') + '/'
      const normal = normalisePath(messy)
      expect(normal).toBe(p)
      expect(normalisePath(normal)).toBe(normal)
    }))
    for (const bad of ['', '/', 'a/../b', './a', 'a/\u0000b', 'x'.repeat(1024)]) {
      expect(() => normalisePath(bad), JSON.stringify(bad)).toThrow(SafeMeshError)
    }
    expect(normalisePrefix('/')).toBe('')
    expect(normalisePath('e\u0301')).toBe('\u00e9') // NFC: one file, one key
  })

  it('childOf names the one level below a prefix', () => {
    expect(childOf('', 'a/b/c')).toEqual({ name: 'a', folder: true })
    expect(childOf('a', 'a/b')).toEqual({ name: 'b', folder: false })
    expect(childOf('a', 'ab/c')).toBeUndefined()
    expect(childOf('a/b', 'a/b')).toBeUndefined()
  })
})

describe('directory buckets', () => {
  it('a key\'s path to depth d is a prefix of its path to depth d + 1; nibbles are 0–15', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: MAX_BUCKET_DEPTH - 1 }), (key, depth) => {
      const shorter = bucketPath(key, depth)
      const longer = bucketPath(key, depth + 1)
      expect(longer.slice(0, depth)).toEqual(shorter)
      expect(longer.every(n => n >= 0 && n < 16)).toBe(true)
    }))
  })

  it('the empty path is the head; other paths name distinct nodes', () => {
    const head = randomXorName()
    expect(bucketName(head, [])).toEqual(head)
    const names = new Set<string>()
    for (let a = 0; a < 16; a++) {
      names.add(Buffer.from(bucketName(head, [a])).toString('hex'))
      for (let b = 0; b < 16; b++) names.add(Buffer.from(bucketName(head, [a, b])).toString('hex'))
    }
    expect(names.size).toBe(16 + 256)
  })

  it('only a full node (by count or by size) may have children', () => {
    const owner = new Uint8Array(32).fill(1)
    const entries = (n: number, size: number): Array<{ key: Uint8Array, content: Uint8Array }> => Array.from({ length: n }, (_, i) => ({ key: new TextEncoder().encode(`k${i}`), content: new Uint8Array(size) }))
    const node = (n: number, size = 10): MutableData => newMutableData({ name: randomXorName(), tag: 15000, owners: [owner], entries: entries(n, size) })
    expect(mayHaveChildren(node(999), DEFAULT_NETWORK_PARAMS)).toBe(false)
    expect(mayHaveChildren(node(1000), DEFAULT_NETWORK_PARAMS)).toBe(true)
    expect(mayHaveChildren(node(10, 104_500), DEFAULT_NETWORK_PARAMS)).toBe(true)
    expect(mayHaveChildren(node(10, 100_000), DEFAULT_NETWORK_PARAMS)).toBe(false)
  })

  it('a child granting anyone more than its head is not trusted; the same or less is', () => {
    const owner = new Uint8Array(32).fill(1)
    const app = new Uint8Array(32).fill(2)
    const md = (permissions: UserPermissions[], by = owner): MutableData => newMutableData({ name: randomXorName(), tag: 15000, owners: [by], permissions })
    const head = md([{ user: keyUser(app), permissions: { Insert: true } }])
    expect(grantsBeyond(md([{ user: keyUser(app), permissions: { Insert: true } }]), head)).toBe(false)
    expect(grantsBeyond(md([]), head)).toBe(false)
    expect(grantsBeyond(md([{ user: keyUser(app), permissions: { Insert: true, Update: true } }]), head)).toBe(true)
    expect(grantsBeyond(md([{ user: ANYONE, permissions: { Insert: true } }]), head)).toBe(true)
    expect(grantsBeyond(md([], app), head)).toBe(true)
    const open = md([{ user: ANYONE, permissions: { Insert: true } }])
    expect(grantsBeyond(md([{ user: keyUser(app), permissions: { Insert: true } }]), open)).toBe(false)
  })
})

describe('entry records and file versions', () => {
  const record = fc.record({
    kind: fc.constant('file' as const),
    size: fc.nat(),
    created: fc.nat(),
    modified: fc.nat(),
    mediaType: fc.string({ maxLength: 40 }),
    metadata: fc.uint8Array({ maxLength: 64 }),
    version: fc.integer({ min: 1, max: 1000 }),
    file: fc.uint8Array({ minLength: 32, maxLength: 32 })
  })

  it('encode then decode gives the record back', () => {
    fc.assert(fc.property(record, (r: EntryRecord) => {
      expect(decodeEntryRecord(encodeEntryRecord(r))).toEqual(r)
    }))
  })

  it('a sealed version opens only with its own key; an unsealed one is plain', () => {
    const r: EntryRecord = { kind: 'file', size: 3, created: 1, modified: 2, mediaType: 'text/plain', metadata: new Uint8Array(), version: 1, file: randomXorName() }
    const sealed = sealVersion(r, true)
    expect(sealed.key).toBeDefined()
    expect(openVersion(sealed.value, sealed.key)).toEqual(r)
    expect(() => openVersion(sealed.value, generateSymmetricKey())).toThrow(SafeMeshError)
    const plain = sealVersion(r, false)
    expect(plain.key).toBeUndefined()
    expect(openVersion(plain.value, undefined)).toEqual(r)
  })

  it('a file record without its file is refused', () => {
    const folder: EntryRecord = { kind: 'folder', size: 0, created: 1, modified: 1, mediaType: 'inode/directory', metadata: new Uint8Array(), version: 1 }
    expect(decodeEntryRecord(encodeEntryRecord(folder))).toEqual(folder)
    expect(() => decodeEntryRecord(encodeEntryRecord({ ...folder, kind: 'file' }))).toThrow(SafeMeshError)
  })
})

describe('container access', () => {
  it('parses NAME:ACCESS lists, basic, and refuses unknown words', () => {
    expect(parseContainerAccess('_documents:read,insert')).toEqual({ name: '_documents', access: ['read', 'insert'] })
    expect(parseContainerAccess('_documents')).toEqual({ name: '_documents', access: ['read', 'insert'] })
    expect(parseContainerAccess('_music:basic,delete')).toEqual({ name: '_music', access: ['read', 'insert', 'delete'] })
    expect(parseContainerAccess('apps/x:update,read')).toEqual({ name: 'apps/x', access: ['read', 'update'] })
    expect(() => parseContainerAccess('_documents:fly')).toThrow(SafeMeshError)
    expect(() => parseContainerAccess(':read')).toThrow(SafeMeshError)
    expect(() => parseContainerAccess('_documents:')).toThrow(SafeMeshError)
  })

  it('read is a key, not a network permission', () => {
    expect(permissionSetOf(['read'])).toBeUndefined()
    expect(permissionSetOf(['read', 'insert'])).toEqual({ Insert: true })
    expect(permissionSetOf(['update', 'delete', 'manage'])).toEqual({ Update: true, Delete: true, ManagePermissions: true })
  })
})
