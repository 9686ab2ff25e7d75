import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { cryptoReady, generateClientKeys, openSealed, seal, type ClientKeys } from '@safemesh/crypto'
import { TYPE_TAG_PROFILE, bytesEqual, newMutableData, randomXorName } from '@safemesh/protocol'
import { parseExpiry } from '../src/sharing/expiry.js'
import { decodeLink, encodeLink, linkKeys, newLinkSeed } from '../src/sharing/link.js'
import { openEnvelope, openOwnerRecord, sealEnvelope, sealOwnerRecord, type ShareEnvelope } from '../src/sharing/envelope.js'
import { openInboxItem, sealInboxItem, type Offer } from '../src/sharing/inbox.js'
import { PROFILE_ENTRY_KEY, encodeProfile, newProfile, verifyProfile } from '../src/sharing/profile.js'
import { profileName } from '../src/sharing/names.js'
import { splitContainer } from '../src/nfs/file-system.js'

beforeAll(cryptoReady)

const NOW = Date.UTC(2025, 0, 1)

describe('expiry', () => {
  it('reads durations from now and ISO dates', () => {
    expect(parseExpiry('30s', NOW)).toBe(NOW + 30_000)
    expect(parseExpiry('90m', NOW)).toBe(NOW + 90 * 60_000)
    expect(parseExpiry('24h', NOW)).toBe(NOW + 24 * 3_600_000)
    expect(parseExpiry('7d', NOW)).toBe(NOW + 7 * 86_400_000)
    expect(parseExpiry('1h30m', NOW)).toBe(NOW + 90 * 60_000)
    expect(parseExpiry(' 2H ', NOW)).toBe(NOW + 2 * 3_600_000)
    expect(parseExpiry('2025-01-31T18:00:00Z', NOW)).toBe(Date.UTC(2025, 0, 31, 18))
    expect(parseExpiry('2025-02-01', NOW)).toBe(Date.UTC(2025, 1, 1))
  })

  it('refuses what is not a moment to come', () => {
    for (const text of ['', '24', 'h', '24x', 'tomorrow', '-5m', '1.5h', '2024-13-45', '0s', '2024-12-31T00:00:00Z']) {
      expect(() => parseExpiry(text, NOW), text).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))
    }
  })
})

describe('links', () => {
  it('round-trips and gives the same keys for the same seed', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed, share, sharer) => {
      const text = encodeLink({ seed, share, sharer })
      expect(text.startsWith('safemesh-link-1.')).toBe(true)
      expect(text).not.toMatch(/[/+=]/)
      const back = decodeLink(text)
      expect([back.seed, back.share, back.sharer]).toEqual([seed, share, sharer])
    }), { numRuns: 50 })
    const seed = newLinkSeed()
    const a = linkKeys(seed)
    const b = linkKeys(new Uint8Array(seed))
    expect(a.sign.publicKey).toEqual(b.sign.publicKey)
    expect(a.encrypt.publicKey).toEqual(b.encrypt.publicKey)
    expect(linkKeys(newLinkSeed()).sign.publicKey).not.toEqual(a.sign.publicKey)
  })

  it('derives an X25519 pair that opens what is sealed to its public key', () => {
    const keys = linkKeys(newLinkSeed())
    const box = seal(new TextEncoder().encode('for the link'), keys.encrypt.publicKey)
    expect(new TextDecoder().decode(openSealed(box, keys.encrypt))).toBe('for the link')
  })

  it('refuses anything malformed', () => {
    const good = encodeLink({ seed: newLinkSeed(), share: randomXorName(), sharer: randomXorName() })
    for (const text of ['', 'safemesh-link-1.', good.slice(0, -4), good.replace('safemesh-link-1.', 'safemesh-link-2.'), good + 'AA', good.replace(/.$/, '!')]) {
      expect(() => decodeLink(text), text).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))
    }
  })
})

describe('envelopes', () => {
  let sharer: ClientKeys
  let reader: ClientKeys
  let other: ClientKeys
  const share = randomXorName()
  const envelopeFor = (to: Uint8Array): ShareEnvelope => ({
    share, to, kind: 'folder', path: '_documents/records', from: sharer.sign.publicKey, issued: NOW, expires: NOW + 1000, dir: { head: randomXorName(), key: new Uint8Array(32).fill(9) }
  })

  beforeAll(() => {
    sharer = generateClientKeys()
    reader = generateClientKeys()
    other = generateClientKeys()
  })

  it('opens for its reader under the sharer\'s signature', () => {
    const envelope = envelopeFor(reader.sign.publicKey)
    const opened = openEnvelope(sealEnvelope(envelope, sharer, reader.encrypt.publicKey), reader, share, sharer.sign.publicKey)
    expect(opened).toEqual(envelope)
    // One of several claimed senders will do, when it is the signer.
    expect(openEnvelope(sealEnvelope(envelope, sharer, reader.encrypt.publicKey), reader, share, [other.sign.publicKey, sharer.sign.publicKey])).toEqual(envelope)
  })

  it('is refused when forged, misdirected or another share\'s', () => {
    const box = sealEnvelope(envelopeFor(reader.sign.publicKey), sharer, reader.encrypt.publicKey)
    const refusal = expect.objectContaining({ code: 'AccessDenied' })
    expect(() => openEnvelope(box, other, share, sharer.sign.publicKey), 'another reader cannot open it').toThrow(refusal)
    expect(() => openEnvelope(box, reader, share, other.sign.publicKey), 'another sharer was expected').toThrow(refusal)
    expect(() => openEnvelope(box, reader, randomXorName(), sharer.sign.publicKey), 'another share').toThrow(refusal)
    // A forger signs as itself but names the sharer: the signature does not hold.
    const forged = sealEnvelope({ ...envelopeFor(reader.sign.publicKey), from: other.sign.publicKey }, other, reader.encrypt.publicKey)
    expect(() => openEnvelope(forged, reader, share, sharer.sign.publicKey)).toThrow(refusal)
    // The reader's envelope sealed to it but addressed to someone else (moved between entries).
    const moved = sealEnvelope(envelopeFor(other.sign.publicKey), sharer, reader.encrypt.publicKey)
    expect(() => openEnvelope(moved, reader, share, sharer.sign.publicKey)).toThrow(refusal)
    // Bytes flipped anywhere: the box does not open.
    const flipped = new Uint8Array(box)
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] as number) ^ 1
    expect(() => openEnvelope(flipped, reader, share, sharer.sign.publicKey)).toThrow(refusal)
  })

  it('refuses a folder envelope without a directory, and signing in another\'s name', () => {
    const { dir: _, ...bare } = envelopeFor(reader.sign.publicKey)
    expect(() => sealEnvelope(bare, sharer, reader.encrypt.publicKey)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))
    expect(() => sealEnvelope(envelopeFor(reader.sign.publicKey), other, reader.encrypt.publicKey)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))
  })

  it('keeps the owner\'s record for the owner alone', () => {
    const record = { path: '_documents/a.txt', kind: 'file' as const, readers: [{ key: reader.sign.publicKey, encrypt: reader.encrypt.publicKey }, { key: other.sign.publicKey, encrypt: other.encrypt.publicKey, link: true }] }
    const sealed = sealOwnerRecord(record, sharer)
    expect(openOwnerRecord(sealed, sharer)).toEqual(record)
    expect(() => openOwnerRecord(sealed, reader)).toThrow(expect.objectContaining({ code: 'AccessDenied' }))
  })
})

describe('inbox items and profiles', () => {
  let owner: ClientKeys
  let sender: ClientKeys
  const offer: Offer = { share: randomXorName(), kind: 'file', path: '_documents/a.txt', note: 'for you', at: NOW, price: 3 }

  beforeAll(() => {
    owner = generateClientKeys()
    sender = generateClientKeys()
  })

  it('an item opens for the inbox\'s owner with the sender verified', () => {
    const item = sealInboxItem(offer, sender, { sign: owner.sign.publicKey, encrypt: owner.encrypt.publicKey })
    const opened = openInboxItem(item, owner)
    expect(opened?.offer).toEqual(offer)
    expect(bytesEqual(opened?.from ?? new Uint8Array(), sender.sign.publicKey)).toBe(true)
  })

  it('an item moved to another key, or into another inbox, or not sealed to the owner, does not open', () => {
    const item = sealInboxItem(offer, sender, { sign: owner.sign.publicKey, encrypt: owner.encrypt.publicKey })
    expect(openInboxItem({ key: randomXorName(), content: item.content }, owner)).toBeUndefined()
    const third = generateClientKeys()
    // Sealed to the third's key but signed for the owner's inbox: the third cannot use it as its own.
    const elsewhere = sealInboxItem(offer, sender, { sign: owner.sign.publicKey, encrypt: third.encrypt.publicKey })
    expect(openInboxItem(elsewhere, third)).toBeUndefined()
    expect(openInboxItem(item, third)).toBeUndefined()
    expect(openInboxItem({ key: item.key, content: new Uint8Array(80) }, owner)).toBeUndefined()
    expect(openInboxItem({ key: item.key, content: new Uint8Array() }, owner)).toBeUndefined()
  })

  it('a profile verifies only as its account\'s own', () => {
    const md = newProfile(owner)
    expect(verifyProfile(md, owner.sign.publicKey)).toEqual({ sign: owner.sign.publicKey, encrypt: owner.encrypt.publicKey })
    const invalid = expect.objectContaining({ code: 'InvalidRequest' })
    // Someone else's MutableData at the name, claiming the owner's keys with another encryption key.
    const squatter = generateClientKeys()
    const claimed = newMutableData({ name: profileName(owner.sign.publicKey), tag: TYPE_TAG_PROFILE, owners: [squatter.sign.publicKey], entries: [{ key: PROFILE_ENTRY_KEY, content: encodeProfile(owner) }] })
    expect(() => verifyProfile(claimed, owner.sign.publicKey)).toThrow(invalid)
    // The owner's MutableData with a profile signed by another key.
    const swapped = newMutableData({ name: profileName(owner.sign.publicKey), tag: TYPE_TAG_PROFILE, owners: [owner.sign.publicKey], entries: [{ key: PROFILE_ENTRY_KEY, content: encodeProfile({ ...squatter, sign: { ...squatter.sign, publicKey: owner.sign.publicKey } }) }] })
    expect(() => verifyProfile(swapped, owner.sign.publicKey)).toThrow(invalid)
    expect(() => verifyProfile(md, squatter.sign.publicKey), 'looked up under another ID').toThrow(invalid)
  })
})

describe('container of a path: the longest container name it starts with', () => {
  const names = ['_documents', '_documents/records', '_public', 'apps/mail']
  it('resolves shared folders inside containers, and apps/<id>', () => {
    expect(splitContainer('_documents/records/2024/x.txt', names)).toEqual({ container: '_documents/records', rel: '2024/x.txt' })
    expect(splitContainer('_documents/records', names)).toEqual({ container: '_documents/records', rel: '' })
    expect(splitContainer('_documents/recordsX/a', names)).toEqual({ container: '_documents', rel: 'recordsX/a' })
    expect(splitContainer('/_documents//a.txt', names)).toEqual({ container: '_documents', rel: 'a.txt' })
    expect(splitContainer('apps/mail/inbox/1', names)).toEqual({ container: 'apps/mail', rel: 'inbox/1' })
    expect(splitContainer('apps/other/x', names)).toEqual({ container: 'apps/other', rel: 'x' })
    expect(splitContainer('share:ab/x', names)).toEqual({ container: 'share:ab', rel: 'x' })
    expect(() => splitContainer('apps', names)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }))
  })
})
