import { afterAll, beforeAll } from 'vitest'
import type { MutableData, WireReply } from '@safemesh/protocol'
import type { Testnet, TestnetOptions } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './testnet.js'
import { RawClient } from './raw-client.js'
import { mutate, openAccount } from './accounts.js'

export interface NetworkFixture {
  readonly testnet: Testnet
  /** A client with an open account, connected before the tests run. */
  readonly owner: RawClient
  connect: (key?: Parameters<typeof RawClient.connect>[1]) => Promise<RawClient>
  putMData: (data: MutableData, by?: RawClient) => Promise<void>
  read: (md: MutableData) => Promise<WireReply>
}

/**
 * A testnet of `nodes` processes and an owner account for one test file,
 * started before its tests and stopped (every client and node) after them.
 */
export function useNetwork (nodes: number, options: Partial<TestnetOptions> = {}): NetworkFixture {
  let testnet: Testnet | undefined
  let owner: RawClient | undefined
  const clients: RawClient[] = []
  const fixture: NetworkFixture = {
    get testnet () { return testnet as Testnet },
    get owner () { return owner as RawClient },
    connect: async (key) => {
      const client = await RawClient.connect(testnet as Testnet, key)
      clients.push(client)
      return client
    },
    putMData: async (data, by) => { await mutate(by ?? fixture.owner, { type: 'PutMData', data }) },
    read: async (md) => await fixture.owner.quorum(md.name, { type: 'GetMData', name: md.name, tag: md.tag })
  }
  beforeAll(async () => {
    testnet = await startTestnet(nodes, options)
    owner = await fixture.connect()
    await openAccount(owner)
  })
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {})
    await stopTestnet(testnet)
  })
  return fixture
}
