/**
 * mutateEntries against a small, independent reference model of SPEC §2: random data, random
 * permissions, random batches over a few keys (so collisions, tombstones and near-miss versions are
 * common). Every outcome must match the model, and a refused batch must leave the data's bytes as
 * they were.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { mutateEntries, type EntryAction, type KeyedEntryAction } from '../src/data/entry-actions.js'
import { encodeMutableData } from '../src/data/mutable-codec.js'
import { ANYONE, keyUser, listEntries, newMutableData, type Action, type PermissionSet } from '../src/data/mutable.js'
import { isSafeMeshError } from '../src/errors.js'
import { networkParams } from '../src/params.js'
import { randomXorName } from '../src/xorname.js'
import { permissionSet } from './arbitraries.js'
import { hex, publicKey } from './helpers.js'

const owner = publicKey()
const app = publicKey()
const KEYS = ['', '00', '01', '0100', 'ff']
const params = networkParams({ maxMutableDataEntries: 4 })

type Model = Map<string, { content: string, version: number }>

const modelEntries: fc.Arbitrary<Model> = fc.uniqueArray(
  fc.record({ key: fc.constantFrom(...KEYS), content: fc.constantFrom('', 'aa', 'bbbb'), version: fc.nat({ max: 3 }) }),
  { selector: (e) => e.key, maxLength: 4 }
).map((es) => new Map(es.map((e) => [e.key, { content: e.content, version: e.version }])))

const action: fc.Arbitrary<EntryAction> = fc.oneof(
  fc.constantFrom('aa', 'cc').map((c): EntryAction => ({ kind: 'Insert', content: Buffer.from(c, 'hex') })),
  fc.tuple(fc.constantFrom('', 'dd'), fc.nat({ max: 5 })).map(([c, version]): EntryAction => ({ kind: 'Update', content: Buffer.from(c, 'hex'), version })),
  fc.nat({ max: 5 }).map((version): EntryAction => ({ kind: 'Delete', version }))
)
const batch = fc.array(fc.record({ key: fc.constantFrom(...KEYS), action }), { maxLength: 5 })

function referenceAllowed (who: 'owner' | 'app', appSet: PermissionSet | undefined, anyoneSet: PermissionSet | undefined, a: Action): boolean {
  if (who === 'owner') return true
  const own = appSet?.[a]
  if (own !== undefined) return own
  return anyoneSet?.[a] ?? false
}

function reference (model: Model, allowed: (a: Action) => boolean, actions: Array<{ key: string, action: EntryAction }>): { ok: Model } | { code: string, errors?: unknown[] } {
  if (new Set(actions.map((a) => a.key)).size !== actions.length) return { code: 'InvalidRequest' }
  if (actions.some((a) => !allowed(a.action.kind))) return { code: 'AccessDenied' }
  const errors: unknown[] = []
  const next: Model = new Map(model)
  for (const { key, action: act } of [...actions].sort((x, y) => Buffer.compare(Buffer.from(x.key, 'hex'), Buffer.from(y.key, 'hex')))) {
    const current = model.get(key)
    if (act.kind === 'Insert') {
      if (current !== undefined) errors.push([key, 'EntryExists', current.version])
      else next.set(key, { content: hex(act.content), version: 0 })
    } else if (current === undefined) {
      errors.push([key, 'NoSuchEntry', undefined])
    } else if (act.version !== current.version + 1) {
      errors.push([key, 'InvalidSuccessor', current.version])
    } else {
      next.set(key, { content: act.kind === 'Update' ? hex(act.content) : '', version: act.version })
    }
  }
  if (errors.length > 0) return { code: 'InvalidEntryActions', errors }
  if (next.size > params.maxMutableDataEntries) return { code: 'TooManyEntries' }
  return { ok: next }
}

describe('mutateEntries matches the reference model', () => {
  it('for random data, permissions and batches', () => {
    const outcomes = new Map<string, number>()
    fc.assert(fc.property(
      modelEntries, fc.constantFrom('owner' as const, 'app' as const), fc.option(permissionSet), fc.option(permissionSet), batch,
      (model, who, appSet, anyoneSet, actions) => {
        const permissions = []
        if (appSet !== null) permissions.push({ user: keyUser(app), permissions: appSet })
        if (anyoneSet !== null) permissions.push({ user: ANYONE, permissions: anyoneSet })
        const md = newMutableData({
          name: randomXorName(),
          tag: 1,
          owners: [owner],
          permissions,
          entries: [...model].map(([key, v]) => ({ key: Buffer.from(key, 'hex'), content: Buffer.from(v.content, 'hex'), version: v.version }))
        })
        const before = hex(encodeMutableData(md))
        const expected = reference(model, (a) => referenceAllowed(who, appSet ?? undefined, anyoneSet ?? undefined, a), actions.map((a) => ({ key: a.key, action: a.action })))
        const batchActions: KeyedEntryAction[] = actions.map((a) => ({ key: new Uint8Array(Buffer.from(a.key, 'hex')), action: a.action }))
        try {
          const after = mutateEntries(md, who === 'owner' ? owner : app, batchActions, params)
          expect('ok' in expected).toBe(true)
          const got = new Map(listEntries(after).map((e) => [hex(e.key), { content: hex(e.content), version: e.version }]))
          expect(got).toEqual((expected as { ok: Model }).ok)
          outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1)
        } catch (e) {
          if (!isSafeMeshError(e)) throw e
          expect(e.code).toBe((expected as { code: string }).code)
          if (e.code === 'InvalidEntryActions') {
            const errors = (e.details as { errors: Array<{ key: Uint8Array, error: { code: string, version?: number } }> }).errors
            expect(errors.map((x) => [hex(x.key), x.error.code, x.error.version])).toEqual((expected as { errors: unknown[] }).errors)
          }
          outcomes.set(e.code, (outcomes.get(e.code) ?? 0) + 1)
        }
        expect(hex(encodeMutableData(md))).toBe(before)
      }
    ), { numRuns: 5000 })
    // The generators reach every outcome.
    expect([...outcomes.keys()].sort()).toEqual(['AccessDenied', 'InvalidEntryActions', 'InvalidRequest', 'TooManyEntries', 'ok'])
  }, 120_000)
})
