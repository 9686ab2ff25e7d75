import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ClientKeys } from '@safemesh/crypto'
import { TYPE_TAG_SHARE_ENVELOPE, accountNameOf, bytesEqual, bytesToHex, checkRead, shareEnvelopeOf, xorNameFromHex, type XorName } from '@safemesh/protocol'
import { Directory, FileSystem, ShareMounts, linkKeys, openEnvelope, type ContainerSource } from '../src/internals.js'
import { decodeLink, type FsEntry, type SafeMeshClient, createClient } from '../src/index.js'
import { FakeNetwork } from './support/fake-network.js'
import { accountClient, clientOptions, collect, expectCode, utf8 } from './support/helpers.js'

/**
 * Sharing through the in-memory network. Its nodes know nothing of read gates, so each reader
 * reads through a stand-in for `GetShareEnvelope` that applies protocol's own `checkRead` with the
 * reader's key (and counts a payment confirmed when the sharer's account lists it): this tests the
 * client's side; test/sharing.test.ts runs the same on real nodes.
 */
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

async function all<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

interface Reader {
  client: SafeMeshClient
  keys: ClientKeys
  fs: FileSystem
}

/** `client` reading shares through the stand-in; `sharer` confirms payments (its credits). */
function readerOf (client: SafeMeshClient, keys: ClientKeys, sharer: () => SafeMeshClient): Reader {
  const getShareEnvelope = async (name: XorName, tag: number, payment?: Uint8Array): Promise<{ gate: Uint8Array, envelope?: Uint8Array }> => {
    const md = await client.getMData({ name, tag })
    let paid = false
    if (payment !== undefined) {
      const credits = await sharer().listCredits()
      paid = credits.some(c => bytesEqual(c.messageId, payment) && bytesEqual(c.payer, accountNameOf(keys.sign.publicKey)) && c.memo !== undefined && bytesEqual(c.memo, name))
    }
    checkRead(md, keys.sign.publicKey, Date.now(), paid)
    return shareEnvelopeOf(md, keys.sign.publicKey)
  }
  const requests = new Proxy(client, {
    get: (target, property) => {
      if (property === 'getShareEnvelope') return getShareEnvelope
      const value: unknown = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
  const mounts = new ShareMounts(requests, keys)
  const source: ContainerSource = { mayMove: false, containers: async () => [], mount: async (n, o) => await mounts.mount(n, o), mounts: async (o) => await mounts.list(o) }
  return { client, keys, fs: new FileSystem(requests, keys.sign.publicKey, source) }
}

describe('sharing through the in-memory network (entry limit 10)', () => {
  const network = new FakeNetwork({ maxMutableDataEntries: 10 })
  let patient: SafeMeshClient
  let doctor: Reader
  let second: Reader
  let stranger: Reader
  let records: string

  beforeAll(async () => {
    patient = (await accountClient(network)).client
    const d = await accountClient(network)
    const s = await accountClient(network)
    const x = await accountClient(network)
    doctor = readerOf(d.client, d.keys, () => patient)
    second = readerOf(s.client, s.keys, () => patient)
    stranger = readerOf(x.client, x.keys, () => patient)
  })

  it('account creation publishes the profile, the inbox and the share log: 13 mutations', async () => {
    expect((await patient.getAccountInfo()).mutationsDone).toBe(13)
    const id = await doctor.client.sharing().id()
    expect(id.id).toBe(bytesToHex(doctor.keys.sign.publicKey))
    expect(id.account).toBe(bytesToHex(accountNameOf(doctor.keys.sign.publicKey)))
    expect(Object.keys(id).sort()).toEqual(['account', 'encrypt', 'id', 'inbox', 'profile', 'shareLog'])
    expect((await doctor.client.getAccountInfo()).mutationsDone, 'id makes nothing twice').toBe(13)
  })

  it('a folder shared becomes a container of its own; the recipient lists and reads it; later writes reach it', async () => {
    for (let i = 1; i <= 12; i++) await patient.fs.write(`_documents/records/r${i}.txt`, [utf8(`record ${i}`)])
    await patient.fs.write('_documents/records/scans/x-ray.txt', [utf8('an x-ray')])
    await patient.fs.write('_documents/diary.txt', [utf8('private')])
    const ids = [bytesToHex(doctor.keys.sign.publicKey), bytesToHex(second.keys.sign.publicKey)]
    const result = await patient.sharing().share('_documents/records', { with: ids, expires: '1h', note: 'my records' })
    records = result.share
    expect(result).toMatchObject({ path: '_documents/records', kind: 'folder', recipients: ids, updated: false })
    expect(result.expires).toBeGreaterThan(Date.now())

    // The owner: the folder is a container, still under _documents as a folder, its files where they were.
    expect((await patient.fs.containers()).map(c => c.name)).toContain('_documents/records')
    expect((await all(patient.fs.list('_documents'))).map(e => `${e.kind}:${e.path}`)).toEqual(['file:_documents/diary.txt', 'folder:_documents/records'])
    expect(text(await collect(patient.fs.read('_documents/records/r3.txt')))).toBe('record 3')
    expect((await all(patient.fs.list('_documents/records', { recursive: true }))).filter(e => e.kind === 'file')).toHaveLength(13)

    const inbox = await doctor.client.sharing().inbox()
    expect(inbox.skipped).toBe(0)
    expect(inbox.shares).toEqual([expect.objectContaining({ share: records, from: bytesToHex(patient.keys?.sign.publicKey as Uint8Array), kind: 'folder', path: '_documents/records', note: 'my records', expires: result.expires })])
    const listed = await all(doctor.fs.list(`share:${records}`))
    expect(listed.map(e => e.path)).toContain(`share:${records}/r1.txt`)
    expect(listed.map(e => e.path)).toContain(`share:${records}/scans`)
    expect(text(await collect(doctor.fs.read(`share:${records}/scans/x-ray.txt`)))).toBe('an x-ray')
    expect((await doctor.fs.containers()).map(c => c.name)).toEqual([`share:${records}`])

    await patient.fs.write('_documents/records/new.txt', [utf8('written after sharing')])
    expect(text(await collect(doctor.fs.read(`share:${records}/new.txt`)))).toBe('written after sharing')
    await expectCode(doctor.fs.write(`share:${records}/mine.txt`, [utf8('no')]), 'AccessDenied')
    await expectCode(all(stranger.fs.list(`share:${records}`)), 'NoSuchEntry') // not in its inbox
  })

  it('revoking one recipient rotates the folder: it cannot read what is written after, the other can', async () => {
    const before = await second.fs.list(`share:${records}`).next()
    expect(before.done).toBe(false)
    const held = await heldKey(second, records, patient)
    const revoked = await patient.sharing().revoke(records, bytesToHex(second.keys.sign.publicKey))
    expect(revoked).toMatchObject({ share: records, rotated: true, revoked: bytesToHex(second.keys.sign.publicKey), readers: [bytesToHex(doctor.keys.sign.publicKey)] })
    await patient.fs.write('_documents/records/after.txt', [utf8('after the revocation')])
    expect(text(await collect(doctor.fs.read(`share:${records}/after.txt`)))).toBe('after the revocation')
    expect(text(await collect(doctor.fs.read(`share:${records}/r12.txt`)))).toBe('record 12')
    await expectCode(all(second.fs.list(`share:${records}`)), 'AccessDenied')
    // The key it held opens only the old, frozen directory, which lacks what came after.
    const old = new Directory(second.client, held, second.keys.sign.publicKey)
    expect((await old.lookup('after.txt'))?.record).toBeUndefined()
    const head = (await heldKey(doctor, records, patient)).head
    await expectCode(new Directory(second.client, { head, key: held.key }, second.keys.sign.publicKey).readHead(), 'AccessDenied')
    await expectCode(patient.sharing().revoke(records, bytesToHex(second.keys.sign.publicKey)), 'NoSuchEntry')
  })

  it('shares a file (a version of it), gives the latest again to the same people, and refuses what cannot be shared', async () => {
    const doctorId = bytesToHex(doctor.keys.sign.publicKey)
    const first = await patient.sharing().share('_documents/diary.txt', { with: [doctorId] })
    expect(first).toMatchObject({ kind: 'file', updated: false })
    expect(text(await collect(doctor.fs.read(`share:${first.share}/diary.txt`)))).toBe('private')
    await patient.fs.write('_documents/diary.txt', [utf8('private, edited')])
    expect(text(await collect(doctor.fs.read(`share:${first.share}/diary.txt`))), 'a file share is of a version').toBe('private')
    const again = await patient.sharing().share('_documents/diary.txt', { with: [doctorId] })
    expect(again).toMatchObject({ share: first.share, updated: true })
    expect(text(await collect(doctor.fs.read(`share:${first.share}/diary.txt`)))).toBe('private, edited')
    await expectCode(doctor.fs.write(`share:${first.share}/diary.txt`, [utf8('no')]), 'AccessDenied')

    await expectCode(patient.sharing().share('_documents', { with: [doctorId] }), 'InvalidOperation')
    await expectCode(patient.sharing().share('_documents/records/scans', { with: [doctorId] }), 'InvalidOperation')
    await patient.fs.write('_public/page.html', [utf8('<p>hi</p>')])
    await expectCode(patient.sharing().share('_public/page.html', { with: [doctorId] }), 'InvalidOperation')
    await expectCode(patient.sharing().share('_documents/nothing-here', { with: [doctorId] }), 'NoSuchEntry')
    await expectCode(patient.sharing().share('_documents/diary.txt', { with: [bytesToHex(patient.keys?.sign.publicKey as Uint8Array)] }), 'InvalidRequest')
    await expectCode(patient.sharing().share('_documents/diary.txt', { with: ['00'.repeat(32)] }), 'NoSuchData') // no such account's profile
    await expectCode(patient.sharing().share('_documents/diary.txt', { link: true, price: 2 }), 'InvalidRequest')
  })

  it('expiry: the gate\'s expiry is what a reader meets; it can be moved and removed', async () => {
    await patient.sharing().setExpiry(records, Date.now() + 150)
    await sleep(300)
    await expectCode(all(doctor.fs.list(`share:${records}`)), 'Expired')
    const never = await patient.sharing().setExpiry(records)
    expect(never.expires).toBeUndefined()
    expect((await all(doctor.fs.list(`share:${records}`))).length).toBeGreaterThan(0)
  })

  it('a link reads with the link\'s key only, and not once cancelled', async () => {
    const { link, share } = await patient.sharing().share('_documents/records', { link: true, expires: '10m' })
    if (link === undefined) throw new Error('no link')
    const keys = linkKeys(decodeLink(link).seed)
    const holder = readerOf(await createClient({ ...clientOptions(network), keys }), keys, () => patient)
    try {
      const entries: FsEntry[] = await all(holder.fs.list(`link:${link}`))
      expect(entries.map(e => e.path)).toContain(`link:${link}/after.txt`)
      expect(text(await collect(holder.fs.read(`link:${link}/r1.txt`)))).toBe('record 1')
      // Someone else presenting the link string runs as another key: refused.
      await expectCode(all(doctor.fs.list(`link:${link}`)), 'AccessDenied')
      const cancelled = await patient.sharing().cancelLink(share, link)
      expect(cancelled.link).toBe(bytesToHex(keys.sign.publicKey))
      await expectCode(all(holder.fs.list(`link:${link}`)), 'AccessDenied')
    } finally {
      await holder.client.close()
    }
  })

  it('a paid share: the reader pays the sharer once per window, and the sharer\'s log records it', async () => {
    const doctorId = bytesToHex(doctor.keys.sign.publicKey)
    await patient.fs.write('_documents/invoice.txt', [utf8('pay to read')])
    const { share } = await patient.sharing().share('_documents/invoice.txt', { with: [doctorId], price: 3 })
    const before = await doctor.client.getAccountInfo()
    expect(text(await collect(doctor.fs.read(`share:${share}/invoice.txt`)))).toBe('pay to read')
    expect(text(await collect(doctor.fs.read(`share:${share}/invoice.txt`))), 'read again in the window: no second payment').toBe('pay to read')
    const after = await doctor.client.getAccountInfo()
    expect(after.creditsSent - before.creditsSent).toBe(3)
    expect(await patient.sharing().syncPayments()).toBe(1)
    expect(await patient.sharing().syncPayments(), 'logged once').toBe(0)
    const events = (await patient.shareLog().read()).map(r => r.event)
    expect(events.at(-1)).toMatchObject({ kind: 'payment', share: xorNameFromHex(share), amount: 3, payer: accountNameOf(doctor.keys.sign.publicKey) })
  })

  it('the share log holds every share, revocation, expiry change and link, in order', async () => {
    const events = (await patient.shareLog().read()).map(r => r.event.kind)
    expect(events).toEqual(['share', 'revoke', 'share', 'share', 'expiry', 'expiry', 'share', 'link', 'link-cancel', 'share', 'payment'])
  })
})

/** The directory a reader's envelope of `share` names (read the way its client does). */
async function heldKey (reader: Reader, share: string, sharer: SafeMeshClient): Promise<{ head: XorName, key: Uint8Array }> {
  const md = await reader.client.getMData({ name: xorNameFromHex(share), tag: TYPE_TAG_SHARE_ENVELOPE })
  const { envelope } = shareEnvelopeOf(md, reader.keys.sign.publicKey)
  if (envelope === undefined) throw new Error('no envelope')
  const dir = openEnvelope(envelope, reader.keys, xorNameFromHex(share), sharer.keys?.sign.publicKey as Uint8Array).dir
  if (dir === undefined) throw new Error('not a folder')
  return dir
}
