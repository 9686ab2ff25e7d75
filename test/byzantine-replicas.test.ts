import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { newMutableData, quorumOf, type DecisionCertificate, type MutableData, type XorName } from '@safemesh/protocol'
import { forgedCertificate } from './support/commits.js'
import { eventually } from './support/testnet.js'
import { useNetwork } from './support/fixture.js'
import { mutate, openAccount, outcome, text } from './support/accounts.js'
import { grindClientKey, placeRogues } from './support/grind.js'
import { withRogues } from './support/rogue-group.js'
import { agree, answer, relayReads, promiseLikeAMember, voteLikeAMember } from './support/rogue-behaviours.js'
import { describeMData, honestMembers, quorumRead, replicasAt } from './support/replicas.js'
import { tallyAnswers, type RogueNode } from './support/rogue.js'
import type { RawClient } from './support/raw-client.js'

const G = 8
const TAG = 20_000
/** The highest sequence number a replica can carry: one more cannot be encoded. */
const FREEZING_SEQ = Number.MAX_SAFE_INTEGER

/**
 * Issue 11, attack 1: a member of a MutableData's close group pushes
 * (`PushMData`) a replica of its making to the other members: a forged one
 * (owned by the attacker) at a huge seq, the true one at the highest seq (to
 * freeze it), and one for a name nobody has taken (to squat it). Each push
 * also carries a decision certificate the colluders made: Q valid votes for
 * the pushed replica, signed by every rogue and by keys ground offline.
 */
describe(`byzantine: MutableData is never rewritten by a push (12 nodes, G = ${G}, Q = 5)`, () => {
  const net = useNetwork(12, { groupSize: G })

  async function pushAttack (colluders: number): Promise<void> {
    const { owner, testnet } = net
    const nodes = testnet.records().map(r => r.peerId as string)
    // Followers only (a rogue sequencer is attack 3), and none among the Maid-Managers of the
    // owner or of the attacker's own account: those groups stay honest.
    const { keys, ids, names } = await placeRogues({ nodes, count: colluders, groupSize: G, rank: 'follower', awayFrom: [owner.account], nameCount: 3 })
    const [stolenName, frozenName, squatted] = names as [XorName, XorName, XorName]
    const attacker = await net.connect(await grindClientKey([...nodes, ...ids], G, group => !group.some(id => ids.includes(id))))
    await openAccount(attacker)
    const stolen = newMutableData({ name: stolenName, tag: TAG, owners: [owner.key], entries: [{ key: text('k'), content: text('mine') }] })
    const frozen = newMutableData({ name: frozenName, tag: TAG, owners: [owner.key], entries: [{ key: text('k'), content: text('mine') }] })
    // The owner's normal path before the attack.
    await net.putMData(stolen)
    await net.putMData(frozen)

    await withRogues(testnet, {
      keys,
      near: [stolen.name, frozen.name, squatted],
      clients: [owner, attacker],
      configure: rogue => {
        rogue.on('PushMData', answer({ type: 'Ack' })).on('PushAccount', answer({ type: 'Ack' })).on('PushChunk', answer({ type: 'Ack' }))
        // Q − 1 colluders pass for honest Data-Managers otherwise (they vote with the honest
        // members and read truthfully), or no client could act on these names at all: the
        // test is about what a push does, not about 4 of 8 members refusing to work.
        if (colluders > 1) {
          const vote = voteLikeAMember(rogue)
          rogue.on('Forward', agree()).on('Commit', vote).on('Propose', vote).on('Prepare', promiseLikeAMember())
          relayReads(rogue, nodes)
        }
      }
    }, async (rogues) => {
      const forged = newMutableData({ name: stolen.name, tag: TAG, owners: [attacker.key], entries: [{ key: text('k'), content: text('stolen') }] })
      const squat = newMutableData({ name: squatted, tag: TAG, owners: [attacker.key], entries: [{ key: text('k'), content: text('squatted') }] })
      const strangers = await Promise.all(Array.from({ length: quorumOf(G) - rogues.length }, async () => await generateKeyPair('Ed25519')))
      const certified = async (data: MutableData, seq: number): Promise<{ data: MutableData, seq: number, certificate: DecisionCertificate }> =>
        ({ data, seq, certificate: await forgedCertificate([...rogues.map(r => r.privateKey), ...strangers], data, seq) })
      const pushes: Array<[XorName, { data: MutableData, seq: number, certificate?: DecisionCertificate }]> = [
        // Certified first: a push arriving while a hand-over of that name runs joins it, and a certified one is checked at once.
        [stolen.name, await certified(forged, 2_000_000)],
        [frozen.name, await certified(frozen, FREEZING_SEQ - 1)],
        [squatted, await certified(squat, 6)],
        [stolen.name, { data: forged, seq: 1_000_000 }],
        [frozen.name, { data: frozen, seq: FREEZING_SEQ }],
        [squatted, { data: squat, seq: 5 }]
      ]
      for (const [name, push] of pushes) {
        const answers = await Promise.all(rogues.map(async rogue => await rogue.sendEach(othersIn(rogue, name), { type: 'PushMData', ...push })))
        console.info(`PushMData seq ${push.seq}${push.certificate != null ? ' (certified by the rogues and strangers)' : ''} from ${rogues.length} rogue(s): ${tallyAnswers(answers.flat())}`)
      }

      // Right after the pushes were answered: what honest members hold, what a client reads.
      await expectHeld(rogues, stolen, describeMData(stolen))
      await expectHeld(rogues, frozen, describeMData(frozen))
      expect.soft(await quorumRead(owner, squatted, TAG), 'quorum read of the squatted name').toEqual({ error: 'NoSuchData' })
      expect.soft(await replicasAt(owner, honestMembers(testnet, squatted, rogues), squatted, TAG), 'honest members of the squatted name')
        .toEqual(Array(G - rogues.length).fill({ error: 'NoSuchData' }))

      // The attacker, through an account of its own, gets nowhere.
      const insert = (content: string) => ({ key: text(`by ${content}`), action: { kind: 'Insert' as const, content: text(content) } })
      expect.soft(await outcome(mutate(attacker, { type: 'MutateMDataEntries', name: stolen.name, tag: TAG, actions: [insert('attacker')] }), 'the attacker mutating the pushed-over data'), 'the attacker mutating the pushed-over data').not.toBe('ok')
      expect.soft(await outcome(mutate(attacker, { type: 'MutateMDataEntries', name: squatted, tag: TAG, actions: [insert('attacker')] }), 'the attacker mutating the squatted name'), 'the attacker mutating the squatted name').not.toBe('ok')

      // The owner still can, and the name nobody had is the first honest putter's.
      const mine = newMutableData({ name: squatted, tag: TAG, owners: [owner.key], entries: [{ key: text('k'), content: text('mine') }] })
      expect.soft(await outcome(mutate(owner, { type: 'MutateMDataEntries', name: stolen.name, tag: TAG, actions: [insert('owner')] }), 'the owner mutating its data'), 'the owner mutating its data').toBe('ok')
      expect.soft(await outcome(mutate(owner, { type: 'MutateMDataEntries', name: frozen.name, tag: TAG, actions: [insert('owner')] }), 'the owner mutating its frozen data'), 'the owner mutating its frozen data').toBe('ok')
      expect.soft(await outcome(net.putMData(mine), 'the owner putting data at the squatted name'), 'the owner putting data at the squatted name').toBe('ok')

      const withOwners = (md: MutableData): Record<string, unknown> => {
        const described = describeMData(md)
        return { ...described, entries: { ...(described.entries as object), 'by owner': 'owner@0' } }
      }
      await expectHeld(rogues, stolen, withOwners(stolen), true)
      await expectHeld(rogues, frozen, withOwners(frozen), true)
      await expectHeld(rogues, mine, describeMData(mine), true)
    })

    /**
     * Every honest member holds `expected`, and a quorum read says so. After a mutation, its
     * success needs only Q members: the others may still be applying it, hence `settling`.
     */
    async function expectHeld (rogues: RogueNode[], md: MutableData, expected: Record<string, unknown>, settling = false): Promise<void> {
      const honest = honestMembers(testnet, md.name, rogues)
      const all = async (): Promise<unknown[]> => await replicasAt(owner, honest, md.name, md.tag)
      if (settling) await eventually(async () => JSON.stringify(await all()) === JSON.stringify(honest.map(() => expected)), 10_000).catch(() => {})
      expect.soft(await quorumRead(owner, md.name, md.tag), `quorum read of ${label(md)}`).toEqual(expected)
      expect.soft(await all(), `each honest member's replica of ${label(md)}`).toEqual(honest.map(() => expected))
    }
    function label (md: MutableData): string {
      return md.name === stolen.name ? 'the pushed-over data' : md.name === frozen.name ? 'the frozen data' : 'the squatted name'
    }
  }

  it('one rogue member pushing a forged replica, a freezing seq and a squatting replica changes nothing', async () => {
    await pushAttack(1)
  })

  it('four colluding members (Q − 1) pushing the same change nothing', async () => {
    await pushAttack(4)
  })
})

function othersIn (rogue: RogueNode, name: XorName): ReturnType<RawClient['routing']['closeGroup']> {
  return rogue.routing.closeGroup(name).filter(p => !p.equals(rogue.peerId))
}
