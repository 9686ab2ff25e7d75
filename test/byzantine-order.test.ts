import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { newMutableData, type EntryAction, type MutableData, type Mutation, type XorName } from '@safemesh/protocol'
import { eventually } from './support/testnet.js'
import { useNetwork } from './support/fixture.js'
import { messageId, mutateWithRetries, outcome, text } from './support/accounts.js'
import { placeRogues, type Rank } from './support/grind.js'
import { withRogues } from './support/rogue-group.js'
import { agree, answer, refuse, relayReads, silent, promiseLikeAMember, voteLikeAMember } from './support/rogue-behaviours.js'
import { currentSeq, floodSplitCommits, mutationOf, requestIdOf, requestIdSeenBy, signedCommit } from './support/commits.js'
import { describeMData, honestMembers, quorumRead, replicasAt } from './support/replicas.js'
import type { RogueNode } from './support/rogue.js'
import type { PrivateKey } from '@libp2p/interface'

const G = 8
const TAG = 20_000
/** A step far beyond any the data has reached. */
const FAR = 1_000_000
/** Pairs of conflicting mutations the owner races: two inserts of one key, then an update racing a delete of another, and so on. */
const RACES = 8
/** How long the owner's client keeps retrying one mutation (the same request) before it gives up. */
const RETRYING_MS = 60_000

/**
 * Issue 11, attack 3: the order of a MutableData's mutations comes from
 * anyone. A member that is not the sequencer commits conflicting mutations in
 * the wrong order; the sequencer itself hands out a forged replica after a
 * far commit, or never orders at all.
 */
describe(`byzantine: order comes only from the sequencer (12 nodes, G = ${G}, Q = 5)`, () => {
  const net = useNetwork(12, { groupSize: G })

  /** Rogue keys at `rank` in the close group of a fresh MutableData of the owner's (put before they join). */
  async function setUp (count: number, rank: Rank): Promise<{ keys: PrivateKey[], md: MutableData }> {
    const nodes = net.testnet.records().map(r => r.peerId as string)
    const { keys, names } = await placeRogues({ nodes, count, groupSize: G, rank, awayFrom: [net.owner.account], nameCount: 1 })
    const start = ['k', ...Array.from({ length: RACES / 2 }, (_, i) => `u${2 * i + 2}`)].map(key => ({ key: text(key), content: text('start') }))
    const md = newMutableData({ name: names[0] as XorName, tag: TAG, owners: [net.owner.key], entries: start })
    expect(await mutateWithRetries(net.owner, { type: 'PutMData', data: md }, net.owner.account, RETRYING_MS), 'the owner putting its data').toEqual({ type: 'PutMData' })
    return { keys, md }
  }

  /**
   * Every honest member holds the same replica (given time to apply what was acknowledged), and a
   * quorum read returns it. Resolves with the quorum read; `each` receives every honest member's replica.
   */
  async function expectAgreed (rogues: RogueNode[], md: MutableData, each?: (replicas: unknown[]) => void): Promise<Record<string, unknown> | undefined> {
    const honest = honestMembers(net.testnet, md.name, rogues)
    const replicas = async (): Promise<string[]> => (await replicasAt(net.owner, honest, md.name, md.tag)).map(r => JSON.stringify(r))
    await eventually(async () => new Set(await replicas()).size === 1, 15_000).catch(() => {})
    const held = await replicas()
    each?.(held.map(r => JSON.parse(r) as unknown))
    expect.soft(new Set(held).size, `honest members hold ${new Set(held).size} different replicas:\n${held.join('\n')}`).toBe(1)
    const read = await quorumRead(net.owner, md.name, md.tag)
    expect.soft(JSON.stringify(read), 'the quorum read equals the honest replica').toBe(held[0])
    return read as Record<string, unknown>
  }

  /**
   * The owner races two conflicting mutations, three times, while the rogues
   * (members, not the sequencer) commit each pair in both orders, each order to
   * half of the members. Exactly one of each pair may succeed, and every
   * replica must hold the winner.
   */
  async function reorderAttack (count: number): Promise<void> {
    const { keys, md } = await setUp(count, 'follower')
    const { owner, testnet } = net
    await withRogues(testnet, {
      keys,
      near: [md.name],
      clients: [owner],
      configure: rogue => {
        rogue.on('PushMData', answer({ type: 'Ack' })).on('Commit', answer({ type: 'Ack' })).on('Propose', answer({ type: 'Ack' }))
        // Q − 1 colluders vote with the honest members and read truthfully, or no mutation
        // could reach a quorum at all (see byzantine-replicas).
        if (count > 1) {
          const vote = voteLikeAMember(rogue)
          rogue.on('Forward', agree()).on('Commit', vote).on('Propose', vote).on('Prepare', promiseLikeAMember())
          relayReads(rogue, testnet.records().map(r => r.peerId as string))
        }
      }
    }, async (rogues) => {
      const honest = honestMembers(testnet, md.name, rogues)
      const mutation = (key: string, action: EntryAction): Mutation =>
        ({ type: 'MutateMDataEntries', account: owner.account, requester: owner.key, messageId: messageId(), name: md.name, tag: TAG, actions: [{ key: text(key), action }] })
      // A reordering only shows when a follower has both mutations ready before the sequencer's
      // commit of the first reaches it: a race, so the owner races several pairs.
      const rounds: Array<{ key: string, pair: [Mutation, Mutation], held: [string, string] }> = []
      for (let i = 1; i <= RACES; i++) {
        const key = `r${i}`
        rounds.push(i % 2 === 1
          ? { key, pair: [mutation(key, { kind: 'Insert', content: text('A') }), mutation(key, { kind: 'Insert', content: text('B') })], held: ['A@0', 'B@0'] }
          : { key: `u${i}`, pair: [mutation(`u${i}`, { kind: 'Update', content: text('updated'), version: 1 }), mutation(`u${i}`, { kind: 'Delete', version: 1 })], held: ['updated@1', '@1'] })
      }
      const outcomes: Array<[string, string]> = []
      for (const { pair } of rounds) {
        // The replica's step before the race, from an honest member (the rogue reads it like anyone).
        const bases = await Promise.all(rogues.map(async rogue => await currentSeq(rogue, md, honest[0] as NonNullable<typeof honest[0]>)))
        const racing = Promise.all(pair.map(async m => await outcome(owner.quorum(owner.account, m))))
        const flooded = await Promise.all(rogues.map(async (rogue, i) => {
          const ids = await Promise.all(pair.map(async m => await requestIdSeenBy(rogue, m)))
          return await floodSplitCommits(rogue, md, bases[i] as number, ids as [Uint8Array, Uint8Array], honest, racing)
        }))
        outcomes.push(await racing as [string, string])
        console.info(`race ${outcomes.length}: ${JSON.stringify(outcomes.at(-1))}, ${flooded.join('/')} rounds of split commits from ${rogues.length} rogue(s) at step ${bases.join('/')}`)
      }

      let replicas: unknown[] = []
      await expectAgreed(rogues, md, r => { replicas = r })
      const entriesAt = (key: string): unknown[] => replicas.map(r => (r as { entries?: Record<string, string> }).entries?.[key])
      rounds.forEach(({ key, held }, i) => {
        const [a, b] = outcomes[i] as [string, string]
        // A client never sees both of two conflicting mutations succeed, and one that it saw succeed is what the data holds.
        expect.soft([a, b].filter(o => o === 'ok'), `race ${i + 1}: ${a} / ${b}`).toHaveLength(1)
        if (count === 1) expect.soft([a, b].sort(), `race ${i + 1}: the loser's refusal`).toEqual(['InvalidEntryActions', 'ok'])
        if (a === 'ok') expect.soft(entriesAt(key), `race ${i + 1}: the first mutation succeeded, on each honest member`).toEqual(replicas.map(() => held[0]))
        if (b === 'ok') expect.soft(entriesAt(key), `race ${i + 1}: the second mutation succeeded, on each honest member`).toEqual(replicas.map(() => held[1]))
      })
    })
  }

  it('(a) one member that is not the sequencer committing conflicting mutations in both orders: every replica settles them alike', async () => {
    await reorderAttack(1)
  })

  it('(b) a sequencer that hands out a forged replica after a far commit: no honest member adopts it, and the owner\'s mutation is applied', async () => {
    const { keys, md } = await setUp(1, 'nearest')
    const { owner, testnet } = net
    const forged = newMutableData({ name: md.name, tag: TAG, owners: [randomBytes(32)], entries: [{ key: text('k'), content: text('forged') }] })
    await withRogues(testnet, {
      keys,
      near: [md.name],
      clients: [owner],
      configure: rogue => {
        rogue.on('PushMData', answer({ type: 'Ack' })).on('Commit', answer({ type: 'Ack' })).on('Propose', answer({ type: 'Ack' }))
        rogue.on('GetReplica', answer({ type: 'Replica', data: forged, seq: FAR + 10 }))
        // It reports every mutation applied, and orders it far ahead.
        rogue.on('Forward', async (message) => {
          const members = rogue.routing.closeGroup(md.name).filter(p => !p.equals(rogue.peerId))
          void signedCommit(rogue, md, requestIdOf(message), FAR + 11).then(async commit => await rogue.sendEach(members, commit))
          return { type: mutationOf(message).type }
        })
      }
    }, async ([rogue]) => {
      if (rogue == null) throw new Error('no rogue')
      const followers = rogue.routing.closeGroup(md.name).filter(p => !p.equals(rogue.peerId))
      await rogue.sendEach(followers, await signedCommit(rogue, md, new Uint8Array(randomBytes(32)), FAR))
      const result = await mutateWithRetries(owner, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [{ key: text('by owner'), action: { kind: 'Insert', content: text('mine') } }] }, owner.account, RETRYING_MS)
      console.info(`the owner's mutation under a lying sequencer: ${JSON.stringify(result)}`)
      const read = await expectAgreed([rogue], md)
      expect.soft(read, 'what every honest member holds').toEqual({ ...describeMData(md), entries: { ...(describeMData(md).entries as object), 'by owner': 'mine@0' } })
      expect.soft(result, 'the owner\'s mutation').toEqual({ type: 'MutateMDataEntries' })
    })
  })

  for (const [title, configure] of [
    ['silent: answers nothing', (rogue: RogueNode) => { rogue.otherwise(silent()) }],
    ['that reports mutations applied but never orders them', (rogue: RogueNode) => { rogue.on('Forward', agree()).on('PushMData', answer({ type: 'Ack' })).otherwise(refuse()) }]
  ] as const) {
    it(`(c) a sequencer ${title}: the owner's mutation succeeds within the client's retries, and every replica holds it`, async () => {
      const { keys, md } = await setUp(1, 'nearest')
      const { owner, testnet } = net
      await withRogues(testnet, { keys, near: [md.name], clients: [owner], configure }, async (rogues) => {
        const started = Date.now()
        const result = await mutateWithRetries(owner, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [{ key: text('by owner'), action: { kind: 'Insert', content: text('mine') } }] }, owner.account, RETRYING_MS)
        console.info(`the owner's mutation under a sequencer ${title}: ${JSON.stringify(result)} after ${Date.now() - started} ms`)
        expect.soft(result, 'the owner\'s mutation').toEqual({ type: 'MutateMDataEntries' })
        const read = await expectAgreed(rogues, md)
        expect.soft(read, 'what every honest member holds').toEqual({ ...describeMData(md), entries: { ...(describeMData(md).entries as object), 'by owner': 'mine@0' } })
      })
    })
  }

  it('(d) four colluding members (Q − 1), none the sequencer, committing conflicting mutations in both orders: every replica settles them alike', async () => {
    await reorderAttack(4)
  })
})
