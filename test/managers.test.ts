import { describe, expect, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import {
  ANYONE, bytesToHex, encode, encodeReply, keyUser, newMutableData, randomXorName, sha3_256
} from '@safemesh/protocol'
import { eventually } from './support/testnet.js'
import { useNetwork } from './support/fixture.js'
import { mutate, openAccount, text } from './support/accounts.js'
import { nodeMetric } from '../bench/lib/metrics.js'

const G = 8
const TAG = 20_000

describe(`Maid-Managers and Data-Managers on a 12-node testnet (G = ${G})`, () => {
  const net = useNetwork(12, { groupSize: G })
  const connect = net.connect
  const putMData = net.putMData
  const read = net.read

  it('answers malformed requests with InvalidRequest, on every node', async () => {
    const garbage = [encode({ type: 'NoSuchRequest' }), encode([1, 2, 3]), new Uint8Array([0xff, 0x00, 0x13]), encode({ type: 'GetIData', name: new Uint8Array(31) })]
    for (const record of net.testnet.records()) {
      for (const body of garbage) {
        await expect(net.owner.messenger.request(peerIdFromString(record.peerId as string), body)).rejects.toMatchObject({ code: 'InvalidRequest' })
      }
    }
  })

  it('a 1 MiB PutMData crosses the wire about 2·G times (client → Maid-Managers → each Data-Manager once), not G²', async () => {
    const received = async (): Promise<number> => {
      let sum = 0
      for (let i = 0; i < net.testnet.size; i++) sum += await nodeMetric(net.testnet.record(i).metricsPort, 'libp2p_data_transfer_bytes_total', '{protocol="global received"}')
      return sum
    }
    const content = new Uint8Array(1024 * 1024 - 4096).fill(7)
    const before = await received()
    await putMData(newMutableData({ name: randomXorName(), tag: TAG, owners: [net.owner.key], entries: [{ key: text('big'), content }] }))
    const bytes = await received() - before
    console.info(`one PutMData of ${(content.length / 2 ** 20).toFixed(2)} MiB: the nodes received ${(bytes / 2 ** 20).toFixed(1)} MiB in all (G = ${G})`)
    // G copies to the Maid-Managers and G fetched by the Data-Managers, some of them local; G × G Forwards were 64 MiB more.
    expect(bytes).toBeLessThan((2 * G + 2) * 2 ** 20)
    expect(bytes).toBeGreaterThan(G * 2 ** 20)
  })

  it('refuses 1,001 entries and more than 1 MiB, and the data stays as it was', async () => {
    const entries = Array.from({ length: 1000 }, (_, i) => ({ key: text(`k${i}`), content: text('v') }))
    await expect(putMData(newMutableData({ name: randomXorName(), tag: TAG, owners: [net.owner.key], entries: [...entries, { key: text('one more'), content: text('v') }] })))
      .rejects.toMatchObject({ code: 'TooManyEntries' })
    const full = newMutableData({ name: randomXorName(), tag: TAG, owners: [net.owner.key], entries })
    await putMData(full)
    const before = encodeReply(await read(full))
    await expect(mutate(net.owner, { type: 'MutateMDataEntries', name: full.name, tag: TAG, actions: [{ key: text('k1000'), action: { kind: 'Insert', content: text('v') } }] }))
      .rejects.toMatchObject({ code: 'TooManyEntries' })
    expect(encodeReply(await read(full))).toEqual(before)

    const small = newMutableData({ name: randomXorName(), tag: TAG, owners: [net.owner.key] })
    await putMData(small)
    await expect(mutate(net.owner, { type: 'MutateMDataEntries', name: small.name, tag: TAG, actions: [{ key: text('big'), action: { kind: 'Insert', content: new Uint8Array(2 ** 20) } }] }))
      .rejects.toMatchObject({ code: 'DataTooLarge' })
    expect(await read(small)).toEqual({ type: 'GetMData', data: small })
  })

  it('enforces every permission rule of SPEC §2 through the network, and revocation at once', async () => {
    const app = await connect()
    const stranger = await connect()
    await openAccount(stranger)
    const keys = await net.owner.quorum(net.owner.account, { type: 'ListAuthKeysAndVersion', account: net.owner.account, requester: net.owner.key })
    const version = keys.type === 'ListAuthKeysAndVersion' ? keys.version : -1
    await mutate(net.owner, { type: 'InsAuthKey', key: app.key, version: version + 1 })

    // An app allowed only Insert inserts, but cannot update or delete.
    const md = newMutableData({ name: randomXorName(), tag: TAG, owners: [net.owner.key], permissions: [{ user: keyUser(app.key), permissions: { Insert: true } }] })
    await putMData(md)
    await mutate(app, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [{ key: text('a'), action: { kind: 'Insert', content: text('1') } }] }, net.owner.account)
    await expect(mutate(app, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [{ key: text('a'), action: { kind: 'Update', content: text('2'), version: 1 } }] }, net.owner.account)).rejects.toMatchObject({ code: 'AccessDenied' })
    await expect(mutate(app, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [{ key: text('a'), action: { kind: 'Delete', version: 1 } }] }, net.owner.account)).rejects.toMatchObject({ code: 'AccessDenied' })

    // Anyone-insert lets a stranger's account insert; a key's deny beats Anyone's allow.
    const open = newMutableData({ name: randomXorName(), tag: TAG, owners: [net.owner.key], permissions: [{ user: ANYONE, permissions: { Insert: true } }] })
    await putMData(open)
    await mutate(stranger, { type: 'MutateMDataEntries', name: open.name, tag: TAG, actions: [{ key: text('s'), action: { kind: 'Insert', content: text('hi') } }] })
    await mutate(net.owner, { type: 'SetMDataUserPermissions', name: open.name, tag: TAG, user: keyUser(stranger.key), permissions: { Insert: false }, version: 1 })
    await expect(mutate(stranger, { type: 'MutateMDataEntries', name: open.name, tag: TAG, actions: [{ key: text('t'), action: { kind: 'Insert', content: text('no') } }] })).rejects.toMatchObject({ code: 'AccessDenied' })

    // An app cannot change the owner; the owner can.
    await expect(mutate(app, { type: 'ChangeMDataOwner', name: md.name, tag: TAG, newOwners: [app.key], version: 1 }, net.owner.account)).rejects.toMatchObject({ code: 'AccessDenied' })
    await mutate(net.owner, { type: 'ChangeMDataOwner', name: md.name, tag: TAG, newOwners: [stranger.key], version: 1 })
    const changed = await read(md)
    expect(changed.type === 'GetMData' && bytesToHex(changed.data.owners[0] as Uint8Array)).toBe(bytesToHex(stranger.key))

    // Revocation: the app's very next mutation is refused.
    await mutate(net.owner, { type: 'DelAuthKey', key: app.key, version: version + 2 })
    await expect(mutate(app, { type: 'MutateMDataEntries', name: open.name, tag: TAG, actions: [{ key: text('r'), action: { kind: 'Insert', content: text('x') } }] }, net.owner.account)).rejects.toMatchObject({ code: 'AccessDenied' })
  })

  it('settles 20 concurrent updates of one key to the same version: exactly one wins, and every replica is identical', async () => {
    const md = newMutableData({ name: randomXorName(), tag: TAG, owners: [net.owner.key], entries: [{ key: text('k'), content: text('start') }], permissions: [{ user: ANYONE, permissions: { Update: true } }] })
    await putMData(md)
    // Four at a time: twenty hosts joining at once in this one process would keep its event loop busy.
    const racers = []
    for (let i = 0; i < 20; i += 4) racers.push(...await Promise.all(Array.from({ length: 4 }, async () => { const racer = await connect(); await openAccount(racer); return racer })))
    const results = await Promise.allSettled(racers.map(async (racer, i) =>
      await mutate(racer, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [{ key: text('k'), action: { kind: 'Update', content: text(`racer ${i}`), version: 1 } }] })))
    const won = results.filter(r => r.status === 'fulfilled')
    const codes = results.flatMap(r => r.status === 'rejected' ? [(r.reason as { code: string }).code] : [])
    console.info(`20 racers: ${won.length} won; the others: ${JSON.stringify(Object.fromEntries(codes.map(c => [c, codes.filter(x => x === c).length])))}`)
    expect(won).toHaveLength(1)
    expect(codes.every(c => c === 'InvalidEntryActions')).toBe(true)
    const group = net.owner.routing.closeGroup(md.name)
    expect(group).toHaveLength(G)
    await eventually(async () => {
      const replicas = await Promise.all(group.map(async peer => bytesToHex(sha3_256(encodeReply(await net.owner.send(peer, { type: 'GetMData', name: md.name, tag: TAG }))))))
      return new Set(replicas).size === 1
    }, 10_000)
  })
})
