/**
 * A Helia peer as a child process of the orchestrator. Commands: `start`
 * (a node with its store under `dir`), `add` (a file from disk), `firstByte`
 * and `fetch` (a CID from a given provider), `rss`.
 */
import { createReadStream } from 'node:fs'
import { unixfs, type UnixFS } from '@helia/unixfs'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { peakRss, serve, stringArg } from '../lib/serve.js'
import { createBenchHelia, type BenchHelia } from './create.js'
import type { AddResult, FetchResult, FirstByteResult, PeakRssResult, StartResult } from './protocol.js'

let helia: BenchHelia | undefined
let fs: UnixFS | undefined
const connected = new Set<string>()

function started (): { helia: BenchHelia, fs: UnixFS } {
  if (helia == null || fs == null) throw new Error('start the node first')
  return { helia, fs }
}

/** Dials the provider before the clock starts: the figures are about moving the data. */
async function connect (node: BenchHelia, address: Multiaddr): Promise<void> {
  if (connected.has(address.toString())) return
  connected.add(address.toString())
  const identified = new Promise<void>((resolve) => {
    node.libp2p.addEventListener('peer:identify', () => { resolve() }, { once: true })
  })
  await node.libp2p.dial(address)
  await Promise.race([identified, new Promise((resolve) => setTimeout(resolve, 5_000))])
}

serve({
  handlers: {
    start: async (args): Promise<StartResult> => {
      helia = await createBenchHelia(stringArg(args, 'dir'), args.listen === true)
      fs = unixfs(helia)
      return { peerId: helia.libp2p.peerId.toString(), addresses: helia.libp2p.getMultiaddrs().map(a => a.toString()) }
    },
    add: async (args): Promise<AddResult> => {
      const { fs } = started()
      let bytes = 0
      const source = createReadStream(stringArg(args, 'path'), { highWaterMark: 2 ** 20 })
      async function * counted (): AsyncGenerator<Uint8Array> {
        for await (const piece of source) {
          const bytesRead = piece as Buffer
          bytes += bytesRead.byteLength
          yield bytesRead
        }
      }
      const t = performance.now()
      const cid = await fs.addByteStream(counted())
      return { cid: cid.toString(), bytes, seconds: (performance.now() - t) / 1000 }
    },
    firstByte: async (args): Promise<FirstByteResult> => {
      const { helia, fs } = started()
      const provider = multiaddr(stringArg(args, 'address'))
      await connect(helia, provider)
      const t = performance.now()
      for await (const piece of fs.cat(CID.parse(stringArg(args, 'cid')), { providers: [provider] })) {
        if (piece.byteLength > 0) return { ms: performance.now() - t }
      }
      throw new Error('the file is empty')
    },
    fetch: async (args): Promise<FetchResult> => {
      const { helia, fs } = started()
      const provider = multiaddr(stringArg(args, 'address'))
      await connect(helia, provider)
      let bytes = 0
      const t = performance.now()
      for await (const piece of fs.cat(CID.parse(stringArg(args, 'cid')), { providers: [provider] })) bytes += piece.byteLength
      return { bytes, seconds: (performance.now() - t) / 1000 }
    },
    rss: async (): Promise<PeakRssResult> => ({ bytes: peakRss() })
  },
  shutdown: async () => { await helia?.stop() }
})
