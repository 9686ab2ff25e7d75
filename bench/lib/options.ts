import { parseArgs } from 'node:util'

export const SYSTEMS = ['raw', 'safemesh', 'helia'] as const
export type System = typeof SYSTEMS[number]

export interface BenchOptions {
  /** The file for SafeMesh and Helia, in bytes. */
  size: number
  nodes: number
  only: System[]
  runs: number
  mutations: number
  clients: number
  /** Bytes the raw libp2p throughput run sends. */
  rawBytes: number
  rttCount: number
  verbose: boolean
}

export const HELP = `npm run bench [-- options]

Measures, on this machine, each as the median of several runs:
  raw     raw libp2p (TCP + Noise + Yamux) between two processes: throughput of 1 MiB
          messages on one stream, round trip of 32-byte messages on one reused stream
  safemesh  a multi-process SafeMesh testnet (G = 8) driven by a separate client process:
          upload and download of a random file, time to first byte of a 10 KiB file,
          MutableData mutations with 1 and N clients, wire bytes per stored byte, peak RSS
  helia   Helia + @helia/unixfs on the same stack: add the same file in one process,
          fetch it from another

Prints a Markdown table with the ratios and writes bench/results/<time>.json,
bench/results/latest.json and bench/results/latest.md.

Options:
  --size <MiB>        file size for SafeMesh and Helia (default 64)
  --nodes <n>         SafeMesh testnet nodes (default 16)
  --only <list>       systems to run, comma-separated: raw,safemesh,helia (default all)
  --runs <n>          runs per system; each figure is the median (default 3)
  --mutations <n>     mutations per run, for 1 client and shared by the N clients (default 200)
  --clients <n>       concurrent SafeMesh clients, N (default 32)
  --raw-mib <MiB>     bytes the raw throughput run sends (default 256)
  --rtt-count <n>     round trips per raw run (default 2000)
  --verbose           pass every child process's stderr through
  -h, --help          this text
`

/** Parses the command line; `undefined` when --help was asked for. */
export function parseOptions (argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: '64' },
      nodes: { type: 'string', default: '16' },
      only: { type: 'string', default: SYSTEMS.join(',') },
      runs: { type: 'string', default: '3' },
      mutations: { type: 'string', default: '200' },
      clients: { type: 'string', default: '32' },
      'raw-mib': { type: 'string', default: '256' },
      'rtt-count': { type: 'string', default: '2000' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  })
  if (values.help) return undefined
  const only = values.only.split(',').map(s => s.trim()).filter(s => s !== '')
  for (const system of only) {
    if (!(SYSTEMS as readonly string[]).includes(system)) throw new RangeError(`--only: unknown system ${system} (raw, safemesh, helia)`)
  }
  return {
    size: Math.round(positive(values.size, '--size') * 2 ** 20),
    nodes: integer(values.nodes, '--nodes', 1),
    only: only as System[],
    runs: integer(values.runs, '--runs', 1),
    mutations: integer(values.mutations, '--mutations', 1),
    clients: integer(values.clients, '--clients', 1),
    rawBytes: Math.round(positive(values['raw-mib'], '--raw-mib') * 2 ** 20),
    rttCount: integer(values['rtt-count'], '--rtt-count', 1),
    verbose: values.verbose
  }
}

function positive (text: string, flag: string): number {
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${flag} must be a positive number, not ${text}`)
  return value
}

function integer (text: string, flag: string, min: number): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${flag} must be an integer ≥ ${min}, not ${text}`)
  return value
}
