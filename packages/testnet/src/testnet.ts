import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, openSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { NODE_INFO_FILE, type NodeStatus } from '@safemesh/node'
import type { NetworkFile } from '@safemesh/net'

/** The node binary, beside @safemesh/node's entry point in its build output. */
export const NODE_BIN = fileURLToPath(new URL('./bin/safemesh-node.js', import.meta.resolve('@safemesh/node')))

export interface TestnetOptions {
  /** Directory holding every node's data dir, log and the state files. */
  dir: string
  groupSize?: number
  accountOps?: number
  capacity?: number
  logLevel?: string
  /**
   * Detached nodes outlive the process that started them (`testnet up`);
   * attached ones (tests, `npm start`) also exit when it does, even if it is
   * killed, because each watches its stdin pipe.
   */
  detached?: boolean
  /** Flags for each node's Node.js (e.g. --expose-gc), which NODE_OPTIONS may not carry. */
  nodeFlags?: string[]
  /** More arguments for each `safemesh-node` (e.g. `--malformed-per-minute` for a fuzzer). */
  nodeArgs?: string[]
}

export interface NodeRecord {
  index: number
  dataDir: string
  logFile: string
  pid?: number
  port?: number
  peerId?: string
  metricsPort?: number
  address?: string
}

/** V8 flags every node process starts with: a lower peak RSS at no cost in latency (docs/decisions.md "Node process flags"). */
const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=50']

/** Environment every node process starts with (a variable already set outside wins): at most 2 malloc arenas (docs/decisions.md). */
const NODE_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' }

export interface NodeView extends NodeRecord {
  up: boolean
  status?: NodeStatus
}

const STATE_FILE = 'testnet.json'
const NETWORK_FILE = 'network.json'
const BOOTSTRAP_NODES = 3
/** kad-dht's bucket size: a view this full is enough for `up` in a large testnet. */
const KAD_K = 20

/**
 * A local SafeMesh network of separate `safemesh-node` processes: one data
 * directory and one log file each under `dir`, state kept in
 * `<dir>/testnet.json` so that `up`, `status`, `kill`, `restart`, `add` and
 * `down` can run from different processes.
 */
export class Testnet {
  readonly dir: string
  private readonly options: TestnetOptions
  private nodes: NodeRecord[] = []
  private readonly children = new Map<number, ChildProcess>()
  /** Nodes this process has SIGSTOPped (`pause`) and not continued. */
  private readonly paused = new Set<number>()
  /** network.json's `salt`: drawn once per network (CSPRNG), kept in the state so every process writes the same. */
  private networkSalt = randomBytes(32).toString('hex')

  constructor (options: TestnetOptions) {
    this.options = options
    this.dir = resolve(options.dir)
  }

  get groupSize (): number {
    return this.options.groupSize ?? 8
  }

  get size (): number {
    return this.nodes.length
  }

  get networkFile (): string {
    return join(this.dir, NETWORK_FILE)
  }

  /** The network's login salt as network.json holds it (64 hex digits). */
  get salt (): string {
    return this.networkSalt
  }

  /** Reads the state a previous `up` left in `dir`, if any. */
  async load (): Promise<boolean> {
    try {
      const state = JSON.parse(await readFile(join(this.dir, STATE_FILE), 'utf8')) as { nodes: NodeRecord[], options: Partial<TestnetOptions>, salt?: string }
      this.nodes = state.nodes
      if (typeof state.salt === 'string') this.networkSalt = state.salt
      Object.assign(this.options, { ...state.options, detached: this.options.detached })
      return true
    } catch {
      return false
    }
  }

  /** Starts `count` nodes and resolves once every node's view holds every other node. */
  async up (count: number, options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<void> {
    if (count < 1) throw new RangeError('a testnet needs at least one node')
    await mkdir(this.dir, { recursive: true })
    await this.add(count, options)
  }

  /** Adds `count` nodes to the network and waits for convergence. */
  async add (count: number, options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<NodeRecord[]> {
    const added: NodeRecord[] = []
    for (let i = 0; i < count; i++) {
      const index = this.nodes.length
      const record: NodeRecord = {
        index,
        dataDir: join(this.dir, `node-${index}`),
        logFile: join(this.dir, `node-${index}.log`)
      }
      this.nodes.push(record)
      added.push(record)
      // The first node has to be listening before anyone can bootstrap from it.
      if (this.bootstrapAddresses().length === 0) {
        await this.launch(record)
        await this.waitForInfo(record, options.signal)
      } else {
        await this.launch(record)
      }
    }
    await Promise.all(added.map(async r => { await this.waitForInfo(r, options.signal) }))
    await this.save()
    await this.waitForConvergence(options)
    return added
  }

  /** SIGKILLs node `index` (a crash, not a clean stop). A paused node is continued first. */
  async kill (index: number): Promise<void> {
    const record = this.record(index)
    if (record.pid != null && isAlive(record.pid)) {
      continueProcess(record.pid)
      process.kill(record.pid, 'SIGKILL')
      await waitForExit(record.pid, 10_000)
    }
    this.paused.delete(index)
    this.children.delete(index)
  }

  /**
   * SIGSTOPs node `index`: a node that hangs (its connections stay open and its peers' requests
   * go unanswered until their timeouts, or until the connection monitor gives up on it after a
   * minute), unlike a crash, which closes every connection at once. `resume` continues it.
   */
  async pause (index: number): Promise<void> {
    const record = this.record(index)
    if (record.pid == null || !isAlive(record.pid)) throw new Error(`node ${index} is not running`)
    process.kill(record.pid, 'SIGSTOP')
    this.paused.add(index)
    // kill() returns before the kernel has stopped the process: paused means stopped on return.
    await untilState(record.pid, state => state === 'T')
  }

  /** SIGCONTs node `index` after `pause`. */
  async resume (index: number): Promise<void> {
    const record = this.record(index)
    if (record.pid != null && isAlive(record.pid)) {
      process.kill(record.pid, 'SIGCONT')
      await untilState(record.pid, state => state !== 'T')
    }
    this.paused.delete(index)
  }

  /** Whether this process paused node `index` and has not resumed it. */
  isPaused (index: number): boolean {
    return this.paused.has(index)
  }

  /** Stops node `index` cleanly (SIGTERM). */
  async stopNode (index: number): Promise<void> {
    const record = this.record(index)
    if (record.pid != null) await terminate(record.pid)
    this.paused.delete(index)
    this.children.delete(index)
  }

  /** Starts node `index` again with its data dir and port: same peer id, same store. */
  async restart (index: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    const record = this.record(index)
    if (record.pid != null && isAlive(record.pid)) await terminate(record.pid)
    this.paused.delete(index)
    await rm(join(record.dataDir, NODE_INFO_FILE), { force: true })
    await this.launch(record)
    await this.waitForInfo(record, options.signal)
    await this.save()
  }

  /** Stops every node; with `clean`, removes the directory too. */
  async down (options: { clean?: boolean } = {}): Promise<void> {
    await Promise.all(this.nodes.map(async r => { if (r.pid != null) await terminate(r.pid) }))
    this.paused.clear()
    this.children.clear()
    if (options.clean === true) {
      await rm(this.dir, { recursive: true, force: true })
    } else if (existsSync(this.dir)) {
      await this.save()
    }
  }

  /** Every node with whether its process runs and, when it answers, its status. */
  async status (): Promise<NodeView[]> {
    return await Promise.all(this.nodes.map(async r => {
      const up = r.pid != null && isAlive(r.pid)
      const view: NodeView = { ...r, up }
      if (up) {
        const status = await this.fetchStatus(r).catch(() => undefined)
        if (status != null) view.status = status
      }
      return view
    }))
  }

  /** Node `index`'s memory after a full collection (nodes started with --expose-gc). */
  async collectGarbage (index: number): Promise<NodeJS.MemoryUsage> {
    return await this.fetchJson(this.record(index), '/gc') as NodeJS.MemoryUsage
  }

  /** The close group that node `index` computes for `nameHex`. */
  async closeGroupSeenBy (index: number, nameHex: string): Promise<string[]> {
    const body = await this.fetchJson(this.record(index), `/close-group/${nameHex}`) as { closeGroup: string[] }
    return body.closeGroup
  }

  records (): readonly NodeRecord[] {
    return this.nodes
  }

  record (index: number): NodeRecord {
    const record = this.nodes[index]
    if (record == null) throw new RangeError(`no node ${index} (the testnet has ${this.nodes.length})`)
    return record
  }

  bootstrapAddresses (): string[] {
    return this.nodes.filter(r => r.address != null).slice(0, BOOTSTRAP_NODES).map(r => r.address as string)
  }

  /**
   * Waits until every running node's view holds every other running node,
   * or K of them in a network larger than K + 1 (SPEC §10; K = kad-dht's
   * bucket size, 20).
   */
  async waitForConvergence (options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000)
    let lagging: string[] = []
    while (Date.now() < deadline) {
      options.signal?.throwIfAborted()
      const views = await this.status()
      const running = views.filter(v => v.up)
      const required = Math.min(running.length - 1, KAD_K)
      lagging = running
        .filter(v => (v.status?.routingTableSize ?? -1) < required)
        .map(v => `node ${v.index}: ${v.status?.routingTableSize ?? '?'}/${required}`)
      if (lagging.length === 0) return
      await sleep(250, undefined, { signal: options.signal })
    }
    throw new Error(`the testnet did not converge: ${lagging.join(', ')}`)
  }

  private async launch (record: NodeRecord): Promise<void> {
    await mkdir(record.dataDir, { recursive: true })
    const args = [
      NODE_BIN,
      '--data-dir', record.dataDir,
      '--listen', `/ip4/127.0.0.1/tcp/${record.port ?? 0}`,
      '--group-size', String(this.groupSize),
      '--account-ops', String(this.options.accountOps ?? 1000),
      '--log-level', this.options.logLevel ?? 'info',
      '--metrics-port', String(record.metricsPort ?? 0)
    ]
    if (this.options.capacity != null) args.push('--capacity', String(this.options.capacity))
    args.push(...(this.options.nodeArgs ?? []))
    for (const address of this.bootstrapAddresses()) {
      if (address !== record.address) args.push('--bootstrap', address)
    }
    const log = openSync(record.logFile, 'a')
    const detached = this.options.detached === true
    try {
      // SAFEMESH_NODE_FLAGS does the same as `nodeFlags` from outside (e.g. --cpu-prof for a profile).
      const flags = [...NODE_FLAGS, ...(this.options.nodeFlags ?? []), ...(process.env.SAFEMESH_NODE_FLAGS ?? '').split(' ').filter(f => f !== '')]
      const child = spawn(process.execPath, [...flags, ...args], {
        detached,
        stdio: [detached ? 'ignore' : 'pipe', log, log],
        env: { ...NODE_ENVIRONMENT, ...process.env, ...(detached ? {} : { SAFEMESH_EXIT_WITH_PARENT: '1' }) }
      })
      if (child.pid == null) throw new Error(`could not start node ${record.index}`)
      record.pid = child.pid
      if (detached) child.unref()
      else this.children.set(record.index, child)
    } finally {
      closeSync(log)
    }
  }

  private async waitForInfo (record: NodeRecord, signal?: AbortSignal): Promise<void> {
    const path = join(record.dataDir, NODE_INFO_FILE)
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      signal?.throwIfAborted()
      if (record.pid == null || !isAlive(record.pid)) {
        throw new Error(`node ${record.index} exited during start; see ${record.logFile}`)
      }
      try {
        const info = JSON.parse(await readFile(path, 'utf8')) as NodeStatus
        if (info.pid === record.pid) {
          const address = info.addresses.find(a => a.startsWith('/ip4/127.0.0.1/tcp/')) ?? info.addresses[0]
          if (address == null) throw new Error(`node ${record.index} listens on no address`)
          record.peerId = info.peerId
          record.address = address
          record.port = Number(address.split('/')[4])
          if (info.metricsPort != null) record.metricsPort = info.metricsPort
          return
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err
      }
      await sleep(50, undefined, { signal })
    }
    throw new Error(`node ${record.index} did not start within 30 s; see ${record.logFile}`)
  }

  private async fetchStatus (record: NodeRecord): Promise<NodeStatus> {
    return await this.fetchJson(record, '/status') as NodeStatus
  }

  private async fetchJson (record: NodeRecord, path: string): Promise<unknown> {
    if (record.metricsPort == null) throw new Error(`node ${record.index} has no admin port`)
    const res = await fetch(`http://127.0.0.1:${record.metricsPort}${path}`, { signal: AbortSignal.timeout(5_000) })
    if (!res.ok) throw new Error(`node ${record.index} answered ${res.status} for ${path}`)
    return await res.json()
  }

  private async save (): Promise<void> {
    const { detached: _detached, ...options } = this.options
    await writeJsonAtomic(join(this.dir, STATE_FILE), { nodes: this.nodes, options, salt: this.networkSalt })
    const network: Required<NetworkFile> = {
      bootstrap: this.bootstrapAddresses(),
      groupSize: this.groupSize,
      accountOps: this.options.accountOps ?? 1000,
      nodes: this.nodes.length,
      salt: this.networkSalt
    }
    await writeJsonAtomic(this.networkFile, network)
  }
}

export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Waits (at most 5 s) until the process's state in /proc satisfies `done`: the state letter of
 * /proc/<pid>/stat, after the command name in parentheses. Where there is no /proc, returns at once.
 */
async function untilState (pid: number, done: (state: string) => boolean): Promise<void> {
  const deadline = performance.now() + 5_000
  while (performance.now() < deadline) {
    let stat: string
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    } catch {
      return
    }
    if (done(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))) return
    await sleep(5)
  }
}

async function waitForExit (pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true
    await sleep(50)
  }
  return !isAlive(pid)
}

/**
 * SIGCONT: a stopped process keeps SIGTERM pending until it is continued, so every stop continues
 * the node first. Always sent, not only to nodes this process paused (`testnet down` runs in
 * another process than the one that paused); a running process ignores it.
 */
function continueProcess (pid: number): void {
  try { process.kill(pid, 'SIGCONT') } catch {}
}

/** SIGTERM (to a continued process), then SIGKILL if the node has not stopped within 10 s. */
async function terminate (pid: number): Promise<void> {
  if (!isAlive(pid)) return
  continueProcess(pid)
  try { process.kill(pid, 'SIGTERM') } catch { return }
  if (await waitForExit(pid, 10_000)) return
  try { process.kill(pid, 'SIGKILL') } catch { return }
  await waitForExit(pid, 5_000)
}

/** Writes JSON so that a reader sees the old file or the new one, never half of one. */
async function writeJsonAtomic (path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n')
  await rename(tmp, path)
}
