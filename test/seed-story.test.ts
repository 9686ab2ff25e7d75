/**
 * Seed 000's story, end to end on 12 node processes (G = 8): a patient shares her records folder
 * with two doctors for a limited time, adds a record, takes one doctor off, shortens the share,
 * and an auditor with no account checks afterwards who was given what, and when.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClientOptions, type SafeMeshClient, createAccount, createClient } from '@safemesh/client'
import { TYPE_TAG_SHARE_ENVELOPE, bytesToHex, xorNameFromHex } from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'
import { codeOf } from './support/error-code.js'

const G = 8
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

async function collect (source: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return Buffer.concat(parts).toString('utf8')
}

async function paths (client: SafeMeshClient, folder: string): Promise<string[]> {
  const out: string[] = []
  for await (const entry of client.fs.list(folder)) out.push(entry.path)
  return out.sort()
}

describe(`seed 000: a patient shares her records with doctors (12 nodes, G = ${G})`, () => {
  let testnet: Testnet
  let options: ClientOptions
  const clients: SafeMeshClient[] = []
  const account = async (who: string): Promise<SafeMeshClient> => {
    const client = await createAccount({ secret: `${who} secret ${randomBytes(8).toString('hex')}`, password: `${who} password: amber lantern 41` }, options)
    clients.push(client)
    return client
  }

  beforeAll(async () => {
    testnet = await startTestnet(12, { groupSize: G })
    options = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt }, kdf: KDF }
  })
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {})
    await stopTestnet(testnet)
  })

  it('shares, adds, revokes by rotation, expires by the network, and leaves a log anyone can verify', async () => {
    const [patient, doctor, second] = await Promise.all([account('patient'), account('doctor'), account('second doctor')])
    await patient.fs.write('_documents/records/2017-03-blood.txt', [utf8('haemoglobin 13.9')])
    await patient.fs.write('_documents/records/2017-05-xray.txt', [utf8('no fracture')])
    const doctorId = (await doctor.sharing().id()).id
    const secondId = (await second.sharing().id()).id
    const patientId = (await patient.sharing().id()).id

    // Shared for a day with both doctors; each finds it in the inbox and reads it.
    const shared = await patient.sharing().share('_documents/records', { with: [doctorId, secondId], expires: '24h', note: 'my records' })
    expect(shared).toMatchObject({ kind: 'folder', recipients: [doctorId, secondId] })
    const at = `share:${shared.share}`
    for (const reader of [doctor, second]) {
      const { shares } = await reader.sharing().inbox()
      expect(shares).toEqual([expect.objectContaining({ share: shared.share, from: patientId, kind: 'folder', note: 'my records' })])
      expect(await paths(reader, at)).toEqual([`${at}/2017-03-blood.txt`, `${at}/2017-05-xray.txt`])
      expect(await collect(reader.fs.read(`${at}/2017-03-blood.txt`))).toBe('haemoglobin 13.9')
    }

    // A record the patient adds to her folder, at its usual path, reaches the doctors.
    await patient.fs.write('_documents/records/2017-06-allergy.txt', [utf8('penicillin')])
    expect(await collect(doctor.fs.read(`${at}/2017-06-allergy.txt`))).toBe('penicillin')

    // The second doctor is taken off: the folder moves under a new key he never receives.
    await patient.sharing().revoke(shared.share, secondId)
    await patient.fs.write('_documents/records/2017-09-cardio.txt', [utf8('sinus rhythm')])
    expect(await codeOf(collect(second.fs.read(`${at}/2017-09-cardio.txt`)))).toBe('AccessDenied')
    expect(await collect(doctor.fs.read(`${at}/2017-09-cardio.txt`))).toBe('sinus rhythm')
    // A stranger, named nowhere, asking the Data-Managers for the envelope himself, is refused.
    const stranger = await account('stranger')
    expect(await codeOf(stranger.getShareEnvelope(xorNameFromHex(shared.share), TYPE_TAG_SHARE_ENVELOPE))).toBe('AccessDenied')

    // The patient ends the share in a few seconds; once the Data-Managers' clocks pass it, Expired.
    const ends = Date.now() + 3_000
    await patient.sharing().setExpiry(shared.share, ends)
    // Waiting for a deadline on the nodes' clocks, not for a race to settle.
    await new Promise(resolve => setTimeout(resolve, Math.max(0, ends - Date.now()) + 250))
    expect(await codeOf(collect(doctor.fs.read(`${at}/2017-03-blood.txt`)))).toBe('Expired')
    expect(await collect(patient.fs.read('_documents/records/2017-03-blood.txt'))).toBe('haemoglobin 13.9')

    // An auditor with no account verifies the patient's log and sees every event in order.
    const auditor = await createClient(options)
    clients.push(auditor)
    const report = await auditor.verifyShareLog(patientId)
    expect(report.ok).toBe(true)
    expect(report.problems).toEqual([])
    const events = report.records.map(r => r.event)
    expect(events.map(e => e.kind)).toEqual(['share', 'revoke', 'expiry'])
    expect(events[0]).toMatchObject({ kind: 'share', path: '_documents/records' })
    expect(events[0]?.kind === 'share' ? events[0].recipients.map(bytesToHex) : []).toEqual([doctorId, secondId])
    expect(events[1]?.kind === 'revoke' ? events[1].recipients.map(bytesToHex) : []).toEqual([secondId])
    expect(events[2]).toMatchObject({ kind: 'expiry', expires: ends })
    expect(report.records.map(r => r.index)).toEqual([0, 1, 2])
  })
})
