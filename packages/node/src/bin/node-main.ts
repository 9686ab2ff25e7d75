import { Command, InvalidArgumentError, Option } from 'commander'
import { DEFAULT_NETWORK_PARAMS, networkParams } from '@safemesh/protocol'
import { DEFAULT_SENDER_LIMITS } from '@safemesh/net'
import { SafeMeshNode } from '../node.js'
import { createLogger, LOG_LEVELS } from '../observability/logger.js'

function integer (min: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`)
    return n
  }
}

function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}

const program = new Command('safemesh-node')
  .description('Run one SafeMesh node: a libp2p peer that stores data and serves its close groups.')
  .requiredOption('--data-dir <dir>', 'directory for the node\'s peer key, store and node.json')
  .option('--listen <multiaddr>', 'address to listen on', collect, [])
  .option('--bootstrap <multiaddr>', 'a node to join through (repeatable; /p2p/<peer id> included)', collect, [])
  .option('--group-size <n>', 'close group size G (every node of a network must agree)', integer(3), DEFAULT_NETWORK_PARAMS.groupSize)
  .option('--account-ops <n>', 'mutations each account may make', integer(0), DEFAULT_NETWORK_PARAMS.accountAllowance)
  .option('--capacity <bytes>', 'bytes this node stores before refusing with NetworkFull', integer(0))
  .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as string[]).default('info'))
  .option('--metrics-port <n>', 'serve /metrics, /status and /close-group/<name> on 127.0.0.1:<n> (0 = any free port)', integer(0))
  .option('--malformed-per-minute <n>', 'malformed requests a peer may send in a minute before it is disconnected (a fuzzer needs more)', integer(1), DEFAULT_SENDER_LIMITS.maxMalformedPerMinute)
  .showHelpAfterError()

program.parse()
const opts = program.opts<{
  dataDir: string
  listen: string[]
  bootstrap: string[]
  groupSize: number
  accountOps: number
  capacity?: number
  logLevel: string
  metricsPort?: number
  malformedPerMinute: number
}>()

const log = createLogger(opts.logLevel, { name: 'safemesh-node' })
const params = (() => {
  try {
    return networkParams({ groupSize: opts.groupSize, accountAllowance: opts.accountOps })
  } catch (err) {
    return program.error((err as Error).message, { exitCode: 2 })
  }
})()

const node = await SafeMeshNode.start({
  dataDir: opts.dataDir,
  listen: opts.listen.length > 0 ? opts.listen : ['/ip4/127.0.0.1/tcp/0'],
  bootstrap: opts.bootstrap,
  params,
  capacity: opts.capacity,
  metricsPort: opts.metricsPort,
  senderLimits: { maxMalformedPerMinute: opts.malformedPerMinute },
  log
}).catch((err: Error) => {
  log.fatal({ err }, 'node failed to start')
  process.stderr.write(`safemesh-node: ${err.message}\n`)
  process.exit(1)
})

const status = node.status()
process.stdout.write(`SafeMesh node ${status.peerId}\n`)
for (const address of status.addresses) process.stdout.write(`  listening on ${address}\n`)
if (status.metricsPort != null) process.stdout.write(`  metrics on http://127.0.0.1:${status.metricsPort}/metrics\n`)
log.info({ peerId: status.peerId, addresses: status.addresses, groupSize: params.groupSize }, 'node started')

let stopping = false
const shutdown = (signal: string): void => {
  if (stopping) return
  stopping = true
  log.info({ signal }, 'stopping')
  node.stop().then(() => { process.exit(0) }, (err: Error) => {
    log.error({ err }, 'stop failed')
    process.exit(1)
  })
}
process.on('SIGINT', () => { shutdown('SIGINT') })
process.on('SIGTERM', () => { shutdown('SIGTERM') })
// Started by a test or a foreground testnet: stop when that process goes away,
// even if it was killed and could not stop us itself (its end of our stdin closes).
if (process.env.SAFEMESH_EXIT_WITH_PARENT === '1') {
  process.stdin.on('end', () => { shutdown('parent exited') })
  process.stdin.on('error', () => { shutdown('parent exited') })
  process.stdin.resume()
}
