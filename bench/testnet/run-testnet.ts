/**
 * Issue-3 figures on this machine: time from `up` to converged for testnets
 * of several sizes, idle RSS per node process, and the request/response round
 * trip to a node process on a reused connection.
 *
 *   npm run bench:testnet [-- --sizes 12,24,48 --requests 1000]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { pino } from 'pino'
import { DEFAULT_NETWORK_PARAMS, encodeRequest, randomXorName } from '@safemesh/protocol'
import { createHost, Messenger, MESSAGING_PROTOCOL } from '@safemesh/net'
import { Testnet } from '@safemesh/testnet'
import { nodeMetric } from '../lib/metrics.js'

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '12,24,48' }, requests: { type: 'string', default: '1000' } } })
const sizes = (values.sizes ?? '').split(',').map(Number)
const requests = Number(values.requests)

function quantile (sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}

const mib = (n: number): string => (n / 2 ** 20).toFixed(1)

for (const size of sizes) {
  const dir = await mkdtemp(join(tmpdir(), 'safemesh-bench-'))
  const testnet = new Testnet({ dir, logLevel: 'warn', detached: false })
  try {
    const started = performance.now()
    await testnet.up(size, { timeoutMs: 600_000 })
    const converged = (performance.now() - started) / 1000
    await new Promise(resolve => setTimeout(resolve, 10_000))
    const rss = await Promise.all(testnet.records().map(async r => await nodeMetric(r.metricsPort, 'process_resident_memory_bytes')))
    rss.sort((a, b) => a - b)
    console.log(`${size} nodes: up → converged in ${converged.toFixed(1)} s; idle RSS per node median ${mib(quantile(rss, 0.5))} MiB, max ${mib(rss.at(-1) as number)} MiB`)

    if (size === sizes[0]) {
      const client = await createHost({ role: 'client' })
      const messenger = new Messenger(client, { protocol: MESSAGING_PROTOCOL, maxMessageSize: DEFAULT_NETWORK_PARAMS.maxMessageSize, log: pino({ level: 'silent' }) })
      await messenger.start()
      const record = testnet.record(0)
      await client.dial(multiaddr(record.address))
      const target = peerIdFromString(record.peerId as string)
      const body = encodeRequest({ type: 'GetIData', name: randomXorName() })
      const ask = async (): Promise<void> => { await messenger.request(target, body).catch(() => {}) }
      for (let i = 0; i < 100; i++) await ask()
      const times: number[] = []
      for (let i = 0; i < requests; i++) {
        const t = performance.now()
        await ask()
        times.push(performance.now() - t)
      }
      times.sort((a, b) => a - b)
      console.log(`round trip to a node process (GetIData → NoSuchData, reused stream, ${requests} sequential): median ${quantile(times, 0.5).toFixed(3)} ms, p99 ${quantile(times, 0.99).toFixed(3)} ms`)
      await messenger.stop()
      await client.stop()
    }
  } finally {
    await testnet.down()
    await rm(dir, { recursive: true, force: true })
  }
}
