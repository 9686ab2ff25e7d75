/**
 * A small workload for profiling (`node --cpu-prof`): a testnet, one client,
 * one file up and down, then sequential mutations. Nodes get extra flags from
 * SAFEMESH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 *
 *   node bench/dist/network/probe.js --nodes 16 --size 16 --mutations 100
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ANYONE } from '@safemesh/protocol'
import { Testnet, cpuSecondsOfNodes } from '@safemesh/testnet'
import { type SafeMeshClient, createAccount } from '@safemesh/client'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '16' },
    size: { type: 'string', default: '16' },
    mutations: { type: 'string', default: '100' },
    idle: { type: 'string', default: '10' }
  }
})
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

const nodesCpu = async (testnet: Testnet): Promise<number> => await cpuSecondsOfNodes(testnet.records())
/** Each node's peak resident set so far, in MB (10^6 bytes), ascending. */
async function nodesPeakRss (testnet: Testnet): Promise<number[]> {
  const peaks: number[] = []
  for (const record of testnet.records()) {
    const kib = /VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${record.pid}/status`, 'utf8'))?.[1]
    peaks.push(Number(kib) * 1024 / 1e6)
  }
  return peaks.sort((a, b) => a - b)
}
const selfCpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }
const dir = await mkdtemp(join(tmpdir(), 'safemesh-probe-'))
const testnet = new Testnet({ dir, logLevel: 'warn', groupSize: 8, detached: false })
let client: SafeMeshClient | undefined
try {
  await testnet.up(Number(values.nodes), { timeoutMs: 300_000 })
  const idle = await nodesCpu(testnet)
  const idleSeconds = Number(values.idle)
  await new Promise(resolve => setTimeout(resolve, idleSeconds * 1000))
  console.log(`idle: nodes use ${((await nodesCpu(testnet) - idle) / idleSeconds * 100).toFixed(0)}% of a core together`)
  client = await createAccount({ secret: `probe ${randomBytes(8).toString('hex')}`, password: 'probe password: cobalt fern 72' }, {
    network: { bootstrap: testnet.bootstrapAddresses(), groupSize: 8 }, kdf: { opsLimit: 1, memLimit: 8 * 2 ** 20 }
  })
  const size = Number(values.size) * 2 ** 20
  if (size > 0) {
    const data = new Uint8Array(randomBytes(size))
    let t = performance.now()
    let cpu = [await nodesCpu(testnet), selfCpu()]
    const put = await client.putFile([data])
    const up = performance.now() - t
    console.log(`upload ${(size / 1e3 / up).toFixed(1)} MB/s; CPU per MiB: nodes ${((await nodesCpu(testnet) - (cpu[0] ?? 0)) * 2 ** 20 / size).toFixed(3)} s, client ${((selfCpu() - (cpu[1] ?? 0)) * 2 ** 20 / size).toFixed(3)} s`)
    t = performance.now()
    cpu = [await nodesCpu(testnet), selfCpu()]
    let got = 0
    for await (const part of client.getFile(put.address)) got += part.byteLength
    console.log(`download ${(got / 1e3 / (performance.now() - t)).toFixed(1)} MB/s; CPU per MiB: nodes ${((await nodesCpu(testnet) - (cpu[0] ?? 0)) * 2 ** 20 / size).toFixed(3)} s, client ${((selfCpu() - (cpu[1] ?? 0)) * 2 ** 20 / size).toFixed(3)} s`)
  }
  const md = await client.createMData({ tag: 20_000, permissions: [{ user: ANYONE, permissions: { Insert: true } }] })
  const lat: number[] = []
  const cpu = [await nodesCpu(testnet), selfCpu()]
  const started = performance.now()
  for (let i = 0; i < Number(values.mutations); i++) {
    const t = performance.now()
    await client.mutateMDataEntries(md, [{ key: text(`k${i}`), action: { kind: 'Insert', content: text('v') } }])
    lat.push(performance.now() - t)
  }
  const count = lat.length
  const peaks = await nodesPeakRss(testnet)
  console.log(`node peak RSS (VmHWM): highest ${Math.max(...peaks).toFixed(0)} MB, median ${peaks[Math.floor(peaks.length / 2)]?.toFixed(0)} MB`)
  if (count > 0) {
    console.log(`CPU per mutation: nodes ${((await nodesCpu(testnet) - (cpu[0] ?? 0)) * 1000 / count).toFixed(1)} ms, client ${((selfCpu() - (cpu[1] ?? 0)) * 1000 / count).toFixed(1)} ms`)
    lat.sort((a, b) => a - b)
    console.log(`mutations: p50 ${lat[Math.floor(lat.length / 2)]?.toFixed(1)} ms, p99 ${lat[Math.floor(lat.length * 0.99)]?.toFixed(1)} ms, ${(lat.length * 1000 / (performance.now() - started)).toFixed(1)}/s`)
  }
} finally {
  await client?.close()
  await testnet.down()
  await rm(dir, { recursive: true, force: true })
}
