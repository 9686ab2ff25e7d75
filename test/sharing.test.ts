import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClientOptions, type FsEntry, type SafeMeshClient, connectLink, createAccount } from '@safemesh/client'
import { Directory, openEnvelope, sealInboxItem, inboxAddress } from '@safemesh/client/internals'
import { TYPE_TAG_SHARE_ENVELOPE, bytesToHex, xorNameFromHex, type XorName } from '@safemesh/protocol'
import type { ClientKeys } from '@safemesh/crypto'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'
import { runNode, type ProcessRun } from './support/process.js'
import { codeOf } from './support/error-code.js'
import { collect, utf8 } from './support/text.js'

// G = the network's size: a client trusts its view only once it holds min(G, nodes) nodes, so every
// client here (the link's, the command line's, joining late) knows them all. With fewer, a client
// reading at once may ask nodes outside the group, which answer NoSuchData (see the report).
const G = 5
const CLI = fileURLToPath(new URL('../packages/cli/dist/src/bin/safemesh.js', import.meta.url))
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }

async function all<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

describe(`sharing between accounts on a 5-node testnet (G = ${G})`, () => {
  let testnet: Testnet
  let options: ClientOptions
  let owner: SafeMeshClient
  let reader: SafeMeshClient
  let revoked: SafeMeshClient
  let stranger: SafeMeshClient
  let share: string

  beforeAll(async () => {
    testnet = await startTestnet(5, { groupSize: G })
    options = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt }, kdf: KDF }
    const password = 'sharing password: amber lantern 41'
    const account = async (who: string): Promise<SafeMeshClient> => await createAccount({ secret: `${who} ${randomBytes(8).toString('hex')}`, password }, options)
    ;[owner, reader, revoked, stranger] = await Promise.all([account('owner'), account('reader'), account('revoked'), account('stranger')])
  })
  afterAll(async () => {
    for (const client of [owner, reader, revoked, stranger]) await client?.close()
    await stopTestnet(testnet)
  })

  const idOf = (client: SafeMeshClient): string => bytesToHex(client.publicKeys?.sign as Uint8Array)

  it('account creation publishes a profile, an inbox and a share log (13 mutations); id says where', async () => {
    expect((await owner.getAccountInfo()).mutationsDone).toBe(13)
    const id = await reader.sharing().id()
    expect(id.id).toBe(idOf(reader))
    expect((await reader.getAccountInfo()).mutationsDone, 'id made nothing: it all exists').toBe(13)
  })

  it('a folder shared with two accounts: listed in the inbox, listed and read, and a later write reaches them', async () => {
    await owner.fs.write('_documents/records/2024-blood.txt', [utf8('blood test, 2024')])
    await owner.fs.write('_documents/records/scans/knee.txt', [utf8('knee scan')])
    const result = await owner.sharing().share('_documents/records', { with: [idOf(reader), idOf(revoked)], note: 'my records', expires: '1h' })
    share = result.share
    expect(result).toMatchObject({ kind: 'folder', path: '_documents/records', recipients: [idOf(reader), idOf(revoked)] })

    const inbox = await reader.sharing().inbox()
    expect(inbox.skipped).toBe(0)
    expect(inbox.shares).toEqual([expect.objectContaining({ share, from: idOf(owner), kind: 'folder', path: '_documents/records', note: 'my records' })])
    const listed = (await all(reader.fs.list(`share:${share}`))).map((e: FsEntry) => `${e.kind}:${e.path}`)
    expect(listed).toEqual([`file:share:${share}/2024-blood.txt`, `folder:share:${share}/scans`])
    expect(await collect(reader.fs.read(`share:${share}/scans/knee.txt`))).toBe('knee scan')

    await owner.fs.write('_documents/records/2025-letter.txt', [utf8('a letter, 2025')])
    expect(await collect(reader.fs.read(`share:${share}/2025-letter.txt`))).toBe('a letter, 2025')
    expect(await collect(revoked.fs.read(`share:${share}/2025-letter.txt`))).toBe('a letter, 2025')
    expect(await codeOf(reader.fs.write(`share:${share}/mine.txt`, [utf8('no')]))).toBe('AccessDenied')
  })

  it('revoking one: what is written after opens for the other, not for it (the network refuses its envelope, its old key opens no new directory)', async () => {
    const held = await envelopeDir(revoked, share, owner)
    const result = await owner.sharing().revoke(share, idOf(revoked))
    expect(result).toMatchObject({ rotated: true, readers: [idOf(reader)] })
    await owner.fs.write('_documents/records/2026-after.txt', [utf8('after the revocation')])

    expect(await collect(reader.fs.read(`share:${share}/2026-after.txt`))).toBe('after the revocation')
    expect(await codeOf(collect(revoked.fs.read(`share:${share}/2026-after.txt`)))).toBe('AccessDenied')
    expect(await codeOf(revoked.getShareEnvelope(xorNameFromHex(share), TYPE_TAG_SHARE_ENVELOPE))).toBe('AccessDenied')
    const now = await envelopeDir(reader, share, owner)
    expect(bytesToHex(now.head)).not.toBe(bytesToHex(held.head))
    const keys = revoked.keys as ClientKeys
    expect(await codeOf(new Directory(revoked, { head: now.head, key: held.key }, keys.sign.publicKey).readHead())).toBe('AccessDenied')
    // The old directory, which its key still opens, is frozen without what came after.
    expect((await new Directory(revoked, held, keys.sign.publicKey).lookup('2026-after.txt'))?.record).toBeUndefined()
    expect(await codeOf(stranger.getShareEnvelope(xorNameFromHex(share), TYPE_TAG_SHARE_ENVELOPE))).toBe('AccessDenied')
    expect(await codeOf(stranger.getMData({ name: xorNameFromHex(share), tag: TYPE_TAG_SHARE_ENVELOPE }))).toBe('AccessDenied')
  })

  it('an item in the inbox that claims the share in another sender\'s name does not get its envelope accepted', async () => {
    const keys = stranger.keys as ClientKeys
    const profile = { sign: reader.publicKeys?.sign as Uint8Array, encrypt: reader.publicKeys?.encrypt as Uint8Array }
    const item = sealInboxItem({ share: xorNameFromHex(share), kind: 'folder', path: '_documents/records', at: Date.now() }, keys, profile)
    await stranger.mutateMDataEntries(inboxAddress(profile.sign), [{ key: item.key, action: { kind: 'Insert', content: item.content } }])
    // The stranger's claim is one more offer; the envelope is the owner's, and only its signature is accepted.
    expect((await reader.sharing().inbox()).shares.map(s => s.from).sort()).toEqual([idOf(owner), idOf(stranger)].sort())
    expect(await collect(reader.fs.read(`share:${share}/2024-blood.txt`))).toBe('blood test, 2024')
    // Nobody but the owner updates or deletes an item of the inbox.
    expect(await codeOf(stranger.mutateMDataEntries(inboxAddress(profile.sign), [{ key: item.key, action: { kind: 'Delete', version: 1 } }]))).toBe('AccessDenied')
  })

  it('a link reads with the link, not once cancelled', async () => {
    const { link, share: linked } = await owner.sharing().share('_documents/records', { link: true, expires: '1h' })
    if (link === undefined) throw new Error('no link')
    const holder = await connectLink(link, options)
    try {
      expect((await all(holder.fs.list(`link:${link}`))).map(e => e.path)).toContain(`link:${link}/2026-after.txt`)
      expect(await collect(holder.fs.read(`link:${link}/2024-blood.txt`))).toBe('blood test, 2024')
      // The command line: no credentials, the link is all it needs.
      const cli = async (...args: string[]): Promise<ProcessRun> => await runNode([CLI, '--network', testnet.networkFile, ...args], { cwd: tmpdir(), env: {} })
      const ls = await cli('fs', 'ls', `link:${link}`, '--json')
      expect(ls.code, ls.stderr).toBe(0)
      expect((JSON.parse(ls.stdout) as { entries: Array<{ path: string }> }).entries.map(e => e.path)).toContain(`link:${link}/2024-blood.txt`)
      const got = await cli('fs', 'get', `link:${link}/2024-blood.txt`)
      expect(got.code, got.stderr).toBe(0)
      expect(got.stdout).toBe('blood test, 2024')
      await owner.sharing().cancelLink(linked, link)
      expect(await codeOf(all(holder.fs.list(`link:${link}`)))).toBe('AccessDenied')
    } finally {
      await holder.close()
    }
  })

  it('an expiry the Data-Managers enforce: Expired after it, readable again once it is lifted', async () => {
    const until = Date.now() + 4_000
    await owner.sharing().setExpiry(share, until)
    expect(await collect(reader.fs.read(`share:${share}/2024-blood.txt`))).toBe('blood test, 2024')
    while (Date.now() <= until) await new Promise(resolve => setTimeout(resolve, until - Date.now() + 10))
    expect(await codeOf(collect(reader.fs.read(`share:${share}/2024-blood.txt`)))).toBe('Expired')
    await owner.sharing().setExpiry(share)
    expect(await collect(reader.fs.read(`share:${share}/2024-blood.txt`))).toBe('blood test, 2024')
  })

  it('a paid file share: the reader pays the sharer once per window, exactly the price, and the sharer logs it', async () => {
    await owner.fs.write('_documents/invoice.txt', [utf8('worth two credits')])
    const paid = await owner.sharing().share('_documents/invoice.txt', { with: [idOf(reader)], price: 2 })
    const [readerBefore, ownerBefore] = await Promise.all([reader.getAccountInfo(), owner.getAccountInfo()])
    expect(await collect(reader.fs.read(`share:${paid.share}/invoice.txt`))).toBe('worth two credits')
    expect(await collect(reader.fs.read(`share:${paid.share}/invoice.txt`)), 'again within the window: not paid again').toBe('worth two credits')
    const [readerAfter, ownerAfter] = await Promise.all([reader.getAccountInfo(), owner.getAccountInfo()])
    expect(readerAfter.creditsSent - readerBefore.creditsSent).toBe(2)
    expect(ownerAfter.creditsReceived - ownerBefore.creditsReceived).toBe(2)
    // A stranger is refused before it pays anything.
    expect(await codeOf(stranger.getShareEnvelope(xorNameFromHex(paid.share), TYPE_TAG_SHARE_ENVELOPE))).toBe('AccessDenied')
    expect(await owner.sharing().syncPayments()).toBe(1)
    expect(await owner.sharing().syncPayments()).toBe(0)
  })

  it('the owner\'s share log holds it all, in order', async () => {
    const events = (await owner.shareLog().read()).map(r => r.event.kind)
    expect(events).toEqual(['share', 'revoke', 'share', 'link', 'link-cancel', 'expiry', 'expiry', 'share', 'payment'])
  })
})

/** The directory `reader`'s envelope of `share` names. */
async function envelopeDir (reader: SafeMeshClient, share: string, owner: SafeMeshClient): Promise<{ head: XorName, key: Uint8Array }> {
  const { envelope } = await reader.getShareEnvelope(xorNameFromHex(share), TYPE_TAG_SHARE_ENVELOPE)
  if (envelope === undefined) throw new Error('no envelope')
  const dir = openEnvelope(envelope, reader.keys as ClientKeys, xorNameFromHex(share), owner.publicKeys?.sign as Uint8Array).dir
  if (dir === undefined) throw new Error('not a folder share')
  return dir
}
