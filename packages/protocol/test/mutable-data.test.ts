import { describe, expect, it } from 'vitest'
import { mutateEntries, type KeyedEntryAction } from '../src/data/entry-actions.js'
import { decodeMutableData, encodeMutableData, mutableDataDigest, mutableDataSize } from '../src/data/mutable-codec.js'
import { validateNewMutableData } from '../src/data/mutable-limits.js'
import {
  ANYONE, getValue, isActionAllowed, keyUser, listEntries, listKeys, listPermissions, listValues, mutableDataShell,
  newMutableData, userPermissions, visibleEntries, type MutableData, type PermissionSet
} from '../src/data/mutable.js'
import { changeOwner, delUserPermissions, setUserPermissions } from '../src/data/permission-changes.js'
import { encode } from '../src/codec.js'
import { DEFAULT_NETWORK_PARAMS, networkParams } from '../src/params.js'
import { randomXorName } from '../src/xorname.js'
import { expectSafeMeshError, hex, publicKey, text } from './helpers.js'

const params = DEFAULT_NETWORK_PARAMS
const owner = publicKey()
const app = publicKey()
const stranger = publicKey()

function md (init: Partial<Parameters<typeof newMutableData>[0]> = {}): MutableData {
  return newMutableData({ name: randomXorName(), tag: 15000, owners: [owner], ...init })
}

const insert = (key: string, content: string): KeyedEntryAction => ({ key: text(key), action: { kind: 'Insert', content: text(content) } })
const update = (key: string, content: string, version: number): KeyedEntryAction => ({ key: text(key), action: { kind: 'Update', content: text(content), version } })
const del = (key: string, version: number): KeyedEntryAction => ({ key: text(key), action: { kind: 'Delete', version } })

/** Runs `f` and checks that `data` encodes to the same bytes afterwards (nothing applied, nothing mutated). */
function expectUnchanged<T> (data: MutableData, f: () => T): T {
  const before = hex(encodeMutableData(data))
  try {
    return f()
  } finally {
    expect(hex(encodeMutableData(data))).toBe(before)
  }
}

describe('permission resolution (SPEC §2)', () => {
  const set = (v: boolean | undefined): PermissionSet => (v === undefined ? { Update: true } : { Insert: v })
  it.each<[string, 'owner' | 'app', boolean | undefined | 'absent', boolean | undefined | 'absent', boolean]>([
    ['owner with no permissions at all', 'owner', 'absent', 'absent', true],
    ['owner even when its key is denied', 'owner', false, false, true],
    ['key allow beats Anyone deny', 'app', true, false, true],
    ['key deny beats Anyone allow', 'app', false, true, false],
    ['key unset falls to Anyone allow', 'app', undefined, true, true],
    ['key unset falls to Anyone deny', 'app', undefined, false, false],
    ['key absent falls to Anyone allow', 'app', 'absent', true, true],
    ['key unset, Anyone unset: no', 'app', undefined, undefined, false],
    ['nothing set: no', 'app', 'absent', 'absent', false],
    ['key allow, Anyone absent', 'app', true, 'absent', true]
  ])('%s', (_, who, keyPerm, anyonePerm, expected) => {
    const permissions = []
    if (keyPerm !== 'absent') permissions.push({ user: keyUser(who === 'owner' ? owner : app), permissions: set(keyPerm) })
    if (anyonePerm !== 'absent') permissions.push({ user: ANYONE, permissions: set(anyonePerm) })
    const data = md({ permissions })
    expect(isActionAllowed(data, who === 'owner' ? owner : app, 'Insert')).toBe(expected)
  })

  it('decides each action separately', () => {
    const data = md({ permissions: [{ user: keyUser(app), permissions: { Insert: true, Delete: false } }, { user: ANYONE, permissions: { Update: true } }] })
    expect(isActionAllowed(data, app, 'Insert')).toBe(true)
    expect(isActionAllowed(data, app, 'Update')).toBe(true)
    expect(isActionAllowed(data, app, 'Delete')).toBe(false)
    expect(isActionAllowed(data, app, 'ManagePermissions')).toBe(false)
    expect(isActionAllowed(data, stranger, 'Insert')).toBe(false)
    expect(isActionAllowed(data, stranger, 'Update')).toBe(true)
  })
})

describe('entry mutations', () => {
  const base = (): MutableData => {
    let d = md({ entries: [{ key: text('a'), content: text('A') }, { key: text('b'), content: text('B'), version: 1 }, { key: text('c'), content: text('C') }] })
    d = mutateEntries(d, owner, [del('c', 1)], params)
    return d
  }

  it('applies a valid batch: insert at 0, update and delete at current + 1', () => {
    const d = base()
    const after = expectUnchanged(d, () => mutateEntries(d, owner, [insert('d', 'D'), update('a', 'A2', 1), del('b', 2)], params))
    expect(listEntries(after).map((e) => [new TextDecoder().decode(e.key), new TextDecoder().decode(e.content), e.version])).toEqual([
      ['a', 'A2', 1], ['b', '', 2], ['c', '', 1], ['d', 'D', 0]
    ])
    expect(after.version).toBe(d.version) // entry changes do not bump the data's version
  })

  it('reports EVERY bad key, each with its own error, in key order, and applies nothing', () => {
    const d = base()
    const e = expectUnchanged(d, () => expectSafeMeshError(() => mutateEntries(d, owner, [
      insert('ok', 'fine'),
      update('zz', 'x', 1),
      insert('a', 'again'),
      update('b', 'x', 1),
      del('y', 1),
      insert('c', 'revive')
    ], params), 'InvalidEntryActions'))
    const errors = (e.details as { errors: Array<{ key: Uint8Array, error: unknown }> }).errors
    expect(errors.map(({ key, error }) => [new TextDecoder().decode(key), error])).toEqual([
      ['a', { code: 'EntryExists', version: 0 }],
      ['b', { code: 'InvalidSuccessor', version: 1 }],
      ['c', { code: 'EntryExists', version: 1 }],
      ['y', { code: 'NoSuchEntry' }],
      ['zz', { code: 'NoSuchEntry' }]
    ])
  })

  it('refuses a key twice in one batch as InvalidRequest', () => {
    const d = base()
    expectUnchanged(d, () => expectSafeMeshError(() => mutateEntries(d, owner, [insert('n', '1'), del('n', 1)], params), 'InvalidRequest'))
  })

  it('checks permissions before entries: AccessDenied wins and applies nothing', () => {
    const d = setUserPermissions(base(), owner, keyUser(app), { Insert: true }, 1, params)
    expect(mutateEntries(d, app, [insert('new', 'x')], params).entries.size).toBe(4)
    expectUnchanged(d, () => expectSafeMeshError(() => mutateEntries(d, app, [insert('new', 'x'), update('zz', 'x', 1)], params), 'AccessDenied'))
    expectUnchanged(d, () => expectSafeMeshError(() => mutateEntries(d, stranger, [insert('new', 'x')], params), 'AccessDenied'))
    expectUnchanged(d, () => expectSafeMeshError(() => mutateEntries(d, app, [del('a', 1)], params), 'AccessDenied'))
  })

  it('an empty batch changes nothing', () => {
    const d = base()
    expect(hex(encodeMutableData(mutateEntries(d, owner, [], params)))).toBe(hex(encodeMutableData(d)))
  })

  it('entry successor rule: only current + 1', () => {
    const d = base() // b at 1
    for (const v of [0, 1, 3]) {
      const e = expectSafeMeshError(() => mutateEntries(d, owner, [update('b', 'x', v)], params), 'InvalidEntryActions')
      expect(e.details).toEqual({ errors: [{ key: text('b'), error: { code: 'InvalidSuccessor', version: 1 } }] })
    }
    expect(getValue(mutateEntries(d, owner, [update('b', 'x', 2)], params), text('b')).version).toBe(2)
  })
})

describe('tombstones', () => {
  it('delete keeps a tombstone; insert on it fails; update(current + 1) re-creates', () => {
    let d = md({ entries: [{ key: text('k'), content: text('v') }] })
    d = mutateEntries(d, owner, [del('k', 1)], params)
    expect(getValue(d, text('k'))).toEqual({ content: new Uint8Array(0), version: 1 })
    expect(listKeys(d)).toEqual([text('k')]) // the wire shows tombstones
    expect(visibleEntries(d)).toEqual([]) // convenience listings hide them
    const e = expectSafeMeshError(() => mutateEntries(d, owner, [insert('k', 'again')], params), 'InvalidEntryActions')
    expect(e.details).toEqual({ errors: [{ key: text('k'), error: { code: 'EntryExists', version: 1 } }] })
    expectSafeMeshError(() => mutateEntries(d, owner, [update('k', 'again', 1)], params), 'InvalidEntryActions')
    d = mutateEntries(d, owner, [update('k', 'again', 2)], params)
    expect(getValue(d, text('k'))).toEqual({ content: text('again'), version: 2 })
    expect(visibleEntries(d).length).toBe(1)
  })

  it('tombstones count toward the entry limit', () => {
    const small = networkParams({ maxMutableDataEntries: 2 })
    let d = md({ entries: [{ key: text('a'), content: text('A') }, { key: text('b'), content: text('B') }] })
    d = mutateEntries(d, owner, [del('a', 1)], small)
    expectUnchanged(d, () => expectSafeMeshError(() => mutateEntries(d, owner, [insert('c', 'C')], small), 'TooManyEntries'))
  })
})

describe('limits', () => {
  const entries = (n: number): Array<{ key: Uint8Array, content: Uint8Array }> =>
    Array.from({ length: n }, (_, i) => ({ key: text(`key-${i}`), content: text('v') }))

  it('accepts exactly 1000 entries and refuses 1001 (TooManyEntries), atomically', () => {
    expect(params.maxMutableDataEntries).toBe(1000)
    const full = md({ entries: entries(1000) })
    validateNewMutableData(full, params)
    expectSafeMeshError(() => validateNewMutableData(md({ entries: entries(1001) }), params), 'TooManyEntries')
    expectUnchanged(full, () => expectSafeMeshError(() => mutateEntries(full, owner, [insert('one-more', 'x')], params), 'TooManyEntries'))
    const almost = md({ entries: entries(999) })
    expect(mutateEntries(almost, owner, [insert('last', 'x')], params).entries.size).toBe(1000)
    expectUnchanged(almost, () => expectSafeMeshError(() => mutateEntries(almost, owner, [insert('x1', 'x'), insert('x2', 'x')], params), 'TooManyEntries'))
  })

  it('accepts exactly 1 MiB serialised and refuses one byte more (DataTooLarge), atomically', () => {
    expect(params.maxMutableDataSize).toBe(1024 * 1024)
    const start = md({ entries: [{ key: text('big'), content: new Uint8Array(70_000) }] })
    // Past 65535 bytes the content's length header is 5 bytes wide up to 4 GiB, so size grows 1:1.
    const fill = params.maxMutableDataSize - mutableDataSize(start) + 70_000
    const exact = md({ name: start.name, entries: [{ key: text('big'), content: new Uint8Array(fill) }] })
    expect(mutableDataSize(exact)).toBe(params.maxMutableDataSize)
    validateNewMutableData(exact, params)
    const over = md({ name: start.name, entries: [{ key: text('big'), content: new Uint8Array(fill + 1) }] })
    expect(mutableDataSize(over)).toBe(params.maxMutableDataSize + 1)
    expectSafeMeshError(() => validateNewMutableData(over, params), 'DataTooLarge')

    // The same boundary through mutations.
    const grown = mutateEntries(start, owner, [update('big', '', 1)], params)
    const toExact = (extra: number): KeyedEntryAction[] =>
      [{ key: text('big'), action: { kind: 'Update', content: new Uint8Array(fill + extra), version: 2 } }]
    expect(mutableDataSize(mutateEntries(grown, owner, toExact(0), params))).toBe(params.maxMutableDataSize)
    expectUnchanged(grown, () => expectSafeMeshError(() => mutateEntries(grown, owner, toExact(1), params), 'DataTooLarge'))
  })

  it('reports TooManyEntries before DataTooLarge', () => {
    const small = networkParams({ maxMutableDataEntries: 1, maxMutableDataSize: 100 })
    const d = md({ entries: [{ key: text('a'), content: text('A') }] })
    expectSafeMeshError(() => mutateEntries(d, owner, [insert('b', 'x'.repeat(200))], small), 'TooManyEntries')
    expectSafeMeshError(() => mutateEntries(d, owner, [update('a', 'x'.repeat(200), 1)], small), 'DataTooLarge')
  })

  it('permission changes are size-limited too', () => {
    const d = md()
    const tight = networkParams({ maxMutableDataSize: mutableDataSize(d) + 10 })
    expectUnchanged(d, () => expectSafeMeshError(() => setUserPermissions(d, owner, keyUser(app), { Insert: true }, 1, tight), 'DataTooLarge'))
  })
})

describe('owners and whole-data validation', () => {
  it('requires exactly one owner (InvalidOwners)', () => {
    expectSafeMeshError(() => validateNewMutableData(md({ owners: [] }), params), 'InvalidOwners')
    expectSafeMeshError(() => validateNewMutableData(md({ owners: [owner, app] }), params), 'InvalidOwners')
    validateNewMutableData(md(), params)
  })

  it('refuses bad tags and names as InvalidRequest', () => {
    expectSafeMeshError(() => validateNewMutableData(md({ tag: 2 ** 53 }), params), 'InvalidRequest')
    expectSafeMeshError(() => validateNewMutableData(md({ tag: -1 }), params), 'InvalidRequest')
    expectSafeMeshError(() => validateNewMutableData(md({ tag: 1.5 }), params), 'InvalidRequest')
    expectSafeMeshError(() => validateNewMutableData(md({ name: new Uint8Array(31) }), params), 'InvalidRequest')
    validateNewMutableData(md({ tag: 2 ** 53 - 1 }), params)
  })

  it('changeOwner: only the owner itself, exactly one new owner, version + 1', () => {
    const d = setUserPermissions(md(), owner, keyUser(app), { ManagePermissions: true }, 1, params)
    const next = publicKey()
    expectUnchanged(d, () => expectSafeMeshError(() => changeOwner(d, app, [next], 2), 'AccessDenied'))
    expectUnchanged(d, () => expectSafeMeshError(() => changeOwner(d, owner, [], 2), 'InvalidOwners'))
    expectUnchanged(d, () => expectSafeMeshError(() => changeOwner(d, owner, [next, app], 2), 'InvalidOwners'))
    for (const v of [0, 1, 3]) {
      const e = expectUnchanged(d, () => expectSafeMeshError(() => changeOwner(d, owner, [next], v), 'InvalidSuccessor'))
      expect(e.details).toEqual({ current: 1 })
    }
    const changed = changeOwner(d, owner, [next], 2)
    expect(changed.owners).toEqual([next])
    expect(changed.version).toBe(2)
    expect(isActionAllowed(changed, owner, 'Insert')).toBe(false)
    expect(isActionAllowed(changed, next, 'Insert')).toBe(true)
  })
})

describe('permission changes', () => {
  it('set/del need ManagePermissions, version + 1, and bump the version', () => {
    let d = md()
    expectUnchanged(d, () => expectSafeMeshError(() => setUserPermissions(d, app, keyUser(app), { Insert: true }, 1, params), 'AccessDenied'))
    for (const v of [0, 2]) {
      const e = expectUnchanged(d, () => expectSafeMeshError(() => setUserPermissions(d, owner, ANYONE, { Insert: true }, v, params), 'InvalidSuccessor'))
      expect(e.details).toEqual({ current: 0 })
    }
    d = setUserPermissions(d, owner, keyUser(app), { ManagePermissions: true }, 1, params)
    d = setUserPermissions(d, app, ANYONE, { Insert: true, Delete: false }, 2, params)
    expect(d.version).toBe(2)
    expect(userPermissions(d, ANYONE)).toEqual({ Insert: true, Delete: false })
    expect(listPermissions(d).map((p) => p.user.kind)).toEqual(['Anyone', 'Key'])
    // setting replaces the whole set
    d = setUserPermissions(d, app, ANYONE, { Update: true }, 3, params)
    expect(userPermissions(d, ANYONE)).toEqual({ Update: true })

    expectUnchanged(d, () => expectSafeMeshError(() => delUserPermissions(d, stranger, ANYONE, 4), 'AccessDenied'))
    expectUnchanged(d, () => expectSafeMeshError(() => delUserPermissions(d, owner, ANYONE, 3), 'InvalidSuccessor'))
    expectUnchanged(d, () => expectSafeMeshError(() => delUserPermissions(d, owner, keyUser(stranger), 4), 'NoSuchKey'))
    d = delUserPermissions(d, owner, ANYONE, 4)
    expect(d.version).toBe(4)
    expectSafeMeshError(() => userPermissions(d, ANYONE), 'NoSuchKey')
    // an app may remove its own ManagePermissions, after which it can manage nothing
    d = setUserPermissions(d, app, keyUser(app), {}, 5, params)
    expectSafeMeshError(() => setUserPermissions(d, app, ANYONE, {}, 6, params), 'AccessDenied')
  })
})

describe('reads', () => {
  it('shell, listings, values', () => {
    const d = md({ entries: [{ key: text('b'), content: text('2') }, { key: text('a'), content: text('1'), version: 3 }] })
    const shell = mutableDataShell(d)
    expect(shell.entries.size).toBe(0)
    expect(d.entries.size).toBe(2)
    expect(listKeys(d)).toEqual([text('a'), text('b')])
    expect(listValues(d)).toEqual([{ content: text('1'), version: 3 }, { content: text('2'), version: 0 }])
    expectSafeMeshError(() => getValue(d, text('c')), 'NoSuchEntry')
  })
})

describe('serialised form', () => {
  it('round-trips and is canonical whatever the insertion order', () => {
    const name = randomXorName()
    const e = [{ key: text('b'), content: text('2') }, { key: new Uint8Array(0), content: text('0') }, { key: text('a'), content: text('1'), version: 3 }]
    const p = [{ user: keyUser(app), permissions: { Insert: true } }, { user: ANYONE, permissions: { Update: false } }, { user: keyUser(stranger), permissions: {} }]
    const one = newMutableData({ name, tag: 7, owners: [owner], entries: e, permissions: p, version: 9 })
    const two = newMutableData({ name, tag: 7, owners: [owner], entries: [...e].reverse(), permissions: [...p].reverse(), version: 9 })
    expect(hex(encodeMutableData(one))).toBe(hex(encodeMutableData(two)))
    expect(hex(mutableDataDigest(one))).toBe(hex(mutableDataDigest(two)))
    const back = decodeMutableData(encodeMutableData(one))
    expect(hex(encodeMutableData(back))).toBe(hex(encodeMutableData(one)))
    expect(listEntries(back)).toEqual(listEntries(one))
    expect(listPermissions(back)).toEqual(listPermissions(one))
    expect(back.version).toBe(9)
    expect(back.tag).toBe(7)
  })

  it('refuses unsorted or repeated entries and users', () => {
    const wire = (entries: unknown[], permissions: unknown[] = []): Uint8Array =>
      encode({ name: randomXorName(), tag: 1, version: 0, owners: [owner], entries: entries as never, permissions: permissions as never })
    const k = (s: string): [Uint8Array, Uint8Array, number] => [text(s), text('v'), 0]
    decodeMutableData(wire([k('a'), k('b')]))
    expectSafeMeshError(() => decodeMutableData(wire([k('b'), k('a')])), 'InvalidRequest')
    expectSafeMeshError(() => decodeMutableData(wire([k('a'), k('a')])), 'InvalidRequest')
    const anyone = [{ kind: 'Anyone' }, {}]
    const key = [{ kind: 'Key', key: app }, {}]
    decodeMutableData(wire([], [anyone, key]))
    expectSafeMeshError(() => decodeMutableData(wire([], [key, anyone])), 'InvalidRequest')
    expectSafeMeshError(() => decodeMutableData(wire([], [anyone, anyone])), 'InvalidRequest')
  })

  it('never mutates its input on success either', () => {
    const d = md({ entries: [{ key: text('a'), content: text('A') }] })
    expectUnchanged(d, () => {
      const after = mutateEntries(d, owner, [update('a', 'B', 1), insert('b', 'B')], params)
      setUserPermissions(after, owner, ANYONE, { Insert: true }, 1, params)
      changeOwner(d, owner, [app], 1)
    })
  })
})
