/**
 * `npm run fuzz [-- --frames N --nodes N --group-size G --concurrency C]`: a peer that joins a
 * testnet as a node sends every message type of the node protocol, valid or damaged (corpus.ts),
 * to random nodes, and checks that every node is still up (a crash or an unhandled rejection ends
 * a node process), that no handler failed with an internal error, and what each node's RSS peaked
 * at. Exit 0 when every node survived, 1 otherwise, 2 on bad usage.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { randomInt } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { pino } from 'pino'
import { DEFAULT_NETWORK_PARAMS, isSafeMeshError, nodeMessageVariants, requestVariants, sha3_256, type WireMessage } from '@safemesh/protocol'
import { createHost, Messenger, MESSAGING_PROTOCOL, RoutingView } from '@safemesh/net'
import { Testnet } from '@safemesh/testnet'
import type { PeerId } from '@libp2p/interface'
import { abortOnInterrupt, parseOrExit } from '../lib/cli.js'
import { nodeMetric } from '../lib/metrics.js'
import { fuzzFrame, type Damage } from './corpus.js'

const HELP = `npm run fuzz [-- options]

Sends mutated valid messages of every type of the node protocol from a peer that joined the
network as a node, and checks that no node crashed, no handler failed internally, and how far
each node's RSS rose.

  --frames N        frames to send (default 100000)
  --nodes N         nodes in the testnet (default 5)
  --group-size G    close group size (default 3)
  --concurrency C   frames in flight at once (default 64)
  --help            this text
`

interface FuzzOptions { frames: number, nodes: number, groupSize: number, concurrency: number }

function parseFuzzOptions (argv: string[]): FuzzOptions | undefined {
  const { values } = parseArgs({ args: argv, options: { frames: { type: 'string' }, nodes: { type: 'string' }, 'group-size': { type: 'string' }, concurrency: { type: 'string' }, help: { type: 'boolean' } } })
  if (values.help === true) return undefined
  const int = (v: string | undefined, fallback: number, min: number, what: string): number => {
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${what} must be an integer of at least ${min}`)
    return n
  }
  return { frames: int(values.frames, 100_000, 1, 'frames'), nodes: int(values.nodes, 5, 3, 'nodes'), groupSize: int(values['group-size'], 3, 3, 'group-size'), concurrency: int(values.concurrency, 64, 1, 'concurrency') }
}

const options = parseOrExit(parseFuzzOptions, HELP)
const interrupted = abortOnInterrupt({ report: (signal) => { process.stderr.write(`${signal}: stopping\n`) } })
const TYPES = [...Object.keys(requestVariants), ...Object.keys(nodeMessageVariants)] as Array<WireMessage['type']>
const DAMAGES: readonly Damage[] = ['none', 'value', 'value', 'bytes']

const dir = await mkdtemp(join(tmpdir(), 'safemesh-fuzz-'))
// The fuzzer sends far more malformed requests than a node lets one peer send before hanging up.
const testnet = new Testnet({ dir, groupSize: options.groupSize, logLevel: 'warn', detached: false, nodeArgs: ['--malformed-per-minute', String(1_000_000)] })
let failed = false
try {
  await testnet.up(options.nodes)
  const privateKey = await generateKeyPair('Ed25519')
  const host = await createHost({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: testnet.bootstrapAddresses(), role: 'node', start: false })
  const messenger = new Messenger(host, {
    protocol: MESSAGING_PROTOCOL,
    maxMessageSize: DEFAULT_NETWORK_PARAMS.maxMessageSize,
    log: pino({ level: 'silent' }),
    handler: async () => { throw new Error('the fuzzer serves nothing') }
  })
  const routing = new RoutingView(host, { groupSize: options.groupSize, bootstrap: testnet.bootstrapAddresses(), log: pino({ level: 'silent' }) })
  await messenger.start()
  await host.start()
  await routing.start()
  const nodes: PeerId[] = testnet.records().map(r => peerIdFromString(r.peerId as string))
  const self = privateKey.publicKey.raw
  const keys = { self, account: sha3_256(self) }

  // One request each first: without it, a burst of 64 requests at nodes this peer has no stream to yet
  // stalls them all (not the shared dial: docs/decisions.md; the cause is not found).
  for (const node of nodes) {
    try {
      await messenger.request(node, fuzzFrame('GetIData', keys, 'none'), { timeout: 5_000 })
    } catch (err) {
      if (!isSafeMeshError(err) || err.code !== 'NoSuchData') process.stderr.write(`warm-up: ${(err as Error).message}\n`)
    }
  }
  const outcomes = new Map<string, number>()
  const peakRss = new Array<number>(nodes.length).fill(0)
  const sampleRss = async (): Promise<void> => {
    await Promise.all(nodes.map(async (_, i) => {
      // A node that is down reads 0 (the survival check reports it).
      const rss = await nodeMetric(testnet.record(i).metricsPort, 'process_resident_memory_bytes').catch(() => 0)
      peakRss[i] = Math.max(peakRss[i] as number, rss)
    }))
  }
  const sampler = setInterval(() => { void sampleRss() }, 1000)
  const started = performance.now()
  let sent = 0
  const worker = async (): Promise<void> => {
    while (sent < options.frames && !interrupted.signal.aborted) {
      const n = sent++
      const type = TYPES[n % TYPES.length] as WireMessage['type']
      const damage = DAMAGES[randomInt(DAMAGES.length)] as Damage
      const body = fuzzFrame(type, keys, damage)
      let outcome: string
      try {
        await messenger.request(nodes[randomInt(nodes.length)] as PeerId, body, { timeout: 5_000 })
        outcome = 'answered'
      } catch (err) {
        outcome = isSafeMeshError(err) ? err.code : 'failed'
        if (process.env.FUZZ_DEBUG != null && outcome === 'Timeout') process.stderr.write(`${type}/${damage}: ${(err as Error).message}\n`)
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
      if (n > 0 && n % 10_000 === 0) process.stderr.write(`${n} frames, ${((performance.now() - started) / 1000).toFixed(0)} s\n`)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  clearInterval(sampler)
  await sampleRss()
  const seconds = (performance.now() - started) / 1000
  const status = await testnet.status()
  const down = status.filter(v => !v.up).length
  let internal = 0
  for (const record of testnet.records()) {
    const log = await readFile(record.logFile, 'utf8').catch(() => '')
    internal += log.split('\n').filter(l => l.includes('request handler failed') || l.includes('nhandled')).length
  }
  process.stdout.write(`fuzz: ${sent} frames of ${TYPES.length} message types in ${seconds.toFixed(0)} s (${(sent / seconds).toFixed(0)}/s) to ${nodes.length} nodes (G = ${options.groupSize})\n`)
  process.stdout.write(`outcomes: ${[...outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}\n`)
  process.stdout.write(`nodes down: ${down}; internal handler failures logged: ${internal}; peak RSS per node (MiB): ${peakRss.map(r => (r / 2 ** 20).toFixed(0)).join(', ')}\n`)
  failed = down > 0 || internal > 0
  await routing.stop()
  await messenger.stop()
  await host.stop()
} catch (err) {
  process.stderr.write(`fuzz: ${(err as Error).stack ?? String(err)}\n`)
  failed = true
} finally {
  await testnet.down()
  await rm(dir, { recursive: true, force: true })
}
process.exitCode = failed ? 1 : 0
