/**
 * Starts a testnet whose every node's view holds every other node. Nodes are
 * added a few at a time (16 node processes starting at once on two cores can
 * miss their 30 s start limit). A node that settles on a partial view walks
 * the DHT again only 30 s to 5 min later (packages/node routing-view.ts), so
 * one still lagging after a wait is restarted: its first walk dials every
 * node, which fills its view and puts it in theirs. Since nodes serve
 * messaging before their host starts, no run on this machine has needed it;
 * the report says when it does.
 */
import type { Testnet } from '@safemesh/testnet'
import { progress } from '../lib/progress.js'

const BATCH = 4
const CONVERGENCE_MS = 45_000
const REPAIR_ROUNDS = 3
/** kad-dht's bucket size: views need min(nodes - 1, K) members (Testnet.waitForConvergence). */
const KAD_K = 20

export interface StartReport {
  seconds: number
  /** What had to be repaired, e.g. "node 15 restarted (view 13/15)". */
  repairs: string[]
}

/** `report` gets each step (default: a progress line on stderr). */
export async function startTestnet (testnet: Testnet, nodes: number, signal: AbortSignal, report: (message: string) => void = progress): Promise<StartReport> {
  const started = performance.now()
  const repairs: string[] = []
  for (let count = 0; count < nodes;) {
    const batch = Math.min(BATCH, nodes - count)
    try {
      if (count === 0) await testnet.up(batch, { timeoutMs: CONVERGENCE_MS, signal })
      else await testnet.add(batch, { timeoutMs: CONVERGENCE_MS, signal })
    } catch (err) {
      if (signal.aborted || testnet.size < count + batch || !(await allRunning(testnet))) throw err
      await repair(testnet, signal, repairs, report)
    }
    count += batch
    report(`safemesh: ${count} of ${nodes} nodes up`)
  }
  return { seconds: (performance.now() - started) / 1000, repairs }
}

async function allRunning (testnet: Testnet): Promise<boolean> {
  return (await testnet.status()).every(v => v.up)
}

async function repair (testnet: Testnet, signal: AbortSignal, repairs: string[], report: (message: string) => void): Promise<void> {
  for (let round = 1; ; round++) {
    const views = await testnet.status()
    const required = Math.min(views.length - 1, KAD_K)
    const lagging = views.filter(v => (v.status?.routingTableSize ?? -1) < required)
    if (lagging.length === 0) return
    if (round > REPAIR_ROUNDS) throw new Error(`the testnet did not converge after ${REPAIR_ROUNDS} rounds of restarts: ${lagging.map(v => `node ${v.index}: ${v.status?.routingTableSize ?? '?'}/${required}`).join(', ')}`)
    for (const view of lagging) {
      const note = `node ${view.index} restarted (view ${view.status?.routingTableSize ?? '?'}/${required})`
      report(`safemesh: ${note}`)
      repairs.push(note)
      await testnet.restart(view.index, { signal })
    }
    await testnet.waitForConvergence({ timeoutMs: CONVERGENCE_MS, signal }).catch(() => {})
  }
}
