/**
 * Time back to G replicas after a kill. Right after each kill it samples names written before it
 * whose close group held the killed node, and polls every member of each name's close group as
 * it stands now (among the nodes up: the killed node is out until it restarts, a newcomer is in)
 * until every one of them holds every sampled name. A node known to hold a name is not asked
 * again. Whether the killed node was already back when that happened is kept too: its return
 * also completes the group, without any data having moved.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { closeGroupAt, type NetworkNode } from './close-groups.js'
import { forEachLimited, holds } from './holds.js'
import type { Inspector } from './inspector.js'
import type { Rng } from './rng.js'
import type { WrittenName, WrittenNames } from './written-names.js'

const SAMPLE = 8
const POLL_MS = 500
const ASK_TIMEOUT_MS = 3_000
/** How long one kill is followed at most. */
const RECOVERY_BOUND_MS = 120_000

export interface KillRecovery {
  victim: number
  /** Names sampled (0: nothing written near the victim yet). */
  names: number
  /** Seconds from the kill until every sampled name was at G; undefined when not within the bound. */
  seconds?: number
  /** Whether the killed node was up again by then. */
  victimBack?: boolean
  /** Which members lacked which names at the last look before the end (or the bound). */
  lacking?: string
}

export interface RecoveryOptions {
  inspector: Inspector
  names: WrittenNames
  upNodes: () => NetworkNode[]
  isDown: (index: number) => boolean
  groupSize: number
  rng: Rng
  log: Logger
}

export class RecoveryTracker {
  private readonly options: RecoveryOptions
  private readonly measuring = new Set<Promise<void>>()
  private readonly recoveries: KillRecovery[] = []
  private stopped = false

  constructor (options: RecoveryOptions) {
    this.options = options
  }

  onKill (victim: NetworkNode, upBefore: NetworkNode[]): void {
    const killedAt = performance.now()
    const { groupSize, rng } = this.options
    const near = this.options.names.list(killedAt).filter(n => closeGroupAt(n.position, upBefore, groupSize).some(m => m.peerId === victim.peerId))
    const sample = rng.sample(near, SAMPLE)
    const measuring = this.measure(victim, sample, killedAt).then(recovery => {
      this.recoveries.push(recovery)
      this.options.log.info({ ...recovery }, 'recovery after a kill')
    }, (err: unknown) => {
      this.options.log.error({ err: (err as Error).message }, 'a recovery measurement failed')
    }).finally(() => { this.measuring.delete(measuring) })
    this.measuring.add(measuring)
  }

  /** Waits for the measurements under way (each bounded); `stop` first cuts them short. */
  async finish (stop = false): Promise<KillRecovery[]> {
    this.stopped = stop
    while (this.measuring.size > 0) await Promise.allSettled([...this.measuring])
    return this.recoveries
  }

  private async measure (victim: NetworkNode, sample: WrittenName[], killedAt: number): Promise<KillRecovery> {
    if (sample.length === 0) return { victim: victim.index, names: 0 }
    const { inspector, groupSize } = this.options
    const holders = new Map<WrittenName, Set<string>>(sample.map(n => [n, new Set()]))
    let lacking = ''
    while (performance.now() - killedAt < RECOVERY_BOUND_MS && !this.stopped) {
      const up = this.options.upNodes()
      const asks: Array<{ name: WrittenName, node: NetworkNode }> = []
      for (const [name, held] of holders) {
        for (const node of closeGroupAt(name.position, up, groupSize)) if (!held.has(node.peerId)) asks.push({ name, node })
      }
      if (asks.length === 0) {
        return { victim: victim.index, names: sample.length, seconds: (performance.now() - killedAt) / 1000, victimBack: !this.options.isDown(victim.index), ...(lacking !== '' ? { lacking } : {}) }
      }
      const lacks: string[] = []
      await forEachLimited(asks, 8, async ({ name, node }) => {
        const holding = await holds(inspector, node, name, ASK_TIMEOUT_MS)
        if (holding.holds) holders.get(name)?.add(node.peerId)
        else lacks.push(`node ${node.index} lacks ${name.kind} ${name.hex.slice(0, 12)} (${holding.why})`)
      })
      const missing = lacks.length
      if (missing > 0) lacking = lacks.sort().join(', ')
      // Every member asked holds its name: look again at once (the groups may have moved meanwhile).
      if (missing > 0) await sleep(POLL_MS)
    }
    return { victim: victim.index, names: sample.length, lacking }
  }
}
