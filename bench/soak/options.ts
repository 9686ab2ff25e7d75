import { parseArgs } from 'node:util'
import { LOG_LEVELS } from '@safemesh/node'
import { quorumOf } from '@safemesh/protocol'

export interface SoakOptions {
  /** How long clients write while the chaos runs (the checks come after). */
  minutes: number
  nodes: number
  groupSize: number
  clients: number
  /** Seeds every random choice of the run (chaos schedule, workload mix, sizes), not the bytes written. */
  seed: number
  /** Share of the first nodes the chaos may disturb (never node 0, the bootstrap node kept up). */
  churn: number
  /** Nodes disturbed (killed, paused, or restarting) at most at any moment, network-wide. */
  maxDisturbed: number
  /** Nodes the chaos adds over the run. */
  adds: number
  /** Smallest and largest file a client stores (bytes). */
  minFileBytes: number
  maxFileBytes: number
  /** How long the checks poll for every name to be back at G replicas and accounts to agree (s). */
  settleSeconds: number
  logLevel: string
  /** The nodes' log level (their logs are in the testnet directory). */
  nodeLogLevel: string
  /** Leave the testnet directory (node logs and stores) in place at the end; the nodes still stop. */
  keepDir: boolean
  /** Print the tally as one JSON object on stdout instead of text. */
  json: boolean
  /** Strangers flood nodes 0–2 with issue 14's attacks while the clients write (flood.ts). */
  flood: boolean
}

export const HELP = `npm run soak [-- options]

A churn soak: starts a testnet of real node processes, lets several clients (each with its
own account) store files and create and change MutableData, while a chaos loop SIGKILLs and
restarts, SIGSTOPs and continues, and adds nodes. At most G - Q nodes are disturbed at any
moment, so no close group can lose its quorum. Then it stops the chaos, lets the network
settle and checks:

  - every write a client saw succeed reads back (files byte for byte, MutableData entries
    by quorum equal to the last acknowledged value and version);
  - every name written (each chunk of each file, each MutableData) is held by all G
    members of its close group, each asked directly;
  - every account's Maid-Managers agree on its mutation count, which equals what its
    client saw succeed (in [acknowledged, acknowledged + ambiguous]);
  - how long names took to be back at G replicas after each kill.

Prints a tally; exits 0 only when no write was lost, no account was charged wrongly and
every name is at G replicas, 1 otherwise, 2 on bad usage.

Options:
  --minutes <n>         how long the clients write under chaos (default 10)
  --nodes <n>           testnet nodes at the start (default 16)
  --group-size <n>      G (default 8)
  --clients <n>         writing clients, one account each (default 4)
  --seed <n>            seed of every random choice (default: random, printed)
  --churn <fraction>    share of the nodes the chaos disturbs (default 0.25)
  --max-disturbed <n>   nodes disturbed at once at most (default G - Q)
  --adds <n>            nodes added during the run (default nodes / 8)
  --min-file-kib <n>    smallest file (default 4)
  --max-file-kib <n>    largest file (default 300)
  --settle-seconds <n>  how long the checks wait for G replicas and agreeing accounts (default 120)
  --log-level <level>   the soak's own structured logs on stderr (default info)
  --node-log-level <l>  the nodes' logs, in the testnet directory (default warn)
  --keep-dir            leave the testnet directory (node logs, stores) in place
  --json                print the tally as JSON
  --flood               strangers flood nodes 0-2 with the attacks of issue 14 (frames of 2 M
                        items, node messages from a non-node, mutations that cannot fit, reads of
                        absent data, staging offers) at full speed while the clients write; the
                        tally adds the clients' success rate and p99 and the flooded nodes' peak
                        RSS. With --flood, --churn and --adds default to 0 (a flood alone)
  -h, --help            this text
`

/** Parses the command line; `undefined` when --help was asked for. Throws RangeError on bad usage. */
export function parseSoakOptions (argv: string[]): SoakOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '10' },
      nodes: { type: 'string', default: '16' },
      'group-size': { type: 'string', default: '8' },
      clients: { type: 'string', default: '4' },
      seed: { type: 'string' },
      churn: { type: 'string' },
      'max-disturbed': { type: 'string' },
      adds: { type: 'string' },
      'min-file-kib': { type: 'string', default: '4' },
      'max-file-kib': { type: 'string', default: '300' },
      'settle-seconds': { type: 'string', default: '120' },
      'log-level': { type: 'string', default: 'info' },
      'node-log-level': { type: 'string', default: 'warn' },
      'keep-dir': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      flood: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true,
    allowPositionals: false
  })
  if (values.help) return undefined
  const groupSize = integer(values['group-size'], '--group-size', 3)
  const nodes = integer(values.nodes, '--nodes', groupSize + 1)
  const minFileBytes = Math.round(positive(values['min-file-kib'], '--min-file-kib') * 1024)
  const maxFileBytes = Math.round(positive(values['max-file-kib'], '--max-file-kib') * 1024)
  if (maxFileBytes < minFileBytes) throw new RangeError('--max-file-kib must not be below --min-file-kib')
  const churn = Number(values.churn ?? (values.flood ? '0' : '0.25'))
  if (!Number.isFinite(churn) || churn < 0 || churn > 1) throw new RangeError(`--churn must be a fraction in [0, 1], not ${values.churn}`)
  for (const flag of ['log-level', 'node-log-level'] as const) {
    if (!LOG_LEVELS.includes(values[flag] as typeof LOG_LEVELS[number])) throw new RangeError(`--${flag} must be one of ${LOG_LEVELS.join(', ')}`)
  }
  return {
    minutes: positive(values.minutes, '--minutes'),
    nodes,
    groupSize,
    clients: integer(values.clients, '--clients', 1),
    seed: values.seed === undefined ? randomSeed() : integer(values.seed, '--seed', 0),
    churn,
    maxDisturbed: values['max-disturbed'] === undefined ? groupSize - quorumOf(groupSize) : integer(values['max-disturbed'], '--max-disturbed', 0),
    adds: values.adds === undefined ? (values.flood ? 0 : Math.ceil(nodes / 8)) : integer(values.adds, '--adds', 0),
    minFileBytes,
    maxFileBytes,
    settleSeconds: positive(values['settle-seconds'], '--settle-seconds'),
    logLevel: values['log-level'],
    nodeLogLevel: values['node-log-level'],
    keepDir: values['keep-dir'],
    json: values.json,
    flood: values.flood
  }
}

function randomSeed (): number {
  return Math.floor(Math.random() * 2 ** 31)
}

function positive (text: string, flag: string): number {
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${flag} must be a positive number, not ${text}`)
  return value
}

function integer (text: string, flag: string, min: number): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${flag} must be an integer ≥ ${min}, not ${text}`)
  return value
}
