import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { SafeMeshError, forwardOf, newMutableData, quorumOf, randomXorName, sha3_256, type WireMessage } from '@safemesh/protocol'
import { Authority } from '../../src/personas/data-manager/authority.js'
import { answerOf, inProcessGroup, messageId, newClient, type InProcessGroup } from './in-process-group.js'

let group: InProcessGroup
beforeEach(async () => { group = await inProcessGroup() })
afterEach(async () => { await group.close() })

describe('a Data-Manager group in process (SPEC §5 group authority)', () => {
  it('applies a mutation only once Q distinct Maid-Managers forwarded it, never on Q − 1', async () => {
    const client = await newClient()
    const data = newMutableData({ name: randomXorName(), tag: 20_000, owners: [client.owner] })
    const forward: WireMessage = { type: 'Forward', ...forwardOf({ type: 'PutMData', messageId: messageId(), account: client.account, requester: client.owner, data }, client.owner) }
    const q = quorumOf(group.params.groupSize)
    const forwardFrom = (voter: number): Array<Promise<unknown>> =>
      group.nodes.map(async dm => await answerOf(group.deliver(group.nodes[voter]!.peer, dm, forward)))
    const read = async (): Promise<unknown[]> => await Promise.all(group.nodes.map(async dm => await answerOf(group.deliver(client.peer, dm, { type: 'GetMDataVersion', name: data.name, tag: data.tag }))))

    // Q − 1 members forward (one of them twice: a voter counts once).
    const early = [...Array.from({ length: q - 1 }, (_, i) => forwardFrom(i + 1)).flat(), ...forwardFrom(1)]
    // Applying takes the group ~0.1 s in process; a mutation that had its quorum would be answered by then.
    const answered = await Promise.race([Promise.all(early).then(() => true), sleep(500).then(() => false)])
    expect(answered).toBe(false)
    expect(await read()).toEqual(Array(group.nodes.length).fill('NoSuchData'))

    const last = forwardFrom(q)
    const outcomes = await Promise.all([...early, ...last])
    expect(outcomes).toEqual(Array(outcomes.length).fill({ type: 'PutMData' }))
    expect(await read()).toEqual(Array(group.nodes.length).fill({ type: 'GetMDataVersion', version: 0 }))
  })

  it('refuses a Forward from a node outside the account\'s Maid-Managers', async () => {
    const client = await newClient()
    const outsider = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const data = newMutableData({ name: randomXorName(), tag: 20_000, owners: [client.owner] })
    const forward: WireMessage = { type: 'Forward', ...forwardOf({ type: 'PutMData', messageId: messageId(), account: client.account, requester: client.owner, data }, client.owner) }
    expect(await answerOf(group.deliver(outsider, group.nodes[0]!, forward))).toBe('AccessDenied')
  })
})

describe('pushed chunks (replication)', () => {
  it('a stranger\'s push is refused; an oversized one from a member is refused and not stored', async () => {
    const stranger = await newClient()
    const value = new Uint8Array(group.params.maxImmutableDataSize + 1).fill(7)
    expect(await answerOf(group.deliver(stranger.peer, group.nodes[0]!, { type: 'PushChunk', value }))).toBe('AccessDenied')
    expect(await answerOf(group.deliver(group.nodes[1]!.peer, group.nodes[0]!, { type: 'PushChunk', value }))).toBe('DataTooLarge')
    expect(await group.nodes[0]!.store.hasChunk(sha3_256(value))).toBe(false)
    // A member's push of a chunk of the allowed size is kept (every node is in every group here).
    const fits = value.subarray(0, group.params.maxImmutableDataSize)
    expect(await answerOf(group.deliver(group.nodes[1]!.peer, group.nodes[0]!, { type: 'PushChunk', value: fits }))).toEqual({ type: 'Ack' })
    expect(await group.nodes[0]!.store.hasChunk(sha3_256(fits))).toBe(true)
  })
})

describe('Authority', () => {
  it('executes once on the Q-th distinct voter and gives every voter the one outcome', async () => {
    const voters = await Promise.all(Array.from({ length: 4 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const authority = new Authority<string>(3, 5_000)
    let executions = 0
    const vote = async (i: number): Promise<string> => await authority.vote(new Uint8Array([1]), voters[i]!, async () => { executions++; return 'done' })
    const outcomes = await Promise.all([vote(0), vote(0), vote(1), vote(2), vote(3)])
    expect(outcomes).toEqual(Array(5).fill('done'))
    expect(executions).toBe(1)
    authority.clear()
  })

  it('never executes on Q − 1 voters, however often they vote, and tells them NoQuorum', async () => {
    const voters = await Promise.all(Array.from({ length: 2 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const authority = new Authority<string>(3, 50)
    let executions = 0
    const vote = async (i: number): Promise<string> => await authority.vote(new Uint8Array([2]), voters[i]!, async () => { executions++; return 'done' })
    const outcomes = await Promise.allSettled([vote(0), vote(1), vote(0), vote(1)])
    expect(outcomes.map(o => o.status === 'rejected' && o.reason instanceof SafeMeshError ? o.reason.code : o.status)).toEqual(Array(4).fill('NoQuorum'))
    expect(executions).toBe(0)
    authority.clear()
  })

  it('keeps no Timeout as a ballot\'s outcome: a retry after it executes afresh', async () => {
    const voters = await Promise.all(Array.from({ length: 2 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const authority = new Authority<string>(2, 5_000)
    let executions = 0
    const vote = async (i: number): Promise<string> => await authority.vote(new Uint8Array([3]), voters[i]!, async () => {
      executions++
      if (executions === 1) throw new SafeMeshError('Timeout', 'no Maid-Manager gave the bytes')
      return 'done'
    })
    const first = await Promise.allSettled([vote(0), vote(1)])
    expect(first.map(o => o.status === 'rejected' ? (o.reason as SafeMeshError).code : o.value)).toEqual(['Timeout', 'Timeout'])
    expect(await Promise.all([vote(0), vote(1)])).toEqual(['done', 'done'])
    expect(executions).toBe(2)
    authority.clear()
  })

  it('keeps at most 4,096 ballots short of quorum per forwarder; a quorum frees its place', async () => {
    const [colluder, honest] = await Promise.all(Array.from({ length: 2 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const authority = new Authority<string>(2, 60_000)
    const id = (n: number): Uint8Array => new Uint8Array([n >> 16, (n >> 8) & 255, n & 255])
    const waiting = Array.from({ length: 4096 }, async (_, n) => await authority.vote(id(n), colluder!, async () => 'done'))
    for (const w of waiting) w.catch(() => {})
    await expect(authority.vote(id(4096), colluder!, async () => 'done')).rejects.toMatchObject({ code: 'InvalidOperation' })
    // Another forwarder is not held back, and its vote completes one of the colluder's ballots.
    expect(await authority.vote(id(0), honest!, async () => 'done')).toBe('done')
    expect(await waiting[0]).toBe('done')
    const next = authority.vote(id(4096), colluder!, async () => 'done')
    next.catch(() => {})
    expect(await authority.vote(id(4096), honest!, async () => 'done')).toBe('done')
    authority.clear()
  })
})
