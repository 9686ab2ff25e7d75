import { afterEach, describe, expect, it } from 'vitest'
import {
  bytesToHex, closestTo, forwardOf, kadPositionOfName, kadPositionOfPeer, newMutableData, quorumOf, randomXorName,
  type MutableData, type Mutation
} from '@safemesh/protocol'
import { replicaKey } from '../../src/personas/data-manager/replica-store.js'
import { answerOf, inProcessGroup, messageId, newClient, type Client, type InProcessGroup } from './in-process-group.js'

type Node = InProcessGroup['nodes'][number]

let group: InProcessGroup | undefined
afterEach(async () => { await group?.close() })

/** Each member's replica as `seq/digest` (read from its store, as a hand-over would see it). */
async function replicas (nodes: readonly Node[], md: MutableData): Promise<string[]> {
  return await Promise.all(nodes.map(async node => {
    const replica = await node.personas.dataManager.replicas.get(replicaKey(md.name, md.tag))
    return `${replica.seq}/${bytesToHex(replica.digest ?? new Uint8Array())}`
  }))
}

/** Polls until `check` holds or `ms` pass; the last value either way. */
async function eventually<T> (read: () => Promise<T>, check: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  let value = await read()
  while (!check(value) && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 50))
    value = await read()
  }
  return value
}

describe('decision certificates: a step decided by Q voters survives a voter that never applies it', () => {
  it('brings every member to a step that only Q − 1 members applied, on the Q signed votes they kept', async () => {
    // The soak's failure, staged: a step reaches quorum at 5 members (Q), all 5 vote, but one of them
    // never sees the others' votes (killed or cut off between its vote and its apply). 4 members
    // (Q − 1) apply it; the 4 others, behind, can find no Q members vouching for it now.
    const cut: { voter?: Node, sequencer?: Node } = {}
    // The cut-off voter still gets the sequencer's Commit (its proposal rides in it), so it votes.
    group = await inProcessGroup({ wire: (from, to, message) => !(message.type === 'Commit' && to === cut.voter && from !== cut.sequencer) })
    const { nodes, params } = group
    const q = quorumOf(params.groupSize)
    const client: Client = await newClient()
    const md = newMutableData({ name: randomXorName(), tag: 20_000, owners: [client.owner] })
    const byCloseness = closestTo(kadPositionOfName(md.name), [...nodes], nodes.length, n => kadPositionOfPeer(n.peer.toMultihash().bytes))
    const forward = (mutation: Mutation, to: readonly Node[]): Array<Promise<unknown>> =>
      nodes.slice(0, q).flatMap(maidManager => to.map(async dm => await answerOf(group!.deliver(maidManager.peer, dm, { type: 'Forward', ...forwardOf(mutation, client.owner) }))))

    await Promise.all(forward({ type: 'PutMData', messageId: messageId(), account: client.account, requester: client.owner, data: md }, nodes))
    const created = await replicas(nodes, md)
    expect(new Set(created).size).toBe(1)
    const seq = Number(created[0]?.split('/')[0]) + 1

    // The sequencer (nearest) and the next 4 get the mutation; the 5th of them votes but is cut off from the votes.
    const ready = byCloseness.slice(0, q)
    cut.sequencer = ready[0]
    cut.voter = ready[q - 1]
    const insert = { type: 'MutateMDataEntries' as const, messageId: messageId(), account: client.account, requester: client.owner, name: md.name, tag: md.tag, actions: [{ key: new Uint8Array([1]), action: { kind: 'Insert' as const, content: new Uint8Array([2]) } }] }
    const outcomes = forward(insert, ready)
    const applied = await eventually(async () => await replicas(nodes, md), states => states.filter(s => s.startsWith(`${seq}/`)).length >= q - 1, 10_000)
    const decided = applied.find(s => s.startsWith(`${seq}/`))
    expect(decided).toBeDefined()

    // Every member, the cut-off voter and the three that never had the mutation included, ends at the decided step.
    const settled = await eventually(async () => await replicas(nodes, md), states => states.every(s => s === decided), 20_000)
    expect(settled).toEqual(Array(nodes.length).fill(decided))
    for (const node of nodes) {
      const replica = await node.personas.dataManager.replicas.get(replicaKey(md.name, md.tag))
      expect(replica.certificate?.seq).toBe(seq)
      expect(replica.certificate?.votes.length).toBeGreaterThanOrEqual(q)
    }
    // The cut-off voter settles its copy of the mutation from the certificate: every ready member answers the outcome.
    expect(await Promise.all(outcomes)).toEqual(Array(outcomes.length).fill({ type: 'MutateMDataEntries' }))
  }, 40_000)
})
