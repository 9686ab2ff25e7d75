/** MutableData mutations timed one by one: inserts of new keys into one shared MutableData. */
import { type SafeMeshClient, userOf } from '@safemesh/client'
import { inContext } from '../lib/context.js'
import type { MutationsResult } from './protocol.js'

/** The MutableData the mutations go to; anyone may insert into it. */
export interface Target {
  name: Uint8Array
  tag: number
}

const TAG = 20_000
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

export async function createTarget (owner: SafeMeshClient): Promise<Target> {
  const md = await owner.createMData({ tag: TAG, permissions: [{ user: userOf('anyone'), permissions: { Insert: true } }] })
  return { name: md.name, tag: md.tag }
}

/** `count` sequential inserts by `client`; appends each latency (ms) to `latencies`. */
export async function insertSequentially (client: SafeMeshClient, target: Target, prefix: string, count: number, latencies: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    try {
      await client.mutateMDataEntries(target, [{ key: text(`${prefix}-${i}`), action: { kind: 'Insert', content: text('v') } }])
    } catch (err) {
      throw inContext(err, `insert ${i + 1} of ${count} by ${prefix}, after ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }
    latencies.push(performance.now() - started)
  }
}

/** A client of the crowd and the MutableData it inserts into. */
export interface Member {
  client: SafeMeshClient
  target: Target
}

/**
 * Each client runs its share of `total` inserts into its own MutableData, at the same time as
 * the others: 32 users of a network, each at their own data, spread over the close groups.
 */
export async function insertConcurrently (crowd: readonly Member[], prefix: string, total: number): Promise<MutationsResult> {
  const each = Math.max(1, Math.ceil(total / crowd.length))
  const latencies: number[] = []
  const started = performance.now()
  await Promise.all(crowd.map(async ({ client, target }, i) => { await insertSequentially(client, target, `${prefix}-client-${i}`, each, latencies) }))
  return { latencies, seconds: (performance.now() - started) / 1000 }
}
