/** Step 1: an account, `count` small MutableData, and every replica of each in place. */
import { randomBytes } from 'node:crypto'
import { isSafeMeshError, newMutableData, randomXorName, type MutableData, type Mutation } from '@safemesh/protocol'
import { progress } from '../lib/progress.js'
import { closeGroupOf, type Member } from './membership.js'
import { forEachLimited } from './wait.js'
import type { RawClient } from './raw-client.js'

const TAG = 20_000
/** A PutMData that fails (Timeout, NoQuorum on a busy machine) is sent again, this many times in all. */
const ATTEMPTS = 3

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const messageId = (): Uint8Array => new Uint8Array(randomBytes(32))

async function mutate (client: RawClient, fields: Record<string, unknown>): Promise<void> {
  await client.quorum(client.account, { ...fields, account: client.account, requester: client.key, messageId: messageId() } as Mutation)
}

/** Opens the client's account: the PutMData of a session packet to its own Maid-Managers (test/support/accounts.ts). */
export async function openAccount (client: RawClient): Promise<void> {
  const packet = newMutableData({ name: randomXorName(), tag: 0, owners: [client.key], entries: [{ key: text('Login'), content: text('sealed') }] })
  await mutate(client, { type: 'PutMData', data: packet })
}

/** A small MutableData of the client's: `entries` entries of 32 random bytes. */
export function smallMutableData (client: RawClient, entries: number): MutableData {
  return newMutableData({
    name: randomXorName(),
    tag: TAG,
    owners: [client.key],
    entries: Array.from({ length: entries }, (_, i) => ({ key: text(`key-${i}`), content: new Uint8Array(randomBytes(32)) }))
  })
}

export interface PutReport {
  seconds: number
  /** PutMData sent again after a failure. */
  retries: number
}

/** Stores every one of `data`, `concurrency` PutMData at once. */
export async function putAll (client: RawClient, data: readonly MutableData[], concurrency: number, signal: AbortSignal): Promise<PutReport> {
  const started = performance.now()
  let retries = 0
  let done = 0
  await forEachLimited(data, concurrency, async (md, i) => {
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted()
      try {
        await mutate(client, { type: 'PutMData', data: md })
        break
      } catch (err) {
        // A retry of a PutMData that did get applied the first time finds the name taken.
        if (attempt > 1 && isSafeMeshError(err) && err.code === 'DataExists') break
        if (attempt >= ATTEMPTS) throw new Error(`PutMData ${i + 1} of ${data.length} failed ${ATTEMPTS} times, last: ${(err as Error).message}`)
        retries++
      }
    }
    done++
    if (done % 100 === 0 || done === data.length) progress(`stored ${done} of ${data.length} MutableData`)
  })
  return { seconds: (performance.now() - started) / 1000, retries }
}

/** Whether `peer` holds `md` (a GetMDataVersion straight to it). */
export async function holds (client: RawClient, member: Member, md: MutableData): Promise<boolean> {
  try {
    const reply = await client.send(member.peer, { type: 'GetMDataVersion', name: md.name, tag: md.tag })
    return reply.type === 'GetMDataVersion'
  } catch {
    return false
  }
}

/**
 * Waits until every member of each one's close group (in `members`) holds it; resolves with
 * the seconds waited. Only the replicas still missing are asked again.
 */
export async function waitForReplicas (client: RawClient, data: readonly MutableData[], members: readonly Member[], groupSize: number, concurrency: number, timeoutMs: number, signal: AbortSignal): Promise<number> {
  const started = performance.now()
  let missing = data.flatMap(md => closeGroupOf(md.name, members, groupSize).map(member => ({ md, member })))
  const total = missing.length
  for (;;) {
    signal.throwIfAborted()
    const still: typeof missing = []
    await forEachLimited(missing, concurrency, async (replica) => {
      if (!(await holds(client, replica.member, replica.md))) still.push(replica)
    })
    missing = still
    if (missing.length === 0) return (performance.now() - started) / 1000
    if (performance.now() - started > timeoutMs) {
      const byNode = new Map<number, number>()
      for (const { member } of missing) byNode.set(member.index, (byNode.get(member.index) ?? 0) + 1)
      throw new Error(`${missing.length} of ${total} replicas still missing after ${(timeoutMs / 1000).toFixed(0)} s (by node: ${[...byNode].map(([n, c]) => `node ${n}: ${c}`).join(', ')})`)
    }
    progress(`${total - missing.length} of ${total} replicas in place`)
    await new Promise(resolve => setTimeout(resolve, 1_000))
  }
}
