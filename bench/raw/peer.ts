/**
 * A raw libp2p peer (TCP + Noise + Yamux, nothing else), as a child process of
 * the orchestrator. Commands: `listen` (serve the throughput and echo
 * protocols), `throughput` and `roundTrip` (against a listening peer), `rss`.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { numberArg, peakRss, serve, stringArg } from '../lib/serve.js'
import { stackOptions } from '../lib/stack.js'
import { ECHO_PROTOCOL, MESSAGE_SIZE, PING_SIZE, THROUGHPUT_PROTOCOL, WARMUP_ROUND_TRIPS, type ListenResult, type PeakRssResult, type RoundTripResult, type ThroughputResult } from './protocol.js'
import { serveEcho, serveThroughput } from './serve-protocols.js'
import { measureRoundTrips, sendMessages } from './measure.js'

let node: Libp2p | undefined

async function start (listen: boolean): Promise<Libp2p> {
  node ??= await createLibp2p(stackOptions(listen))
  return node
}

serve({
  handlers: {
    listen: async (): Promise<ListenResult> => {
      const libp2p = await start(true)
      await libp2p.handle(THROUGHPUT_PROTOCOL, (stream) => { serveThroughput(stream) })
      await libp2p.handle(ECHO_PROTOCOL, (stream) => { serveEcho(stream) })
      return { addresses: libp2p.getMultiaddrs().map(a => a.toString()) }
    },
    throughput: async (args): Promise<ThroughputResult> => {
      const libp2p = await start(false)
      const address = multiaddr(stringArg(args, 'address'))
      await libp2p.dial(address)
      const stream = await libp2p.dialProtocol(address, THROUGHPUT_PROTOCOL)
      return await sendMessages(stream, numberArg(args, 'bytes'), MESSAGE_SIZE)
    },
    roundTrip: async (args): Promise<RoundTripResult> => {
      const libp2p = await start(false)
      const stream = await libp2p.dialProtocol(multiaddr(stringArg(args, 'address')), ECHO_PROTOCOL)
      const latencies = await measureRoundTrips(stream, WARMUP_ROUND_TRIPS + numberArg(args, 'count'), PING_SIZE)
      await stream.close()
      return { latencies: latencies.slice(WARMUP_ROUND_TRIPS) }
    },
    rss: async (): Promise<PeakRssResult> => ({ bytes: peakRss() })
  },
  shutdown: async () => { await node?.stop() }
})
