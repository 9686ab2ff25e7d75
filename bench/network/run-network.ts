/**
 * Issue-4 figures on this machine, against a multi-process testnet:
 * 64 MiB upload and download (MB/s, wire bytes per stored byte), MutableData
 * mutation latency p50/p99 and mutations per second with 1 and 32 concurrent
 * clients, and the peak RSS of a node and of the client.
 *
 *   npm run bench:network [-- --nodes 16 --size 64 --mutations 200 --clients 32]
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ANYONE } from '@safemesh/protocol'
import { Testnet } from '@safemesh/testnet'
import { type SafeMeshClient, type ClientOptions, createAccount } from '@safemesh/client'
import { nodeMetric } from '../lib/metrics.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '16' },
    size: { type: 'string', default: '64' },
    mutations: { type: 'string', default: '200' },
    clients: { type: 'string', default: '32' }
  }
})
const NODES = Number(values.nodes)
const SIZE = Number(values.size) * 2 ** 20
const MUTATIONS = Number(values.mutations)
const CLIENTS = Number(values.clients)
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const mib = (n: number): string => (n / 2 ** 20).toFixed(1)

function quantile (values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}

async function received (testnet: Testnet): Promise<number> {
  let total = 0
  for (const record of testnet.records()) {
    total += await nodeMetric(record.metricsPort, 'libp2p_data_transfer_bytes_total', '{protocol="global received"}')
  }
  return total
}

async function peakNodeRss (testnet: Testnet): Promise<number> {
  let peak = 0
  for (const record of testnet.records()) {
    const status = await readFile(`/proc/${record.pid}/status`, 'utf8')
    const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
    peak = Math.max(peak, kib * 1024)
  }
  return peak
}

async function * pieces (data: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += 256 * 1024) yield data.subarray(offset, offset + 256 * 1024)
}

const dir = await mkdtemp(join(tmpdir(), 'safemesh-bench-'))
const testnet = new Testnet({ dir, logLevel: 'warn', groupSize: 8, detached: false })
const clients: SafeMeshClient[] = []
try {
  await testnet.up(NODES, { timeoutMs: 300_000 })
  const options: ClientOptions = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: 8 }, kdf: KDF }
  const owner = await createAccount({ secret: `bench ${randomBytes(8).toString('hex')}`, password: 'bench password: lantern owl 64' }, options)
  clients.push(owner)
  console.log(`${NODES}-node testnet, G = 8; file of ${mib(SIZE)} MiB`)

  const data = new Uint8Array(randomBytes(SIZE))
  const before = await received(testnet)
  let started = performance.now()
  const put = await owner.putFile(pieces(data), { size: SIZE })
  const upSeconds = (performance.now() - started) / 1000
  const wire = (await received(testnet)) - before
  started = performance.now()
  let got = 0
  for await (const part of owner.getFile(put.address)) got += part.byteLength
  const downSeconds = (performance.now() - started) / 1000
  if (got !== SIZE) throw new Error(`downloaded ${got} of ${SIZE} bytes`)
  console.log(`upload   ${(SIZE / 1e6 / upSeconds).toFixed(1)} MB/s (${upSeconds.toFixed(1)} s); wire bytes per stored byte ${(wire / SIZE).toFixed(2)} (bytes received by all nodes / file size)`)
  console.log(`download ${(SIZE / 1e6 / downSeconds).toFixed(1)} MB/s (${downSeconds.toFixed(1)} s)`)
  console.log(`client peak RSS after the file: ${mib(process.resourceUsage().maxRSS * 1024)} MiB`)

  const md = await owner.createMData({ tag: 20_000, permissions: [{ user: ANYONE, permissions: { Insert: true } }] })
  const run = async (client: SafeMeshClient, prefix: string, count: number, latencies: number[]): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const t = performance.now()
      await client.mutateMDataEntries(md, [{ key: text(`${prefix}-${i}`), action: { kind: 'Insert', content: text('v') } }])
      latencies.push(performance.now() - t)
    }
  }
  const one: number[] = []
  started = performance.now()
  await run(owner, 'solo', MUTATIONS, one)
  const oneSeconds = (performance.now() - started) / 1000
  console.log(`1 client:  mutation p50 ${quantile(one, 0.5).toFixed(1)} ms, p99 ${quantile(one, 0.99).toFixed(1)} ms, ${(MUTATIONS / oneSeconds).toFixed(1)} mutations/s`)

  // Joined one by one: 32 simultaneous joins on two cores time out before they converge.
  const crowd: SafeMeshClient[] = []
  for (let i = 0; i < CLIENTS; i++) {
    crowd.push(await createAccount({ secret: `bench ${i} ${randomBytes(8).toString('hex')}`, password: 'bench password: lantern owl 64' }, options))
    clients.push(crowd[i] as SafeMeshClient)
  }
  const many: number[] = []
  const each = Math.max(1, Math.ceil(MUTATIONS / CLIENTS))
  started = performance.now()
  await Promise.all(crowd.map(async (client, i) => { await run(client, `c${i}`, each, many) }))
  const manySeconds = (performance.now() - started) / 1000
  console.log(`${CLIENTS} clients: mutation p50 ${quantile(many, 0.5).toFixed(1)} ms, p99 ${quantile(many, 0.99).toFixed(1)} ms, ${(many.length / manySeconds).toFixed(1)} mutations/s`)
  console.log(`peak RSS: node ${mib(await peakNodeRss(testnet))} MiB (highest of ${NODES}), this client process ${mib(process.resourceUsage().maxRSS * 1024)} MiB (with ${CLIENTS + 1} clients)`)
} finally {
  for (const client of clients) await client.close().catch(() => {})
  await testnet.down()
  await rm(dir, { recursive: true, force: true })
}
