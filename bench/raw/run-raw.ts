/**
 * The limit: two raw libp2p processes (bench/raw/peer.ts), fresh for each run.
 * Figures: throughput of 1 MiB messages on one stream (MB/s), and round trips
 * of 32 bytes on one reused stream (p50, p99 in ms); peak RSS of each peer.
 */
import { Child } from '../lib/child.js'
import { MB, type Figures } from '../lib/figures.js'
import { progress } from '../lib/progress.js'
import { mbPerSecond, quantile } from '../lib/stats.js'
import type { RunInputs, SystemBench } from '../lib/system.js'
import { MESSAGE_SIZE, PING_SIZE, WARMUP_ROUND_TRIPS, type ListenResult, type PeakRssResult, type RoundTripResult, type ThroughputResult } from './protocol.js'

const PEER = new URL('./peer.js', import.meta.url)

export interface RawBenchOptions {
  /** Bytes the throughput run sends. */
  bytes: number
  rttCount: number
  verbose: boolean
}

export class RawBench implements SystemBench {
  readonly name = 'raw'
  readonly retries = 1
  readonly notes: string[]
  private readonly options: RawBenchOptions

  constructor (options: RawBenchOptions) {
    this.options = options
    this.notes = [
      'two fresh processes per run, libp2p with TCP + Noise + Yamux only (defaults), one connection on loopback',
      `throughput: ${(options.bytes / 2 ** 20).toFixed(0)} MiB as ${MESSAGE_SIZE / 2 ** 20} MiB messages on one stream, timed until the receiver's byte count comes back`,
      `round trip: ${options.rttCount} sequential ${PING_SIZE}-byte messages echoed on one reused stream, after ${WARMUP_ROUND_TRIPS} unmeasured ones`
    ]
  }

  async run (inputs: RunInputs): Promise<Figures> {
    const { run } = inputs
    const server = new Child(`raw-server-${run}`, PEER, [], { verbose: this.options.verbose })
    const client = new Child(`raw-client-${run}`, PEER, [], { verbose: this.options.verbose })
    try {
      const { addresses } = await server.call<ListenResult>('listen', {}, 30_000)
      const address = addresses[0]
      if (address == null) throw new Error('the raw server listens on no address')
      progress(`raw run ${run}: throughput, ${(this.options.bytes / 2 ** 20).toFixed(0)} MiB as 1 MiB messages on one stream`)
      const throughput = await client.call<ThroughputResult>('throughput', { address, bytes: this.options.bytes }, 300_000)
      progress(`raw run ${run}: ${mbPerSecond(throughput.bytes, throughput.seconds).toFixed(1)} MB/s; ${this.options.rttCount} round trips on one stream`)
      const { latencies } = await client.call<RoundTripResult>('roundTrip', { address, count: this.options.rttCount }, 300_000)
      const serverRss = await server.call<PeakRssResult>('rss')
      const clientRss = await client.call<PeakRssResult>('rss')
      return {
        throughputMBps: mbPerSecond(throughput.bytes, throughput.seconds),
        rttP50Ms: quantile(latencies, 0.5),
        rttP99Ms: quantile(latencies, 0.99),
        serverPeakRssMB: serverRss.bytes / MB,
        clientPeakRssMB: clientRss.bytes / MB
      }
    } finally {
      await Promise.all([server.stop(), client.stop()])
    }
  }
}
