/**
 * The local testnet as the page shows it: every node of `<dir>/testnet.json`, whether its process
 * runs and answers, its routing table and store (its admin `/status`), and its request rate (the
 * rise of `safemesh_requests_total` in its `/metrics` between polls). Polls that arrive together
 * share one look at the nodes, so several open pages cost the nodes no more than one.
 */
import { Testnet, type NodeView } from '@safemesh/testnet'
import { HttpError } from '../http.js'
import { RateTracker, sumCounter } from './request-rate.js'

export interface NodeRow {
  index: number
  /** up: the process runs and answers; unresponsive: it runs but its admin endpoint does not answer. */
  state: 'up' | 'unresponsive' | 'down'
  peerId?: string
  port?: number
  metricsPort?: number
  routingTableSize?: number
  storedItems?: number
  storedBytes?: number
  requestsTotal?: number
  requestsPerSecond?: number
  startedAt?: string
}

export interface NodesSnapshot {
  /** Undefined when the gateway runs without a testnet folder, or the folder holds none. */
  testnet?: { dir: string, groupSize: number, size: number }
  nodes: NodeRow[]
  /** Why the list is empty, for people. */
  note?: string
  at: string
}

export interface CloseGroupAnswer {
  /** The node that computed it. */
  node: { index: number, peerId?: string }
  closeGroup: Array<{ peerId: string, index?: number }>
}

/** A snapshot younger than this is shared rather than taken again. */
const FRESH_MS = 500
const ADMIN_TIMEOUT_MS = 3_000
const REQUESTS_COUNTER = 'safemesh_requests_total'

export class NodeMonitor {
  private readonly dir: string | undefined
  private readonly rates = new RateTracker()
  private last?: { at: number, snapshot: NodesSnapshot }
  private taking?: Promise<NodesSnapshot>

  constructor (dir: string | undefined) {
    this.dir = dir
  }

  async snapshot (): Promise<NodesSnapshot> {
    if (this.last !== undefined && Date.now() - this.last.at < FRESH_MS) return this.last.snapshot
    this.taking ??= this.take().finally(() => { this.taking = undefined })
    return await this.taking
  }

  /** The close group of `hex` as the first node that answers computes it (its admin `/close-group/<hex>`). */
  async closeGroup (hex: string): Promise<CloseGroupAnswer> {
    const { nodes } = await this.snapshot()
    const byPeer = new Map(nodes.filter(n => n.peerId !== undefined).map(n => [n.peerId as string, n.index]))
    for (const node of nodes.filter(n => n.state === 'up' && n.metricsPort !== undefined)) {
      const body = await adminJson(node.metricsPort as number, `/close-group/${hex}`).catch(() => undefined) as { closeGroup?: unknown } | undefined
      if (!Array.isArray(body?.closeGroup)) continue
      const closeGroup = body.closeGroup.filter((p): p is string => typeof p === 'string').map(peerId => {
        const index = byPeer.get(peerId)
        return index === undefined ? { peerId } : { peerId, index }
      })
      return { node: { index: node.index, ...(node.peerId !== undefined ? { peerId: node.peerId } : {}) }, closeGroup }
    }
    if (nodes.length === 0) throw new HttpError(404, 'NoSuchData', 'no testnet to ask (start the gateway with a local testnet\'s folder)')
    throw new HttpError(503, 'NoQuorum', 'no node of the testnet answered')
  }

  private async take (): Promise<NodesSnapshot> {
    const at = Date.now()
    const done = (snapshot: Omit<NodesSnapshot, 'at'>): NodesSnapshot => {
      const full = { ...snapshot, at: new Date(at).toISOString() }
      this.last = { at, snapshot: full }
      return full
    }
    if (this.dir === undefined) return done({ nodes: [], note: 'the gateway runs without a testnet: start it with a local testnet\'s folder to list that testnet\'s nodes here' })
    // Read afresh each time: `testnet add` and `restart` change the file.
    const testnet = new Testnet({ dir: this.dir })
    if (!await testnet.load()) return done({ nodes: [], note: `no testnet in ${this.dir} (start one with npm run testnet -- up)` })
    const views = await testnet.status()
    const rows = await Promise.all(views.map(async view => await this.row(view)))
    this.rates.retain(views.filter(v => v.up).map(runKey))
    return done({ testnet: { dir: testnet.dir, groupSize: testnet.groupSize, size: testnet.size }, nodes: rows })
  }

  private async row (view: NodeView): Promise<NodeRow> {
    const status = view.status
    const row: NodeRow = {
      index: view.index,
      state: !view.up ? 'down' : status === undefined ? 'unresponsive' : 'up',
      ...(view.peerId !== undefined ? { peerId: view.peerId } : {}),
      ...(view.port !== undefined ? { port: view.port } : {}),
      ...(view.metricsPort !== undefined ? { metricsPort: view.metricsPort } : {})
    }
    if (status === undefined || view.metricsPort === undefined) return row
    Object.assign(row, { routingTableSize: status.routingTableSize, storedItems: status.storedItems, storedBytes: status.storedBytes, startedAt: status.startedAt })
    const metrics = await adminText(view.metricsPort, '/metrics').catch(() => undefined)
    const total = metrics === undefined ? undefined : sumCounter(metrics, REQUESTS_COUNTER)
    if (total !== undefined) {
      row.requestsTotal = total
      const rate = this.rates.record(runKey(view), total, Date.now())
      if (rate !== undefined) row.requestsPerSecond = rate
    }
    return row
  }
}

/** One run of a node: a restart (a new pid) counts its requests from 0 again. */
function runKey (view: NodeView): string {
  return `${view.index}:${view.pid ?? ''}`
}

async function adminText (port: number, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) })
  if (!res.ok) throw new Error(`the node's admin endpoint answered ${res.status} for ${path}`)
  return await res.text()
}

async function adminJson (port: number, path: string): Promise<unknown> {
  return JSON.parse(await adminText(port, path)) as unknown
}
