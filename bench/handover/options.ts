/** The command line of `run-handover.js`. */
import { parseArgs } from 'node:util'

export interface HandOverOptions {
  /** Nodes before the one that is added. */
  nodes: number
  groupSize: number
  /** MutableData stored before the node is added. */
  count: number
  /** PutMData requests in flight at once, and GetMDataVersion checks in flight at once. */
  concurrency: number
  /** Entries in each MutableData. */
  entries: number
  /** How long the newcomer may take to hold all it should, in seconds. */
  timeoutSeconds: number
  /** Milliseconds between two rounds of asking the newcomer what it holds. */
  pollMs: number
  /** The nodes' log level. */
  logLevel: string
  /** One node joins first, unmeasured, so that every old member has run a hand-over round over every name. */
  warmUp: boolean
  /** Keeps the testnet's directory (every node's log) instead of removing it. */
  keep: boolean
}

export const HELP = `node bench/dist/handover/run-handover.js [options]

Measures what the quorum hand-over of MutableData (docs/protocol.md, "Hand-over of
replicas and account records") costs when one node joins a close group:

  1. starts a testnet of --nodes node processes (G = --group-size) in a temporary
     directory, opens an account with a raw client and stores --count small
     MutableData (PutMData, --concurrency at once); waits until every member of
     each one's close group holds it (GetMDataVersion to each member);
  2. reads every node's safemesh_requests_total (requests served, by type and
     outcome) and its libp2p byte counters;
  3. adds one node and polls it (GetMDataVersion, straight to it) until it holds
     every MutableData whose close group, in the new membership, includes it;
  4. reads the counters again and prints how many MutableData moved, how long
     the last and the median took, and the requests (PushMData, GetReplicaDigest,
     GetReplica) and bytes it took, served by the newcomer and by the
     pre-existing members, in total and per MutableData moved.

Exits 1 when the newcomer does not hold them all within --timeout seconds (it
prints how many it holds), 2 on a bad option. Run \`npx tsc -b\` first.

Options:
  --nodes <n>          nodes before the one added (default 9)
  --group-size <n>     G, the close group size (default 8)
  --count <n>          MutableData stored before the node is added (default 1000)
  --concurrency <n>    PutMData in flight at once; also GetMDataVersion checks (default 8)
  --entries <n>        entries in each MutableData (default 3)
  --timeout <s>        how long the newcomer may take (default 300)
  --poll-ms <ms>       pause between two rounds of asking the newcomer (default 250)
  --warm-up            let one node join first, unmeasured (the measured join is then
                       from --nodes + 1): every member has then gone over every name
                       in a hand-over round, as in a network that has seen churn
  --log-level <level>  the nodes' log level (default warn)
  --keep               keep the testnet's directory, with every node's log
  -h, --help           this text
`

/** Parses the command line; `undefined` when --help was asked for. */
export function parseOptions (argv: string[]): HandOverOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string', default: '9' },
      'group-size': { type: 'string', default: '8' },
      count: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '8' },
      entries: { type: 'string', default: '3' },
      timeout: { type: 'string', default: '300' },
      'poll-ms': { type: 'string', default: '250' },
      'log-level': { type: 'string', default: 'warn' },
      keep: { type: 'boolean', default: false },
      'warm-up': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  })
  if (values.help) return undefined
  const options: HandOverOptions = {
    nodes: integer(values.nodes, '--nodes', 1),
    groupSize: integer(values['group-size'], '--group-size', 1),
    count: integer(values.count, '--count', 1),
    concurrency: integer(values.concurrency, '--concurrency', 1),
    entries: integer(values.entries, '--entries', 0),
    timeoutSeconds: integer(values.timeout, '--timeout', 1),
    pollMs: integer(values['poll-ms'], '--poll-ms', 0),
    logLevel: values['log-level'],
    keep: values.keep,
    warmUp: values['warm-up']
  }
  if (options.nodes < options.groupSize) {
    throw new RangeError(`--nodes (${options.nodes}) must be at least --group-size (${options.groupSize}): every close group needs G members before one is added`)
  }
  return options
}

function integer (text: string, flag: string, min: number): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${flag} must be an integer ≥ ${min}, not ${text}`)
  return value
}
