import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { isSafeMeshError, newMutableData, randomXorName, type Mutation, type WireReply, type XorName } from '@safemesh/protocol'
import type { RawClient } from './raw-client.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
export type MutationFields = DistributiveOmit<Mutation, 'account' | 'requester' | 'messageId'>

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
export const messageId = (): Uint8Array => new Uint8Array(randomBytes(32))

/** Opens `client`'s account: the PutMData of a session packet to its own Maid-Managers. */
export async function openAccount (client: RawClient): Promise<void> {
  const packet = newMutableData({ name: randomXorName(), tag: 0, owners: [client.key], entries: [{ key: text('Login'), content: text('sealed') }] })
  await client.quorum(client.account, { type: 'PutMData', account: client.account, requester: client.key, messageId: messageId(), data: packet })
}

/** A mutation by `client` charged to `account` (its own, or the owner's when it acts as an app). */
export async function mutate (client: RawClient, fields: MutationFields, account: XorName = client.account): Promise<WireReply> {
  return await client.quorum(account, { ...fields, account, requester: client.key, messageId: messageId() })
}

/**
 * A mutation retried as the client library retries it (the same request, on `Timeout` or
 * `NoQuorum`, waits doubling from 0.5 s to 4 s), for up to `forMs`: resolves with its last
 * outcome, the reply or the refusal, rather than throwing.
 */
export async function mutateWithRetries (client: RawClient, fields: MutationFields, account: XorName, forMs: number): Promise<WireReply | { error: string }> {
  const request = { ...fields, account, requester: client.key, messageId: messageId() }
  const deadline = Date.now() + forMs
  let delay = 500
  while (true) {
    try {
      return await client.quorum(account, request)
    } catch (err) {
      const code = isSafeMeshError(err) ? err.code : (err as Error).message
      if ((code !== 'Timeout' && code !== 'NoQuorum') || Date.now() + delay > deadline) return { error: code }
    }
    await sleep(delay)
    delay = Math.min(delay * 2, 4_000)
  }
}

/** How a request ended, as a test states it: 'ok', or the code it was refused with; logged under `label` when given. */
export async function outcome (request: Promise<unknown>, label?: string): Promise<string> {
  let result: string
  try {
    await request
    result = 'ok'
  } catch (err) {
    result = isSafeMeshError(err) ? err.code : (err as Error).message
    // SHOW_ERRORS=1 prints what a group answered, for following a failing attack test.
    if (process.env.SHOW_ERRORS != null) console.info(`outcome: ${(err as Error).message}`)
  }
  if (label != null) console.info(`${label}: ${result}`)
  return result
}

export async function mutationsDone (client: RawClient): Promise<number> {
  const reply = await client.quorum(client.account, { type: 'GetAccountInfo', account: client.account, requester: client.key })
  if (reply.type !== 'GetAccountInfo') throw new Error(`unexpected ${reply.type}`)
  return reply.mutationsDone
}
