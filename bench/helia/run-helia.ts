/**
 * Helia (+ @helia/unixfs) on the same stack: a provider process adds the
 * file, a fetcher process fetches it by CID from the provider; both fresh,
 * with fresh LevelDB stores, for each run.
 */
import { join } from 'node:path'
import { Child } from '../lib/child.js'
import { MB, type Figures } from '../lib/figures.js'
import { progress } from '../lib/progress.js'
import { mbPerSecond } from '../lib/stats.js'
import type { RunInputs, SystemBench } from '../lib/system.js'
import type { AddResult, FetchResult, FirstByteResult, PeakRssResult, StartResult } from './protocol.js'

const PEER = new URL('./peer.js', import.meta.url)

export interface HeliaBenchOptions {
  /** Where the runs keep their nodes' stores. */
  dir: string
  verbose: boolean
}

export class HeliaBench implements SystemBench {
  readonly name = 'helia'
  readonly retries = 1
  readonly notes = [
    'two fresh processes per run: createHelia with TCP + Noise + Yamux (the same packages as SafeMesh) and identify only, no bootstrap, DHT, relay, AutoNAT, UPnP, WebRTC, WebSockets, HTTP gateways or delegated routing; bitswap',
    'stores: blockstore-level and datastore-level (LevelDB on disk, as SafeMesh nodes)',
    'add: unixfs.addByteStream of the file on disk (default importer: 256 KiB chunks, raw leaves, CIDv1); fetch: unixfs.cat(cid, { providers: [provider] }) after dialling the provider, bytes counted',
    'time to first byte: a 10 KiB file added by the provider, cat by the fetcher before the big file (the clock starts after the dial)'
  ]

  private readonly options: HeliaBenchOptions

  constructor (options: HeliaBenchOptions) {
    this.options = options
  }

  async run (inputs: RunInputs): Promise<Figures> {
    const { run } = inputs
    const provider = new Child(`helia-provider-${run}`, PEER, [], { verbose: this.options.verbose })
    const fetcher = new Child(`helia-fetcher-${run}`, PEER, [], { verbose: this.options.verbose })
    try {
      const started = await provider.call<StartResult>('start', { dir: join(this.options.dir, `run-${run}-provider`), listen: true }, 60_000)
      await fetcher.call<StartResult>('start', { dir: join(this.options.dir, `run-${run}-fetcher`), listen: false }, 60_000)
      const address = started.addresses[0]
      if (address == null) throw new Error('the Helia provider listens on no address')
      progress(`helia run ${run}: add of ${(inputs.size / 2 ** 20).toFixed(0)} MiB`)
      const added = await provider.call<AddResult>('add', { path: inputs.file }, 600_000)
      const small = await provider.call<AddResult>('add', { path: inputs.smallFile }, 60_000)
      progress(`helia run ${run}: add ${mbPerSecond(added.bytes, added.seconds).toFixed(1)} MB/s; time to first byte of 10 KiB, then fetch`)
      const firstByte = await fetcher.call<FirstByteResult>('firstByte', { cid: small.cid, address }, 60_000)
      // Under heavy load a bitswap fetch has been seen to stall for good: bounded, then the run is tried again.
      const fetched = await fetcher.call<FetchResult>('fetch', { cid: added.cid, address }, 60_000 + inputs.size / 500)
      if (fetched.bytes !== inputs.size) throw new Error(`helia fetched ${fetched.bytes} of ${inputs.size} bytes`)
      progress(`helia run ${run}: fetch ${mbPerSecond(fetched.bytes, fetched.seconds).toFixed(1)} MB/s`)
      const providerRss = await provider.call<PeakRssResult>('rss')
      const fetcherRss = await fetcher.call<PeakRssResult>('rss')
      return {
        addMBps: mbPerSecond(added.bytes, added.seconds),
        fetchMBps: mbPerSecond(fetched.bytes, fetched.seconds),
        addSeconds: added.seconds,
        fetchSeconds: fetched.seconds,
        firstByteMs: firstByte.ms,
        providerPeakRssMB: providerRss.bytes / MB,
        fetcherPeakRssMB: fetcherRss.bytes / MB
      }
    } finally {
      await Promise.all([provider.stop(), fetcher.stop()])
    }
  }
}
