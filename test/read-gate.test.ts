import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClientOptions, type SafeMeshClient, createAccount } from '@safemesh/client'
import {
  READ_GATE_KEY, TYPE_TAG_SHARE_ENVELOPE, TYPE_TAG_SHARE_LOG, decodeReadGate, shareLogIndexOf, shareLogKey, shareLogSegmentName, encodeReadGate, type MutableData
} from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'
import { codeOf } from './support/error-code.js'

const G = 3
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }
/** How far ahead the share expires: room for the reads before it on a loaded machine. */
const EXPIRES_IN = 8_000

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Resolves once the wall clock (the one every node of this testnet reads) is at `deadline` or past it. */
async function until (deadline: number): Promise<void> {
  while (Date.now() < deadline) await sleep(deadline - Date.now() + 1)
}

describe(`a network-enforced read gate and append-only data on a 5-node testnet (G = ${G})`, () => {
  let testnet: Testnet
  let owner: SafeMeshClient
  let reader: SafeMeshClient
  let stranger: SafeMeshClient

  beforeAll(async () => {
    testnet = await startTestnet(5, { groupSize: G })
    const options: ClientOptions = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt }, kdf: KDF }
    const password = 'read gate password: amber lantern 41'
    const account = async (who: string): Promise<SafeMeshClient> => await createAccount({ secret: `${who} ${randomBytes(8).toString('hex')}`, password }, options)
    owner = await account('owner')
    reader = await account('reader')
    stranger = await account('stranger')
  })
  afterAll(async () => {
    for (const client of [owner, reader, stranger]) await client?.close()
    await stopTestnet(testnet)
  })

  const keyOf = (client: SafeMeshClient): Uint8Array => {
    const keys = client.publicKeys
    if (keys === undefined) throw new Error('no keys')
    return keys.sign
  }

  it('serves the named reader until the expiry (Expired after), never a stranger, always the owner', async () => {
    const expires = Date.now() + EXPIRES_IN
    const gate = encodeReadGate({ readers: [keyOf(reader)], expires })
    const share: MutableData = await owner.createMData({
      tag: TYPE_TAG_SHARE_ENVELOPE,
      entries: [{ key: READ_GATE_KEY, content: gate }, { key: keyOf(reader), content: utf8('sealed to the reader') }]
    })
    const address = { name: share.name, tag: share.tag }

    const got = await reader.getShareEnvelope(share.name, share.tag)
    expect(got).toEqual({ gate, envelope: utf8('sealed to the reader') })
    expect(decodeReadGate(got.gate).expires).toBe(expires)
    expect((await reader.getMDataValue(address, keyOf(reader))).content).toEqual(utf8('sealed to the reader'))
    expect(Date.now(), 'the reads before the expiry took longer than the room given them').toBeLessThan(expires)

    expect(await codeOf(stranger.getShareEnvelope(share.name, share.tag))).toBe('AccessDenied')
    expect(await codeOf(stranger.getMData(address))).toBe('AccessDenied')
    expect(await codeOf(stranger.listMDataEntries(address))).toBe('AccessDenied')

    await until(expires)
    expect(await codeOf(reader.getShareEnvelope(share.name, share.tag))).toBe('Expired')
    expect(await codeOf(reader.getMData(address))).toBe('Expired')
    expect(await codeOf(stranger.getShareEnvelope(share.name, share.tag))).toBe('AccessDenied')
    expect(await owner.getShareEnvelope(share.name, share.tag)).toEqual({ gate })
    expect((await owner.getMData(address)).entries.size).toBe(2)
  })

  const K0 = shareLogKey(5000)
  const K1 = shareLogKey(5001)

  it('keeps tag 1005 append-only: an insert succeeds; an update, a delete and a permission change are InvalidOperation', async () => {
    // A later segment of the owner's log (nodes store tag 1005 only at its owner's segment names).
    const log = await owner.createMData({ name: shareLogSegmentName(keyOf(owner), 5000), tag: TYPE_TAG_SHARE_LOG, entries: [{ key: K0, content: utf8('first record') }] })
    const address = { name: log.name, tag: log.tag }

    await owner.mutateMDataEntries(address, [{ key: K1, action: { kind: 'Insert', content: utf8('second record') } }])
    expect(await codeOf(owner.mutateMDataEntries(address, [{ key: K0, action: { kind: 'Update', content: utf8('rewritten'), version: 1 } }]))).toBe('InvalidOperation')
    expect(await codeOf(owner.mutateMDataEntries(address, [{ key: K0, action: { kind: 'Delete', version: 1 } }]))).toBe('InvalidOperation')
    expect(await codeOf(owner.setMDataUserPermissions(address, { user: { kind: 'Anyone' }, permissions: { Update: true }, version: 1 }))).toBe('InvalidOperation')

    const entries = await owner.listMDataEntries(address)
    expect(entries.map(e => [shareLogIndexOf(e.key), new TextDecoder().decode(e.content), e.version])).toEqual([[5000, 'first record', 0], [5001, 'second record', 0]])
    expect(await owner.getMDataVersion(address)).toBe(0)
  })
})
