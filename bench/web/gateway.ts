/**
 * The gateway's speed (issue 16): on a testnet of real node processes, a site holding a 10 KiB page
 * and a 64 MiB file is published; then the real `safemesh gateway` process serves them. Measured:
 * MB/s of the 64 MiB file through the gateway (by the site's path and as a raw /file/<address>),
 * next to `safemesh get` of the same file in the same run (the whole CLI process: start, join,
 * download); and the time to the first byte of the page, cold (the first request a freshly
 * started gateway serves) and warm. Every body is checked against the original's SHA-256.
 *
 *     npm run bench:gateway -- [--nodes 12] [--group-size 8] [--runs 3] [--cold-runs 3] [--warm 50] [--json]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { request, type IncomingMessage } from 'node:http'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createAccount } from '@safemesh/client'
import { xorNameToHex } from '@safemesh/protocol'
import { Testnet } from '@safemesh/testnet'
import { median, quantile, mbPerSecond } from '../lib/stats.js'
import { progress } from '../lib/progress.js'
import { startTestnet } from '../safemesh/start-testnet.js'

const HELP = `npm run bench:gateway -- [options]
  --nodes N        node processes (default 12)
  --group-size G   close group size (default 8)
  --runs N         downloads of the 64 MiB file each way (default 3)
  --cold-runs N    gateway starts, each timing its first page (default 3)
  --warm N         page requests to a warmed gateway (default 50)
  --json           one JSON object on stdout`

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '12' },
    'group-size': { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    'cold-runs': { type: 'string', default: '3' },
    warm: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false }
  }
})
if (values.help) {
  console.log(HELP)
  process.exit(0)
}
const nodes = Number(values.nodes)
const groupSize = Number(values['group-size'])
const runs = Number(values.runs)
const coldRuns = Number(values['cold-runs'])
const warmRequests = Number(values.warm)

const CLI = fileURLToPath(new URL('../../../packages/cli/dist/src/bin/safemesh.js', import.meta.url))
const BIG = 64 * 2 ** 20
const PAGE = 10 * 1024

interface Fetched { seconds: number, ttfbMs: number, bytes: number, sha256: string, status: number }

/** A GET on 127.0.0.1 with the content origin's Host, timed to the first body byte and to the end. */
async function fetchTimed (port: number, path: string): Promise<Fetched> {
  const started = performance.now()
  const req = request({ host: '127.0.0.1', port, path, headers: { host: `localhost:${port}` } })
  req.end()
  const [res] = await once(req, 'response') as [IncomingMessage]
  const hash = createHash('sha256')
  let ttfbMs = -1
  let bytes = 0
  for await (const piece of res as AsyncIterable<Buffer>) {
    if (ttfbMs < 0) ttfbMs = performance.now() - started
    bytes += piece.length
    hash.update(piece)
  }
  return { seconds: (performance.now() - started) / 1000, ttfbMs, bytes, sha256: hash.digest('hex'), status: res.statusCode ?? 0 }
}

async function startGateway (networkFile: string): Promise<{ child: ChildProcess, port: number }> {
  const child = spawn(process.execPath, [CLI, '--network', networkFile, 'gateway', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = await once(child.stdout as NodeJS.ReadableStream, 'data') as [Buffer]
  return { child, port: (JSON.parse(line.toString()) as { port: number }).port }
}

async function stopGateway (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  child.kill('SIGTERM')
  await once(child, 'exit')
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const mbps = (bytes: number, seconds: number): number => Number(mbPerSecond(bytes, seconds).toFixed(1))
const summary = (xs: number[]): { min: number, median: number } => ({ min: Math.min(...xs), median: Number(median(xs).toFixed(1)) })

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'safemesh-bench-gateway-'))
  const testnet = new Testnet({ dir: join(dir, 'testnet'), groupSize: nodes < groupSize ? nodes : groupSize, logLevel: 'warn', detached: false })
  const interrupt = new AbortController()
  process.once('SIGINT', () => { interrupt.abort() })
  const gateways: ChildProcess[] = []
  const loadStart = loadavg().map(l => l.toFixed(1)).join(' ')
  try {
    await startTestnet(testnet, nodes, interrupt.signal)
    const network = { bootstrap: testnet.bootstrapAddresses(), groupSize: testnet.groupSize, salt: testnet.salt }
    const owner = await createAccount({ secret: `bench gateway ${randomBytes(8).toString('hex')}`, password: 'bench password: quartz lantern 88' }, { network, kdf: { opsLimit: 1, memLimit: 8 * 2 ** 20 } })
    const big = randomBytes(BIG)
    const page = Buffer.from(`<!doctype html><title>bench</title><p>${'x'.repeat(PAGE - 40)}</p>\n`.slice(0, PAGE))
    const publicId = `bench-${randomBytes(4).toString('hex')}`
    progress('publishing a 10 KiB page and a 64 MiB file')
    await owner.web().register(publicId)
    const published = await owner.web().publish([
      { path: 'index.html', content: () => [page], size: page.length },
      { path: 'big.bin', content: () => [big], size: big.length }
    ], { publicId })
    const entry = await owner.web().site(published.directory).lookup('big.bin')
    if (entry?.kind !== 'file') throw new Error('the published file is missing')
    const address = xorNameToHex(entry.file)
    await owner.close()

    // Cold: the first page a freshly started gateway serves (its own join to the network included).
    const cold: number[] = []
    for (let i = 0; i < coldRuns; i++) {
      progress(`cold start ${i + 1}/${coldRuns}`)
      const { child, port } = await startGateway(testnet.networkFile)
      gateways.push(child)
      const first = await fetchTimed(port, `/safe/www.${publicId}/`)
      if (first.status !== 200 || first.sha256 !== sha256(page)) throw new Error(`the page came back wrong (${first.status})`)
      cold.push(first.ttfbMs)
      await stopGateway(child)
    }

    const { child, port } = await startGateway(testnet.networkFile)
    gateways.push(child)
    await fetchTimed(port, `/safe/www.${publicId}/`)
    const warm: number[] = []
    for (let i = 0; i < warmRequests; i++) warm.push((await fetchTimed(port, `/safe/www.${publicId}/`)).ttfbMs)

    const viaSite: number[] = []
    const viaFile: number[] = []
    const viaCli: number[] = []
    const bigHash = sha256(big)
    for (let i = 0; i < runs; i++) {
      progress(`64 MiB run ${i + 1}/${runs}`)
      for (const [into, path] of [[viaSite, `/safe/www.${publicId}/big.bin`], [viaFile, `/file/${address}`]] as const) {
        const got = await fetchTimed(port, path)
        if (got.status !== 200 || got.sha256 !== bigHash) throw new Error(`${path} came back wrong (${got.status}, ${got.bytes} bytes)`)
        into.push(mbps(BIG, got.seconds))
      }
      const out = join(dir, `get-${i}.bin`)
      const started = performance.now()
      const get = spawn(process.execPath, [CLI, '--network', testnet.networkFile, 'get', address, '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] })
      const [code] = await once(get, 'exit') as [number]
      const seconds = (performance.now() - started) / 1000
      if (code !== 0 || sha256(await readFile(out)) !== bigHash) throw new Error('safemesh get gave the file back wrong')
      await rm(out)
      viaCli.push(mbps(BIG, seconds))
    }
    await stopGateway(child)

    const result = {
      nodes,
      groupSize: testnet.groupSize,
      loadAverage: { start: loadStart, end: loadavg().map(l => l.toFixed(1)).join(' ') },
      file64MiB: {
        gatewaySiteMBps: summary(viaSite),
        gatewayRawFileMBps: summary(viaFile),
        safemeshGetMBps: summary(viaCli),
        runs
      },
      page10KiB: {
        coldTtfbMs: cold.map(v => Number(v.toFixed(1))),
        warmTtfbMs: { p50: Number(median(warm).toFixed(1)), p90: Number(quantile(warm, 0.9).toFixed(1)), requests: warm.length }
      }
    }
    if (values.json) {
      console.log(JSON.stringify(result))
    } else {
      const line = (label: string, value: string): void => { console.log(`${label.padEnd(52)} ${value}`) }
      console.log(`\nSafeMesh gateway, ${nodes} nodes, G = ${testnet.groupSize} (load average ${result.loadAverage.start} → ${result.loadAverage.end})`)
      line('64 MiB via the gateway, /safe/www.<id>/big.bin', `median ${result.file64MiB.gatewaySiteMBps.median} MB/s, min ${result.file64MiB.gatewaySiteMBps.min} (${viaSite.join(', ')})`)
      line('64 MiB via the gateway, /file/<address>', `median ${result.file64MiB.gatewayRawFileMBps.median} MB/s, min ${result.file64MiB.gatewayRawFileMBps.min} (${viaFile.join(', ')})`)
      line('64 MiB by `safemesh get` (whole process)', `median ${result.file64MiB.safemeshGetMBps.median} MB/s, min ${result.file64MiB.safemeshGetMBps.min} (${viaCli.join(', ')})`)
      line('10 KiB page, time to first byte, cold', `${result.page10KiB.coldTtfbMs.join(', ')} ms`)
      line('10 KiB page, time to first byte, warm', `p50 ${result.page10KiB.warmTtfbMs.p50} ms, p90 ${result.page10KiB.warmTtfbMs.p90} ms (${warm.length})`)
    }
  } finally {
    for (const child of gateways) await stopGateway(child).catch(() => {})
    await testnet.down().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
