import { randomBytes } from 'node:crypto'
import { newMutableData, randomXorName, type Mutation, type WireReply, type XorName } from '@safemesh/protocol'
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
  return await client.quorum(account, { ...fields, account, requester: client.key, messageId: messageId() } as Mutation)
}

export async function mutationsDone (client: RawClient): Promise<number> {
  const reply = await client.quorum(client.account, { type: 'GetAccountInfo', account: client.account, requester: client.key })
  if (reply.type !== 'GetAccountInfo') throw new Error(`unexpected ${reply.type}`)
  return reply.mutationsDone
}
