import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newMutableData, randomXorName, sha3_256 } from '@safemesh/protocol'
import { randomBytes } from 'node:crypto'
import type { Testnet } from '@safemesh/node'
import { startTestnet, stopTestnet } from './support/testnet.js'
import { RawClient } from './support/raw-client.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const id = (): Uint8Array => new Uint8Array(randomBytes(32))

describe('Maid-Managers and Data-Managers over raw messages', () => {
  let testnet: Testnet
  let client: RawClient

  beforeAll(async () => {
    testnet = await startTestnet(10, { groupSize: 8 })
    client = await RawClient.connect(testnet)
  })
  afterAll(async () => {
    await client?.close()
    await stopTestnet(testnet)
  })

  it('opens an account, charges mutations, stores ImmutableData and MutableData', async () => {
    const { account, key } = client
    const packet = newMutableData({ name: randomXorName(), tag: 0, owners: [key], entries: [{ key: text('Login'), content: text('sealed') }] })
    expect(await client.quorum(account, { type: 'PutMData', account, requester: key, messageId: id(), data: packet })).toEqual({ type: 'PutMData' })
    expect(await client.quorum(account, { type: 'GetAccountInfo', account, requester: key })).toEqual({ type: 'GetAccountInfo', mutationsDone: 1, mutationsAvailable: 999 })

    const md = newMutableData({ name: randomXorName(), tag: 20000, owners: [key] })
    await client.quorum(account, { type: 'PutMData', account, requester: key, messageId: id(), data: md })
    await client.quorum(account, { type: 'MutateMDataEntries', account, requester: key, messageId: id(), name: md.name, tag: 20000, actions: [{ key: text('a'), action: { kind: 'Insert', content: text('1') } }] })
    expect(await client.quorum(md.name, { type: 'GetMDataValue', name: md.name, tag: 20000, key: text('a') })).toEqual({ type: 'GetMDataValue', value: { content: text('1'), version: 0 } })
    await expect(client.quorum(account, { type: 'MutateMDataEntries', account, requester: key, messageId: id(), name: md.name, tag: 20000, actions: [{ key: text('a'), action: { kind: 'Insert', content: text('2') } }] }))
      .rejects.toMatchObject({ code: 'InvalidEntryActions' })

    const value = new Uint8Array(randomBytes(100_000))
    const name = sha3_256(value)
    await Promise.all(client.routing.closeGroup(name).map(async peer => await client.send(peer, { type: 'OfferChunk', value })))
    await client.quorum(account, { type: 'PutIData', account, requester: key, messageId: id(), name, size: value.length })
    expect(await client.quorum(name, { type: 'GetIData', name })).toEqual({ type: 'GetIData', value })
    expect(await client.quorum(account, { type: 'GetAccountInfo', account, requester: key })).toMatchObject({ mutationsDone: 4 })
    const holders = (await testnet.status()).filter(v => (v.status?.storedItems ?? 0) > 0)
    console.info(`stored items per node: ${(await testnet.status()).map(v => v.status?.storedItems).join(' ')}`)
    expect(holders.length).toBeGreaterThanOrEqual(8)
  })
})
