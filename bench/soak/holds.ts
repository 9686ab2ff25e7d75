/**
 * Whether one node holds a written name, asked directly: a chunk it returns whose hash is its
 * name, or a MutableData it knows (its version). What a node that does not hold it said, for a
 * report: `NoSuchData`, `silent`, or another refusal.
 */
import { immutableDataName, isSafeMeshError, xorNameEquals } from '@safemesh/protocol'
import type { NetworkNode } from './close-groups.js'
import type { Inspector } from './inspector.js'
import type { WrittenName } from './written-names.js'

export type Holding = { holds: true } | { holds: false, why: string }

export async function holds (inspector: Inspector, node: NetworkNode, name: WrittenName, timeout: number): Promise<Holding> {
  try {
    if (name.kind === 'chunk') {
      const reply = await inspector.ask(node, { type: 'GetIData', name: name.name }, timeout)
      if (reply.type === 'GetIData' && xorNameEquals(immutableDataName(reply.value), name.name)) return { holds: true }
      return { holds: false, why: `answered ${reply.type} with bytes of another name` }
    }
    const reply = await inspector.ask(node, { type: 'GetMDataVersion', name: name.name, tag: name.tag }, timeout)
    return reply.type === 'GetMDataVersion' ? { holds: true } : { holds: false, why: `answered ${reply.type}` }
  } catch (err) {
    return { holds: false, why: whyNot(err) }
  }
}

export function whyNot (err: unknown): string {
  if (!isSafeMeshError(err)) return `error: ${(err as Error).message}`
  if (err.code === 'Timeout') return 'silent'
  if (err.code === 'InvalidRequest') return `InvalidRequest (${err.message})`
  return err.code
}

/** Runs `work` on every item, `limit` at a time. */
export async function forEachLimited<T> (items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await work(item)
    }
  })
  await Promise.all(lanes)
}
