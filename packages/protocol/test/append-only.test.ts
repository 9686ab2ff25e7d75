import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assertAppendOnly, isAppendOnly } from '../src/data/append-only.js'
import type { EntryAction } from '../src/data/entry-actions.js'
import { newMutableData } from '../src/data/mutable.js'
import { TYPE_TAG_SHARE_ENVELOPE, TYPE_TAG_SHARE_LOG } from '../src/data/type-tags.js'
import type { Mutation } from '../src/messages/request.js'
import { randomXorName } from '../src/xorname.js'
import { expectSafeMeshError, hex, publicKey, text } from './helpers.js'

const owner = publicKey()
const base = { account: randomXorName(), requester: owner, messageId: new Uint8Array(32) }
const LOG = TYPE_TAG_SHARE_LOG

const entryAction: fc.Arbitrary<EntryAction> = fc.oneof(
  fc.record({ kind: fc.constant('Insert' as const), content: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('Update' as const), content: fc.uint8Array({ maxLength: 8 }), version: fc.nat() }),
  fc.record({ kind: fc.constant('Delete' as const), version: fc.nat() })
)
const batch = fc.uniqueArray(fc.record({ key: fc.uint8Array({ maxLength: 8 }), action: entryAction }), { selector: (a) => hex(a.key), maxLength: 6 })
const otherTag = fc.oneof(fc.nat({ max: 20_000 }), fc.maxSafeNat()).filter(t => t !== LOG)

/** Every mutation that names a tag, at `tag`. */
function tagged (tag: number): Mutation[] {
  const md = { name: randomXorName(), tag }
  return [
    { type: 'PutMData', ...base, data: newMutableData({ name: md.name, tag, owners: [owner], permissions: [{ user: { kind: 'Anyone' }, permissions: { Insert: true } }] }) },
    { type: 'MutateMDataEntries', ...base, ...md, actions: [{ key: text('a'), action: { kind: 'Insert', content: text('x') } }] },
    { type: 'MutateMDataEntries', ...base, ...md, actions: [{ key: text('a'), action: { kind: 'Update', content: text('y'), version: 1 } }] },
    { type: 'MutateMDataEntries', ...base, ...md, actions: [{ key: text('a'), action: { kind: 'Delete', version: 1 } }] },
    { type: 'SetMDataUserPermissions', ...base, ...md, user: { kind: 'Anyone' }, permissions: { Insert: true }, version: 1 },
    { type: 'DelMDataUserPermissions', ...base, ...md, user: { kind: 'Anyone' }, version: 1 },
    { type: 'ChangeMDataOwner', ...base, ...md, newOwners: [publicKey()], version: 1 }
  ]
}

function outcome (mutation: Mutation): string {
  try {
    assertAppendOnly(mutation)
    return 'ok'
  } catch (e) {
    return (e as { code: string }).code
  }
}

describe('append-only MutableData (the share log)', () => {
  it('is tag 1005 only', () => {
    expect(isAppendOnly(LOG)).toBe(true)
    expect([0, 1000, 1003, TYPE_TAG_SHARE_ENVELOPE, 15000].map(isAppendOnly)).toEqual([false, false, false, false, false])
  })

  it('on tag 1005 allows PutMData and entry inserts, and refuses every other change InvalidOperation', () => {
    expect(tagged(LOG).map(m => `${m.type}:${outcome(m)}`)).toEqual([
      'PutMData:ok',
      'MutateMDataEntries:ok',
      'MutateMDataEntries:InvalidOperation',
      'MutateMDataEntries:InvalidOperation',
      'SetMDataUserPermissions:InvalidOperation',
      'DelMDataUserPermissions:InvalidOperation',
      'ChangeMDataOwner:InvalidOperation'
    ])
    const [, , update] = tagged(LOG)
    expect(expectSafeMeshError(() => assertAppendOnly(update as Mutation), 'InvalidOperation').message).toMatch(/append-only/)
  })

  it('leaves every mutation of another tag, and those naming no tag, to the usual rules', () => {
    for (const m of tagged(TYPE_TAG_SHARE_ENVELOPE)) expect(outcome(m), m.type).toBe('ok')
    expect(outcome({ type: 'PutIData', ...base, name: randomXorName(), size: 10 })).toBe('ok')
    expect(outcome({ type: 'InsAuthKey', ...base, key: publicKey(), version: 1 })).toBe('ok')
  })

  it('refuses a batch on tag 1005 exactly when it holds an update or a delete; other tags never', () => {
    fc.assert(fc.property(batch, otherTag, (actions, tag) => {
      const name = randomXorName()
      const onLog = outcome({ type: 'MutateMDataEntries', ...base, name, tag: LOG, actions })
      const changes = actions.some(({ action }) => action.kind !== 'Insert')
      expect(onLog).toBe(changes ? 'InvalidOperation' : 'ok')
      expect(outcome({ type: 'MutateMDataEntries', ...base, name, tag, actions })).toBe('ok')
    }), { numRuns: 1000 })
  })
})
