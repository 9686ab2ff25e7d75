/**
 * A Helia node on the bench's libp2p stack (TCP + Noise + Yamux, loopback,
 * port 0) with identify (bitswap learns its peers' protocols from it) and
 * bitswap; no bootstrap, DHT, relay, AutoNAT, UPnP, WebRTC or WebSockets, and
 * no HTTP gateways or delegated routing. Blocks and the datastore are LevelDB
 * on disk (blockstore-level, datastore-level), as SafeMesh nodes store theirs.
 */
import { join } from 'node:path'
import { identify } from '@libp2p/identify'
import { LevelBlockstore } from 'blockstore-level'
import { LevelDatastore } from 'datastore-level'
import { createHelia } from 'helia'
import { stackOptions } from '../lib/stack.js'

export type BenchHelia = Awaited<ReturnType<typeof createBenchHelia>>

export async function createBenchHelia (dir: string, listen: boolean) {
  const blockstore = new LevelBlockstore(join(dir, 'blocks'))
  const datastore = new LevelDatastore(join(dir, 'data'))
  await blockstore.open()
  await datastore.open()
  const helia = createHelia({
    blockstore,
    datastore,
    libp2p: {
      ...stackOptions(listen),
      services: { identify: identify() }
    },
    http: { delegatedRouters: [], recursiveGateways: [] }
  })
  await helia.start()
  return helia
}
