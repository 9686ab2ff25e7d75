import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { accountNameOf, appKeyBinding, changeAuthKeys, chargedRecord, executorNameOf, isAccountOpening, openedAccount } from '../src/account.js'
import { newMutableData } from '../src/data/mutable.js'
import { sha3_256 } from '../src/hash.js'
import type { Mutation } from '../src/messages/node-messages.js'
import { chargeOf } from '../src/messages/forwarding.js'
import { expectSafeMeshError } from './helpers.js'
import { messageId, name, publicKey } from './arbitraries.js'

const owner = new Uint8Array(32).fill(1)
const app = new Uint8Array(32).fill(2)
const account = accountNameOf(owner)
const base = { account, requester: owner, messageId: new Uint8Array(32) }
const digest = new Uint8Array(32).fill(3)

describe('accounts', () => {
  it('names an account by the SHA3-256 of its owner key', () => {
    fc.assert(fc.property(publicKey, key => { expect(accountNameOf(key)).toEqual(sha3_256(key)) }))
  })

  it('opens an account with its session packet, charged one op', () => {
    const packet = newMutableData({ name: new Uint8Array(32), tag: 0, owners: [owner] })
    const opening: Mutation = { ...base, type: 'PutMData', data: packet }
    expect(isAccountOpening(opening)).toBe(true)
    expect(isAccountOpening({ ...opening, data: { ...packet, tag: 1 } })).toBe(false)
    expect(chargedRecord(undefined, chargeOf(opening, digest))).toEqual(openedAccount(owner))
    expect(openedAccount(owner).mutationsDone).toBe(1)
    expectSafeMeshError(() => chargedRecord(undefined, chargeOf({ ...base, type: 'PutIData', name: new Uint8Array(32), size: 1 }, digest)), 'NoSuchAccount')
  })

  it('charges one op per success and changes keys only by versioned auth-key changes', () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { maxLength: 20 }), (steps) => {
      let record = openedAccount(owner)
      let version = 0
      let authorised = false
      for (const insert of steps) {
        const change: Mutation = { ...base, type: insert ? 'InsAuthKey' : 'DelAuthKey', key: app, version: version + 1 }
        if (insert === authorised) {
          expectSafeMeshError(() => chargedRecord(record, chargeOf(change, digest)), insert ? 'InvalidOperation' : 'NoSuchKey')
          continue
        }
        const before = record.mutationsDone
        record = chargedRecord(record, chargeOf(change, digest))
        version++
        authorised = insert
        expect(record.mutationsDone).toBe(before + 1)
        expect(record.authKeysVersion).toBe(version)
        expect(record.authKeys.length).toBe(authorised ? 1 : 0)
      }
    }))
  })

  it('refuses an auth-key change whose version is not the next, and the owner as its own app', () => {
    const record = openedAccount(owner)
    expectSafeMeshError(() => changeAuthKeys(record, { ...base, type: 'InsAuthKey', key: app, version: 2 }), 'InvalidSuccessor')
    expectSafeMeshError(() => changeAuthKeys(record, { ...base, type: 'InsAuthKey', key: owner, version: 1 }), 'InvalidOperation')
  })

  it('executes data mutations at the data\'s group and auth-key changes at the key\'s own account group', () => {
    fc.assert(fc.property(name, publicKey, messageId, (data, key, id) => {
      const m = { account, requester: owner, messageId: id }
      expect(executorNameOf({ ...m, type: 'PutIData', name: data, size: 1 })).toEqual(data)
      expect(executorNameOf({ ...m, type: 'InsAuthKey', key, version: 1 })).toEqual(accountNameOf(key))
      expect(executorNameOf({ ...m, type: 'DelAuthKey', key, version: 1 })).toEqual(accountNameOf(key))
    }))
  })

  it('binds an app key to the account that authorised it', () => {
    expect(appKeyBinding(app, account)).toMatchObject({ owner: app, appOf: account, authKeys: [] })
  })
})
