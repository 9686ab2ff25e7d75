import { afterEach, describe, expect, it } from 'vitest'
import {
  FORWARD_INLINE_BYTES, bytesToHex, chargeOf, encodeMessage, quorumOf, encodeRequest, forwardOf, newMutableData, randomXorName, sha3_256, type Mutation, type WireMessage
} from '@safemesh/protocol'
import { answerOf, inProcessGroup, messageId, newClient, openingOf, sendToAccountGroup, type Client, type InProcessGroup } from './in-process-group.js'

let group: InProcessGroup | undefined
afterEach(async () => { await group?.close(); group = undefined })

/** A PutMData of `client` whose one entry makes it about `bytes` long. */
function bigPut (client: Client, bytes: number): Mutation {
  const data = newMutableData({ name: randomXorName(), tag: 20_000, owners: [client.owner], entries: [{ key: new Uint8Array([1]), content: new Uint8Array(bytes).fill(9) }] })
  return { type: 'PutMData', messageId: messageId(), account: client.account, requester: client.owner, data }
}

describe('Forwards carry a digest (issue 14: MutableData bytes travel once)', () => {
  it('a long PutMData reaches each Data-Manager once, fetched after quorum, not in G × G Forwards', async () => {
    const sent: Array<{ type: WireMessage['type'], bytes: number }> = []
    group = await inProcessGroup({ wire: (_from, _to, message) => { sent.push({ type: message.type, bytes: encodeMessage(message).byteLength }); return true } })
    const client = await newClient()
    expect(await sendToAccountGroup(group, client, openingOf(client))).toEqual(Array(8).fill({ type: 'PutMData' }))
    sent.length = 0

    const put = bigPut(client, 200_000)
    expect(encodeRequest(put).byteLength).toBeGreaterThan(200_000)
    expect(await sendToAccountGroup(group, client, put)).toEqual(Array(8).fill({ type: 'PutMData' }))

    const forwards = sent.filter(m => m.type === 'Forward')
    // Every Maid-Manager forwards to every Data-Manager (all 8 nodes are both here), itself excepted.
    expect(forwards.length).toBeGreaterThanOrEqual(8 * 7)
    expect(Math.max(...forwards.map(f => f.bytes))).toBeLessThan(1024)
    // Each Data-Manager fetched the bytes once (from another node; its own forward is delivered locally).
    expect(sent.filter(m => m.type === 'GetForwarded').length).toBeLessThanOrEqual(8)
    const applied = sent.filter(m => m.type === 'Applied')
    expect(applied.length).toBeGreaterThan(0)
    expect(Math.max(...applied.map(a => a.bytes))).toBeLessThan(1024)
    const read = await Promise.all(group.nodes.map(async dm => await answerOf(group!.deliver(client.peer, dm, { type: 'GetMDataValue', name: (put as { data: { name: Uint8Array } }).data.name, tag: 20_000, key: new Uint8Array([1]) }))))
    // Compared by digest: a deep comparison of 8 × 200 kB takes vitest seconds.
    const expected = bytesToHex(sha3_256(new Uint8Array(200_000).fill(9)))
    expect(read.map(a => typeof a !== 'string' && a.type === 'GetMDataValue' ? bytesToHex(sha3_256(a.value.content)) : a)).toEqual(Array(8).fill(expected))
  })

  it('passes over a Maid-Manager that does not give the bytes', async () => {
    let refusedOnce = 0
    // The first fetch each Data-Manager makes is lost: it asks the next voter.
    const asked = new Set<unknown>()
    group = await inProcessGroup({
      wire: (from, _to, message) => {
        if (message.type !== 'GetForwarded' || asked.has(from)) return true
        asked.add(from)
        refusedOnce++
        return false
      }
    })
    const client = await newClient()
    await sendToAccountGroup(group, client, openingOf(client))
    expect(await sendToAccountGroup(group, client, bigPut(client, 50_000))).toEqual(Array(8).fill({ type: 'PutMData' }))
    expect(refusedOnce).toBeGreaterThan(0)
  })

  it('refuses inline bytes that are not the digest\'s, and a fetch by a node outside the executing group', async () => {
    group = await inProcessGroup()
    const client = await newClient()
    await sendToAccountGroup(group, client, openingOf(client))
    const small = bigPut(client, 100)
    const forward = forwardOf(small, client.owner)
    expect(forward.mutation).toBeDefined()
    const other = encodeRequest(bigPut(client, 100))
    expect(other.byteLength).toBeLessThanOrEqual(FORWARD_INLINE_BYTES)
    const [from, to] = group.nodes
    expect(await answerOf(group.deliver(from!.peer, to!, { type: 'Forward', ...forward, mutation: other }))).toBe('InvalidRequest')
    // A stranger (not a node) may not ask for forwarded bytes at all.
    expect(await answerOf(group.deliver(client.peer, to!, { type: 'GetForwarded', digest: forward.digest }))).toBe('AccessDenied')
  })

  it('charges on Applied only when Q members send the very same charge: Q − 1 colluders\' forged charge moves nothing', async () => {
    group = await inProcessGroup()
    const client = await newClient()
    await sendToAccountGroup(group, client, openingOf(client))
    const q = quorumOf(group.params.groupSize)
    const [target, ...others] = group.nodes
    const done = async (): Promise<number> => (await target!.personas.maidManager.accounts.get(client.account))?.mutationsDone ?? -1
    const before = await done()
    const charge = chargeOf(bigPut(client, 10), new Uint8Array(32).fill(5))
    for (const colluder of others.slice(0, q - 1)) {
      expect(await answerOf(group.deliver(colluder.peer, target!, { type: 'Applied', charge }))).toEqual({ type: 'Ack' })
    }
    // A Q-th member naming another digest is another charge: still Q − 1 for each.
    expect(await answerOf(group.deliver(others[q - 1]!.peer, target!, { type: 'Applied', charge: { ...charge, digest: new Uint8Array(32).fill(6) } }))).toEqual({ type: 'Ack' })
    expect(await done()).toBe(before)
    // A stranger's word does not count at all.
    expect(await answerOf(group.deliver(client.peer, target!, { type: 'Applied', charge }))).toBe('AccessDenied')
    expect(await answerOf(group.deliver(others[q]!.peer, target!, { type: 'Applied', charge }))).toEqual({ type: 'Ack' })
    expect(await done()).toBe(before + 1)
  })
})
