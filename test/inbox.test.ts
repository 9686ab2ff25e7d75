import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AccountInfo, type ClientOptions, type SafeMeshClient, createAccount } from '@safemesh/client'
import { inboxAddress, openInboxItem } from '@safemesh/client/internals'
import { openSealed, type ClientKeys } from '@safemesh/crypto'
import {
  TYPE_TAG_INBOX, bytesToHex, inboxName, xorNameFromHex, type ErrorCode, type MutableDataEntry
} from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'
import { codeOf } from './support/error-code.js'

const G = 3
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }
/** Each account's allowance: small, so that the stranger's flood ends at it within seconds. */
const ACCOUNT_OPS = 60
/** What account creation costs (session packet, 7 containers, access, root, profile, inbox, share log). */
const CREATION_OPS = 13

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Whether `needle` occurs anywhere in `haystack`. */
const contains = (haystack: Uint8Array, needle: Uint8Array): boolean => Buffer.from(haystack).includes(Buffer.from(needle))

const keysOf = (client: SafeMeshClient): ClientKeys => {
  const keys = client.keys
  if (keys === undefined) throw new Error('the client has no keys')
  return keys
}

describe(`an account's inbox against a stranger on a 5-node testnet (G = ${G}, ${ACCOUNT_OPS} ops per account)`, () => {
  let testnet: Testnet
  let owner: SafeMeshClient
  let stranger: SafeMeshClient
  let sharer: SafeMeshClient
  let inbox: ReturnType<typeof inboxAddress>
  /** The stranger's own item, and the item the sharer's share put in the owner's inbox. */
  let strangerKey: Uint8Array
  let sharedKey: Uint8Array

  beforeAll(async () => {
    testnet = await startTestnet(5, { groupSize: G, accountOps: ACCOUNT_OPS })
    const options: ClientOptions = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt }, kdf: KDF }
    const password = 'inbox password: slate harbour 73'
    const account = async (who: string): Promise<SafeMeshClient> => await createAccount({ secret: `${who} ${randomBytes(8).toString('hex')}`, password }, options)
    ;[owner, stranger, sharer] = await Promise.all([account('owner'), account('stranger'), account('sharer')])
    inbox = inboxAddress(keysOf(owner).sign.publicKey)
  })
  afterAll(async () => {
    for (const client of [owner, stranger, sharer]) await client?.close()
    await stopTestnet(testnet)
  })

  const idOf = (client: SafeMeshClient): string => bytesToHex(keysOf(client).sign.publicKey)

  it('exists once the account is created: owned by the owner alone, at the name derived from its ID, Anyone may only Insert', async () => {
    expect(inbox.tag).toBe(TYPE_TAG_INBOX)
    expect(bytesToHex(inbox.name)).toBe(bytesToHex(inboxName(keysOf(owner).sign.publicKey)))
    // Read by the stranger: an inbox is not read-gated, what protects its items is the sealing.
    const md = await stranger.getMData(inbox)
    expect(md.owners.map(bytesToHex)).toEqual([idOf(owner)])
    expect([...md.permissions.values()]).toEqual([{ user: { kind: 'Anyone' }, permissions: { Insert: true } }])
    expect(md.entries.size).toBe(0)
    const id = await owner.sharing().id()
    expect(id.inbox).toBe(bytesToHex(inbox.name))
    expect((await owner.getAccountInfo()).mutationsDone, 'id() made nothing: account creation made the inbox').toBe(CREATION_OPS)
  })

  it('a stranger inserts an item: charged to the stranger, not to the owner; the owner\'s listing counts it skipped', async () => {
    const [strangerBefore, ownerBefore] = [await stranger.getAccountInfo(), await owner.getAccountInfo()]
    strangerKey = new Uint8Array(randomBytes(32))
    await stranger.mutateMDataEntries(inbox, [{ key: strangerKey, action: { kind: 'Insert', content: utf8('not sealed: a stranger\'s junk') } }])
    expect(await stranger.getAccountInfo()).toEqual({ ...strangerBefore, mutationsDone: strangerBefore.mutationsDone + 1, mutationsAvailable: strangerBefore.mutationsAvailable - 1 })
    expect(await owner.getAccountInfo()).toEqual(ownerBefore)
    expect(await owner.sharing().inbox()).toEqual({ shares: [], skipped: 1 })
  })

  it('an item a real share put there is not in the clear to the stranger, who reads it raw, and does not open with the stranger\'s keys', async () => {
    const note = `lab results for the owner ${randomBytes(6).toString('hex')}`
    const path = `_documents/lab-${randomBytes(6).toString('hex')}.txt`
    await sharer.fs.write(path, [utf8('haemoglobin 14.1 g/dL')])
    const before = new Set((await stranger.listMDataEntries(inbox)).map(e => bytesToHex(e.key)))
    const result = await sharer.sharing().share(path, { with: [idOf(owner)], note })
    expect(result).toMatchObject({ kind: 'file', path, recipients: [idOf(owner)] })

    const added = (await stranger.listMDataEntries(inbox)).filter(e => !before.has(bytesToHex(e.key)))
    expect(added.length, 'the share put one item in the owner\'s inbox').toBe(1)
    sharedKey = (added[0] as MutableDataEntry).key
    const raw = await stranger.getMDataValue(inbox, sharedKey)
    expect(raw.content.length).toBeGreaterThan(0)
    for (const [what, bytes] of [
      ['the note', utf8(note)], ['the path', utf8(path)], ['the share name', xorNameFromHex(result.share)], ['the share name in hex', utf8(result.share)],
      ['the sharer\'s ID', keysOf(sharer).sign.publicKey], ['the sharer\'s ID in hex', utf8(idOf(sharer))]
    ] as const) {
      expect(contains(raw.content, bytes), `${what} is in the item in the clear`).toBe(false)
    }
    const strangerKeys = keysOf(stranger)
    expect(openInboxItem({ key: sharedKey, content: raw.content }, strangerKeys)).toBeUndefined()
    expect(() => openSealed(raw.content, strangerKeys.encrypt)).toThrow()

    // It is the share's item: the owner opens it, and its listing shows the share and skips the stranger's junk.
    expect(openInboxItem({ key: sharedKey, content: raw.content }, keysOf(owner))?.offer).toMatchObject({ share: xorNameFromHex(result.share), path, note })
    const listing = await owner.sharing().inbox()
    expect(listing.skipped).toBe(1)
    expect(listing.shares).toEqual([expect.objectContaining({ share: result.share, from: idOf(sharer), kind: 'file', path, note })])
  })

  it('the stranger cannot update or delete an item (its own or the share\'s), overwrite one by inserting at its key, or change permissions or the owner', async () => {
    const [strangerBefore, ownerBefore] = [await stranger.getAccountInfo(), await owner.getAccountInfo()]
    const entriesBefore = await owner.listMDataEntries(inbox)
    const shell = await stranger.getMDataShell(inbox)
    const garbage = utf8('rewritten by a stranger')
    for (const [which, key] of [['its own item', strangerKey], ['the share\'s item', sharedKey]] as const) {
      const { version } = await stranger.getMDataValue(inbox, key)
      expect(await codeOf(stranger.mutateMDataEntries(inbox, [{ key, action: { kind: 'Update', content: garbage, version: version + 1 } }])), `update of ${which}`).toBe('AccessDenied')
      expect(await codeOf(stranger.mutateMDataEntries(inbox, [{ key, action: { kind: 'Delete', version: version + 1 } }])), `delete of ${which}`).toBe('AccessDenied')
    }
    // An insert at a taken key is no overwrite: the entry exists (refused as the charging test shows, InvalidEntryActions).
    expect(await codeOf(stranger.mutateMDataEntries(inbox, [{ key: sharedKey, action: { kind: 'Insert', content: garbage } }]))).toBe('InvalidEntryActions')
    const next = shell.version + 1
    const all = { Insert: true, Update: true, Delete: true, ManagePermissions: true }
    expect(await codeOf(stranger.setMDataUserPermissions(inbox, { user: { kind: 'Anyone' }, permissions: all, version: next })), 'widen Anyone').toBe('AccessDenied')
    expect(await codeOf(stranger.setMDataUserPermissions(inbox, { user: { kind: 'Key', key: keysOf(stranger).sign.publicKey }, permissions: all, version: next })), 'grant itself').toBe('AccessDenied')
    expect(await codeOf(stranger.delMDataUserPermissions(inbox, { user: { kind: 'Anyone' }, version: next })), 'close the inbox').toBe('AccessDenied')
    expect(await codeOf(stranger.changeMDataOwner(inbox, { newOwner: keysOf(stranger).sign.publicKey, version: next })), 'take it').toBe('AccessDenied')

    // Nothing changed, and a refusal is charged to nobody.
    expect(await owner.listMDataEntries(inbox)).toEqual(entriesBefore)
    const after = await owner.getMData(inbox)
    expect(after.version).toBe(shell.version)
    expect(after.owners.map(bytesToHex)).toEqual([idOf(owner)])
    expect([...after.permissions.values()]).toEqual([{ user: { kind: 'Anyone' }, permissions: { Insert: true } }])
    expect(await stranger.getAccountInfo()).toEqual(strangerBefore)
    expect(await owner.getAccountInfo()).toEqual(ownerBefore)
  })

  it('a flood of inserts ends at the stranger\'s own allowance (LowBalance), charged to it; the owner pays nothing and its inbox still lists', async () => {
    const ownerBefore: AccountInfo = await owner.getAccountInfo()
    const strangerBefore = await stranger.getAccountInfo()
    const left = strangerBefore.mutationsAvailable
    expect(left).toBeGreaterThan(10)
    // A MutableData holds at most 1000 entries: with this small allowance the stranger runs out long
    // before the inbox fills (with a big one it would end at TooManyEntries, still charged to it alone).
    expect(left + (await owner.listMDataEntries(inbox)).length).toBeLessThan(1000)
    let inserted = 0
    let refusal: ErrorCode | 'resolved' = 'resolved'
    // One insert at a time: the allowance is exact for a sequential client (docs/protocol.md, charging).
    while (refusal === 'resolved' && inserted <= left) {
      refusal = await codeOf(stranger.mutateMDataEntries(inbox, [{ key: new Uint8Array(randomBytes(32)), action: { kind: 'Insert', content: new Uint8Array(randomBytes(64)) } }]))
      if (refusal === 'resolved') inserted++
      expect(await owner.getAccountInfo(), `the owner's account after ${inserted} inserts`).toEqual(ownerBefore)
    }
    expect(refusal).toBe('LowBalance')
    expect(inserted).toBe(left)
    expect(await stranger.getAccountInfo()).toEqual({ ...strangerBefore, mutationsDone: strangerBefore.mutationsDone + left, mutationsAvailable: 0 })
    expect(await owner.getAccountInfo()).toEqual(ownerBefore)

    const listing = await owner.sharing().inbox()
    expect(listing.skipped, 'the stranger\'s first item and its flood').toBe(1 + left)
    expect(listing.shares.map(s => s.from)).toEqual([idOf(sharer)])
    // The owner can still act on its own inbox: it deletes the stranger's first item, charged to it.
    const { version } = await owner.getMDataValue(inbox, strangerKey)
    await owner.mutateMDataEntries(inbox, [{ key: strangerKey, action: { kind: 'Delete', version: version + 1 } }])
    expect((await owner.getAccountInfo()).mutationsDone).toBe(ownerBefore.mutationsDone + 1)
    expect((await owner.sharing().inbox()).skipped).toBe(left)
  })
})
