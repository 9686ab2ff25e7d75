/**
 * The chaos loop: every few seconds it disturbs one node of its pool — SIGKILL and, some seconds
 * later, a restart on the same data directory; or SIGSTOP and, some seconds later, SIGCONT — and
 * at set times it adds a node to the network.
 *
 * At most `maxDisturbed` nodes are disturbed at any moment, network-wide: with G − Q that many,
 * no close group can lose more members than its quorum allows, wherever the disturbed nodes sit.
 * A restarted node counts as disturbed until its routing view is full again. Node 0 is never in
 * the pool: it is the bootstrap node that restarted and added nodes always find up. Every action
 * is bounded in time, and `stop` brings every node back up and running.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { NodeRecord, Testnet } from '@safemesh/testnet'
import type { NodeStatus } from '@safemesh/node'
import type { Logger } from 'pino'
import { networkNodes, type NetworkNode } from './close-groups.js'
import type { Rng } from './rng.js'

/** kad-dht's bucket size: a view this full is complete enough (Testnet.waitForConvergence). */
const KAD_K = 20
const TICK_MS: readonly [number, number] = [1_500, 5_000]
const DOWNTIME_MS: readonly [number, number] = [3_000, 15_000]
const PAUSE_MS: readonly [number, number] = [2_000, 8_000]
const RESTART_TRIES = 3
const VIEW_WAIT_MS = 30_000
const ADD_TIMEOUT_MS = 90_000

export interface ChaosCounts {
  kills: number
  restarts: number
  pauses: number
  resumes: number
  added: number
}

export interface ChaosOptions {
  /** Indices of the nodes the chaos may kill or pause. */
  pool: readonly number[]
  maxDisturbed: number
  /** Nodes to add, spread evenly over the run. */
  adds: number
  rng: Rng
  log: Logger
  /** Called right after a kill, with the nodes that were up just before it. */
  onKill?: (victim: NetworkNode, upBefore: NetworkNode[]) => void
}

export class Chaos {
  readonly counts: ChaosCounts = { kills: 0, restarts: 0, pauses: 0, resumes: 0, added: 0 }
  /** What went wrong with the chaos itself (a node that would not restart…). */
  readonly incidents: string[] = []
  /** Nodes killed and not restarted yet. */
  readonly down = new Set<number>()
  private readonly disturbed = new Set<number>()
  private readonly running = new Set<Promise<void>>()
  private readonly testnet: Testnet
  private readonly options: ChaosOptions
  /** Testnet operations that write its state file (restart, add) run one at a time. */
  private queue: Promise<unknown> = Promise.resolve()
  private adding = false
  /** Cuts the waits of the actions under way short and skips their restarts (the run is aborted). */
  private readonly halted = new AbortController()

  constructor (testnet: Testnet, options: ChaosOptions) {
    this.testnet = testnet
    this.options = options
  }

  /** The pool of a run: `share` of the nodes, never node 0. */
  static pool (nodes: number, share: number, rng: Rng): number[] {
    const candidates = Array.from({ length: nodes - 1 }, (_, i) => i + 1)
    return rng.sample(candidates, Math.min(candidates.length, Math.round(share * nodes))).sort((a, b) => a - b)
  }

  /** The nodes up now (paused ones included: the network still counts them as members). */
  upNodes (): NetworkNode[] {
    return networkNodes(this.testnet.records(), this.down)
  }

  /** Disturbs nodes until `until` (performance.now()) or `signal`; actions under way go on. */
  async run (until: number, signal: AbortSignal): Promise<void> {
    const { rng, adds } = this.options
    const started = performance.now()
    const addAt = Array.from({ length: adds }, (_, i) => started + (i + 1) * (until - started) / (adds + 1))
    while (!signal.aborted) {
      try {
        await sleep(rng.int(TICK_MS[0], TICK_MS[1]), undefined, { signal })
      } catch {
        break
      }
      if (performance.now() >= until) break
      if (this.adding) continue
      if (addAt.length > 0 && performance.now() >= (addAt[0] as number)) {
        // An add waits for every view to hold the new node: only while nothing is disturbed.
        if (this.disturbed.size === 0) {
          addAt.shift()
          this.track(this.add())
        }
        continue
      }
      if (this.disturbed.size >= this.options.maxDisturbed) continue
      const candidates = this.options.pool.filter(i => !this.disturbed.has(i))
      if (candidates.length === 0) continue
      const index = rng.pick(candidates)
      this.track(rng.chance(0.5) ? this.killAndRestart(index, rng.int(DOWNTIME_MS[0], DOWNTIME_MS[1])) : this.pauseAndResume(index, rng.int(PAUSE_MS[0], PAUSE_MS[1])))
    }
  }

  /** Waits for the actions under way (each bounded), then makes sure every node runs. */
  async stop (): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running])
    for (const record of this.testnet.records()) {
      if (this.testnet.isPaused(record.index)) await this.testnet.resume(record.index)
      if (this.down.has(record.index)) {
        await this.restart(record.index).catch((err: unknown) => { this.incidents.push((err as Error).message) })
      }
    }
  }

  /**
   * For an aborted run: the actions under way stop waiting and restart nothing (paused nodes are
   * still resumed). Resolves once none is running; the nodes are left for `Testnet.down`.
   */
  async halt (): Promise<void> {
    this.halted.abort()
    while (this.running.size > 0) await Promise.allSettled([...this.running])
  }

  private track (action: Promise<void>): void {
    const tracked = action.catch((err: unknown) => {
      this.incidents.push((err as Error).message)
      this.options.log.error({ err: (err as Error).message }, 'a chaos action failed')
    }).finally(() => { this.running.delete(tracked) })
    this.running.add(tracked)
  }

  private async killAndRestart (index: number, downtime: number): Promise<void> {
    this.disturbed.add(index)
    try {
      const upBefore = this.upNodes()
      const victim = upBefore.find(n => n.index === index)
      await this.testnet.kill(index)
      this.down.add(index)
      this.counts.kills++
      this.options.log.info({ node: index, peer: victim?.peerId, downtimeMs: downtime }, 'chaos: killed a node')
      if (victim !== undefined) this.options.onKill?.(victim, upBefore)
      await this.wait(downtime)
      if (!this.halted.signal.aborted) await this.restart(index)
    } finally {
      this.disturbed.delete(index)
    }
  }

  private async restart (index: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.serial(async () => { await this.testnet.restart(index) })
        break
      } catch (err) {
        if (attempt >= RESTART_TRIES) throw new Error(`node ${index} did not restart after ${attempt} tries: ${(err as Error).message}`)
        this.options.log.warn({ node: index, attempt, err: (err as Error).message }, 'chaos: a restart failed, trying again')
      }
    }
    this.down.delete(index)
    this.counts.restarts++
    const took = await this.waitForView(this.testnet.record(index))
    this.options.log.info({ node: index, viewMs: took }, 'chaos: restarted a node')
  }

  private async pauseAndResume (index: number, pause: number): Promise<void> {
    this.disturbed.add(index)
    try {
      await this.testnet.pause(index)
      this.counts.pauses++
      this.options.log.info({ node: index, pauseMs: pause }, 'chaos: paused a node')
      await this.wait(pause)
      await this.testnet.resume(index)
      this.counts.resumes++
      this.options.log.info({ node: index }, 'chaos: resumed a node')
    } finally {
      this.disturbed.delete(index)
    }
  }

  private async add (): Promise<void> {
    this.adding = true
    try {
      const [record] = await this.serial(async () => await this.testnet.add(1, { timeoutMs: ADD_TIMEOUT_MS }))
      this.counts.added++
      this.options.log.info({ node: record?.index, peer: record?.peerId }, 'chaos: added a node')
    } finally {
      this.adding = false
    }
  }

  /** Resolves once the node's view holds the nodes that are up (or K of them); its time, or -1 after VIEW_WAIT_MS. */
  private async waitForView (record: NodeRecord): Promise<number> {
    const started = performance.now()
    while (performance.now() - started < VIEW_WAIT_MS && !this.halted.signal.aborted) {
      const required = Math.min(KAD_K, this.upNodes().length - 1)
      const status = await fetchStatus(record)
      if (status !== undefined && status.routingTableSize >= required) return Math.round(performance.now() - started)
      await sleep(250)
    }
    this.options.log.warn({ node: record.index }, `chaos: a restarted node's view is still partial after ${VIEW_WAIT_MS / 1000} s`)
    return -1
  }

  private async wait (ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.halted.signal }).catch(() => {})
  }

  private async serial<T> (work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work)
    this.queue = result.catch(() => {})
    return await result
  }
}

async function fetchStatus (record: NodeRecord): Promise<NodeStatus | undefined> {
  if (record.metricsPort == null) return undefined
  try {
    const res = await fetch(`http://127.0.0.1:${record.metricsPort}/status`, { signal: AbortSignal.timeout(2_000) })
    return res.ok ? await res.json() as NodeStatus : undefined
  } catch {
    return undefined
  }
}
