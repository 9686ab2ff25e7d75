import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import {
  accountNameOf, decodeReply, encodeMessage, forwardOf, isSafeMeshError, newMutableData, proposalBytes, randomXorName, voteBytes,
  type Mutation, type WireMessage, type WireReply, type XorName
} from '@safemesh/protocol'
import type { PeerId } from '@libp2p/interface'
import { useNetwork } from './support/fixture.js'
import { eventually } from './support/testnet.js'
import { messageId, mutate, mutationsDone, openAccount, outcome, text } from './support/accounts.js'
import { grindName, trueGroup } from './support/grind.js'
import { liveBytes, metric, mib } from './support/node-metrics.js'
import { withRogues } from './support/rogue-group.js'
import type { RawClient } from './support/raw-client.js'
import type { RogueNode } from './support/rogue.js'

/**
 * Issue 14's bounds against an account that amplifies refusals, a lying member (a rogue sequencer)
 * and Q − 1 colluding Maid-Managers (ground ids), each shown from outside the nodes
 * (docs/protocol.md, "Work before authentication, and what strangers may make a node hold"): what a
 * node answers, its /metrics (`safemesh_requests_in_flight`: requests from other peers being
 * served), its live memory after full collections. The routing view's bounds are shown at unit
 * level (packages/net/test/rogue-caps.test.ts).
 */

const G = 3
const NODES = 3
const TAG = 20_000

/** Refusal budget (maid-manager/refusal-budget.ts): mutations an account may have refused by its Data-Managers, refilled per second. */
const REFUSAL_BUDGET = 300
const REFILL_PER_SECOND = 2
/** The Data-Managers' wait for the rest of a forwarded mutation's quorum (data-manager/authority.ts). */
const QUORUM_TIMEOUT_MS = 15_000

interface Answer { code: string, message: string }

/** 'ok', or the code and message a node refused with. */
async function answerOf (request: Promise<unknown>): Promise<Answer> {
  try {
    await request
    return { code: 'ok', message: '' }
  } catch (err) {
    return isSafeMeshError(err) ? { code: err.code, message: err.message } : { code: 'failed', message: (err as Error).message }
  }
}

describe(`rogue caps at a ${NODES}-node testnet (G = ${G})`, () => {
  const net = useNetwork(NODES, { groupSize: G, nodeFlags: ['--expose-gc'] })
  const nodeIds = (): string[] => net.testnet.records().map(r => r.peerId as string)
  const node = (index: number): PeerId => peerIdFromString(net.testnet.record(index).peerId as string)
  const inFlight = async (index: number): Promise<number> => await metric(net.testnet, index, 'safemesh_requests_in_flight')
  /** Polls node `index`'s requests in flight until `check` holds, for `withinMs` at most; how long it took. */
  const untilInFlight = async (index: number, check: (n: number) => boolean, withinMs: number, what: string): Promise<number> => {
    let last = Number.NaN
    try {
      return await eventually(async () => check(last = await inFlight(index)), withinMs, 50)
    } catch {
      throw new Error(`node ${index} still serves ${last} requests: ${what} not within ${withinMs} ms`)
    }
  }

  it(`refuses an account's mutations at its Maid-Managers once ${REFUSAL_BUDGET} were refused by its Data-Managers, charges none, spares other accounts, and lets it go on after the ${REFILL_PER_SECOND}/s refill`, async () => {
    const amplifier = await net.connect()
    await openAccount(amplifier)
    const own = newMutableData({ name: randomXorName(), tag: TAG, owners: [amplifier.key], entries: [] })
    await net.putMData(own, amplifier)
    const charged = await mutationsDone(amplifier)
    const managers = amplifier.routing.closeGroup(amplifier.account)
    expect(managers).toHaveLength(G)

    // A mutation its Data-Managers refuse (the MutableData does not exist), sent to every
    // Maid-Manager and awaited at each, so that each one's count of refusals is known exactly.
    const refusable = (): Mutation => ({
      type: 'MutateMDataEntries',
      account: amplifier.account,
      requester: amplifier.key,
      messageId: messageId(),
      name: randomXorName(),
      tag: TAG,
      actions: [{ key: text('k'), action: { kind: 'Insert', content: text('v') } }]
    })
    // Each Maid-Manager counts for itself: at the edge of the budget one may still forward what the
    // others refuse, and that lone forward waits out the Data-Managers' quorum wait (NoQuorum after
    // 15 s). The client gives up on it sooner (a refusal takes milliseconds); it is neither refused by the budget nor by the Data-Managers.
    const toEach = async (request: Mutation): Promise<Answer[]> =>
      await Promise.all(managers.map(async peer => await answerOf(sendWithin(amplifier, peer, request, 8_000))))
    const refusedByDataManagers = managers.map(() => 0)
    const firstRefusalAt = managers.map(() => Number.POSITIVE_INFINITY)
    const byBudget: Answer[] = []
    let split = 0
    const tally = (answers: Answer[]): void => {
      answers.forEach((a, i) => {
        if (a.code === 'NoSuchData') {
          refusedByDataManagers[i] = (refusedByDataManagers[i] as number) + 1
          firstRefusalAt[i] = Math.min(firstRefusalAt[i] as number, performance.now())
        } else if (a.code === 'InvalidOperation') {
          byBudget.push(a)
        } else if (a.code === 'Timeout' || a.code === 'NoQuorum') {
          split++
        } else {
          throw new Error(`a Maid-Manager answered ${a.code}: ${a.message}`)
        }
      })
    }
    const started = performance.now()
    /** What the fullest budget has left, at most: spent from full at the first refusal, refilled since. */
    const left = (): number => Math.min(...managers.map((_, i) => REFUSAL_BUDGET - (refusedByDataManagers[i] as number) +
      (Number.isFinite(firstRefusalAt[i]) ? REFILL_PER_SECOND * (performance.now() - (firstRefusalAt[i] as number)) / 1000 : 0)))
    const forwardsRefused = async (): Promise<number> => {
      let sum = 0
      for (let i = 0; i < NODES; i++) sum += await metric(net.testnet, i, 'safemesh_requests_total', 'type="Forward",outcome="NoSuchData"')
      return sum
    }
    const forwardsBefore = await forwardsRefused()

    // Waves of 25 at once while the budget lasts; then one that surely crosses its end, by a few:
    // what is in flight when it runs out is counted late, so a wave of C overshoots by C − 1 at most.
    const WAVE = 25
    const PAST = 6
    const MAX_SENT = REFUSAL_BUDGET + 150
    let sent = 0
    let refusedAtManagers: Mutation | undefined
    while (refusedAtManagers == null) {
      if (sent >= MAX_SENT) throw new Error(`${sent} mutations sent, ${JSON.stringify(refusedByDataManagers)} refused by the Data-Managers and not one refused by every Maid-Manager's budget`)
      const size = left() > WAVE + PAST ? WAVE : Math.max(1, Math.ceil(left())) + PAST
      const wave = Array.from({ length: size }, refusable)
      const answers = await Promise.all(wave.map(toEach))
      sent += size
      answers.forEach(tally)
      refusedAtManagers = wave.find((_, i) => answers[i]?.every(a => a.code === 'InvalidOperation'))
    }
    // Still at it: the Maid-Managers forward nothing more until the refill.
    const more = await Promise.all(Array.from({ length: PAST }, refusable).map(toEach))
    more.forEach(tally)
    const elapsed = (performance.now() - started) / 1000
    console.info(`${sent + PAST} mutations in ${elapsed.toFixed(1)} s: per Maid-Manager ${JSON.stringify(refusedByDataManagers)} refused by the Data-Managers, ` +
      `${byBudget.length} answers refusals of the budget, ${split} split at its edge; the last ${PAST}: ${JSON.stringify(more.map(m => m.map(a => a.code).join('/')))}`)
    expect(more.flat().map(a => a.code)).toEqual(Array(PAST * G).fill('InvalidOperation'))
    for (const refusal of byBudget) expect(refusal.message).toMatch(/too many of this account's mutations were refused lately; try again in \d+ s/)
    for (const n of refusedByDataManagers) {
      // The whole budget was there to spend, and no more than it, its refill over the time, and what was in flight at once.
      expect(n).toBeGreaterThanOrEqual(REFUSAL_BUDGET)
      expect(n).toBeLessThanOrEqual(REFUSAL_BUDGET + REFILL_PER_SECOND * elapsed + WAVE)
    }
    // A Maid-Manager that refused sent no Forward: each Data-Manager refused a Forward for each Maid-Manager's NoSuchData, and no other.
    const refusedHere = refusedByDataManagers.reduce((a, b) => a + b, 0)
    await eventually(async () => await forwardsRefused() - forwardsBefore >= G * refusedHere, 10_000, 100)
    expect(await forwardsRefused() - forwardsBefore).toBe(G * refusedHere)

    // None of it was charged: refusals of either kind cost no allowance.
    expect(await mutationsDone(amplifier)).toBe(charged)

    // Meanwhile another account is not slowed: its mutations succeed, and its refusals still reach the Data-Managers.
    const other = net.owner
    const otherMd = newMutableData({ name: randomXorName(), tag: TAG, owners: [other.key], entries: [] })
    const otherCharged = await mutationsDone(other)
    expect(await outcome(mutate(other, { type: 'PutMData', data: otherMd }))).toBe('ok')
    expect(await outcome(mutate(other, { type: 'MutateMDataEntries', name: otherMd.name, tag: TAG, actions: [{ key: text('k'), action: { kind: 'Insert', content: text('v') } }] }))).toBe('ok')
    expect(await outcome(mutate(other, { type: 'MutateMDataEntries', name: randomXorName(), tag: TAG, actions: [] }))).toBe('NoSuchData')
    expect(await mutationsDone(other)).toBe(otherCharged + 2)

    // Refilled at 2/s from each Maid-Manager's first refusal (no later than the client heard of it),
    // one refusal is allowed again once (refused − budget + 1) / rate seconds have passed since.
    const refilledAt = Math.max(...managers.map((_, i) => (firstRefusalAt[i] as number) + ((refusedByDataManagers[i] as number) - REFUSAL_BUDGET + 1) * 1000 / REFILL_PER_SECOND))
    const wait = Math.max(0, refilledAt - performance.now())
    console.info(`waiting ${(wait / 1000).toFixed(1)} s for the refill`)
    await sleep(wait)
    const insert = { type: 'MutateMDataEntries' as const, name: own.name, tag: TAG, actions: [{ key: text('after'), action: { kind: 'Insert' as const, content: text('refill') } }] }
    expect(await outcome(mutate(amplifier, insert))).toBe('ok')
    expect(await mutationsDone(amplifier)).toBe(charged + 1)
    // The mutation every Maid-Manager refused was neither recorded nor forwarded: sent again, under
    // its message id, it reaches the Data-Managers now.
    expect((await toEach(refusedAtManagers)).map(a => a.code)).toEqual(Array(G).fill('NoSuchData'))
  })

  it('keeps bounded sequencer state for data it neither holds nor waits on, and a bounded number of ballots a step, whatever its rogue sequencer signs', async () => {
    const observed = nodeIds()[0] as string
    // A name whose sequencer (its nearest member) is the rogue and whose group holds node 0. Some keys
    // have none (XOR: when node 0 is the farthest of the four from every name the rogue is nearest to): another key then.
    const { rogueKey, name } = await (async () => {
      for (;;) {
        const key = await generateKeyPair('Ed25519')
        const id = peerIdFromPrivateKey(key).toString()
        try {
          return { rogueKey: key, name: grindName([...nodeIds(), id], G, group => group[0] === id && group.includes(observed), 5_000) }
        } catch {}
      }
    })()
    await withRogues(net.testnet, { keys: [rogueKey], near: [name] }, async ([rogue]) => {
      const target = node(0)
      /** Sends `messages` to node 0, `atOnce` at a time; how many got each answer. */
      const send = async (messages: AsyncIterable<WireMessage>, atOnce = 64): Promise<Map<string, number>> => {
        const answers = new Map<string, number>()
        let batch: WireMessage[] = []
        const flush = async (): Promise<void> => {
          const results = await Promise.all(batch.map(async m => await answerOf((rogue as RogueNode).send(target, m, 30_000))))
          for (const r of results) answers.set(r.code, (answers.get(r.code) ?? 0) + 1)
          batch = []
        }
        for await (const message of messages) {
          batch.push(message)
          if (batch.length >= atOnce) await flush()
        }
        await flush()
        return answers
      }
      const commit = async (tag: number, round: number): Promise<WireMessage> => await signedCommit(rogue as RogueNode, name, tag, 1, round)
      /** A Commit and a Prepare for each of `count` data (name, tag) the node neither holds nor waits on, from the `from`-th on. */
      const manyData = (from: number, count: number): AsyncIterable<WireMessage> => gen(2 * count, async i => {
        const tag = TAG + 1 + from + Math.floor(i / 2)
        return i % 2 === 0 ? await commit(tag, 0) : { type: 'Prepare', name, tag, seq: 1, round: 1 }
      })
      /** Commits of step 1 of one data (name, TAG) in rounds `from` + 1 to `from` + `count`: a ballot each. */
      const manyRounds = (from: number, count: number): AsyncIterable<WireMessage> => gen(count, async i => await commit(TAG, from + i + 1))
      const allAcked = (count: number): Map<string, number> => new Map([['ok', count]])

      // Past both caps first (1,024 data, 32 ballots a step), so that what the node keeps at the caps
      // and allocates once is in the baseline: then more of either must cost it nothing that stays.
      const WARM_DATA = 1_500
      const WARM_ROUNDS = 1_000
      expect(await send(manyData(0, WARM_DATA))).toEqual(allAcked(2 * WARM_DATA))
      expect(await send(manyRounds(0, WARM_ROUNDS))).toEqual(allAcked(WARM_ROUNDS))
      const baseline = await liveBytes(net.testnet, 0)

      // Without its cap either would stay: measured +6.9 MiB for these data (a Commit and a Prepare each), +9.1 MiB for these ballots.
      const DATA = 3_000
      expect(await send(manyData(WARM_DATA, DATA))).toEqual(allAcked(2 * DATA))
      const afterData = await liveBytes(net.testnet, 0)
      const ROUNDS = 6_000
      expect(await send(manyRounds(WARM_ROUNDS, ROUNDS))).toEqual(allAcked(ROUNDS))
      const afterRounds = await liveBytes(net.testnet, 0)
      console.info(`node 0 live memory ${mib(baseline)} MiB after ${WARM_DATA} data and ${WARM_ROUNDS} ballots of one step, ` +
        `${mib(afterData)} MiB after ${DATA} more data, ${mib(afterRounds)} MiB after ${ROUNDS} more ballots`)
      expect(afterData - baseline).toBeLessThan(3 * 2 ** 20)
      expect(afterRounds - afterData).toBeLessThan(3 * 2 ** 20)
    })
  })

  it('lets go of Data-Manager handlers waiting on a quorum that Q − 1 colluding Maid-Managers can never make, as soon as their stream closes', async () => {
    const rogueKey = await generateKeyPair('Ed25519')
    const rogueId = peerIdFromPrivateKey(rogueKey).toString()
    const all = [...nodeIds(), rogueId]
    const observed = nodeIds()[0] as string
    // An account whose Maid-Managers include the rogue (Q − 1 = 1 at G = 3), and a data name node 0 manages.
    let owner: Uint8Array
    let account: XorName
    do {
      owner = new Uint8Array(randomBytes(32))
      account = accountNameOf(owner)
    } while (!trueGroup(account, all, G).includes(rogueId))
    const executor = grindName(all, G, group => group.includes(observed))
    await withRogues(net.testnet, { keys: [rogueKey], near: [account] }, async ([rogue]) => {
      const colluder = rogue as RogueNode
      const target = node(0)
      const forward = (): WireMessage => {
        const mutation: Mutation = { type: 'MutateMDataEntries', account, requester: owner, messageId: messageId(), name: executor, tag: TAG, actions: [{ key: text('k'), action: { kind: 'Insert', content: new Uint8Array(2048) } }] }
        return { type: 'Forward', ...forwardOf(mutation, owner) }
      }
      // Nothing in flight (a background request may be passing), so what follows is the attack's.
      await untilInFlight(0, n => n === 0, 10_000, 'quiet')
      const timeoutsBefore = await metric(net.testnet, 0, 'safemesh_requests_total', 'type="Forward",outcome="Timeout"')
      const FORWARDS = 200
      const answers = Array.from({ length: FORWARDS }, async () => await answerOf(colluder.send(target, forward(), 60_000)))
      await untilInFlight(0, n => n >= FORWARDS, 20_000, `the colluder's ${FORWARDS} Forwards waiting`)
      const waiting = await inFlight(0)

      // The colluder hangs up its messaging stream (its connection stays): nobody can take an answer any more.
      await colluder.messenger.stop()
      // Released well within the quorum wait, which they would otherwise wait out.
      const released = await untilInFlight(0, n => n === 0, QUORUM_TIMEOUT_MS / 3, 'the waiting Forwards released')
      console.info(`node 0 served ${waiting} requests at once while the colluder's ${FORWARDS} Forwards waited; released ${released.toFixed(0)} ms after its stream closed (the quorum wait is ${QUORUM_TIMEOUT_MS} ms)`)
      expect((await Promise.all(answers)).every(a => a.code === 'Timeout')).toBe(true)
      // Answered "the requester went away", not NoQuorum at the end of the quorum wait.
      expect(await metric(net.testnet, 0, 'safemesh_requests_total', 'type="Forward",outcome="Timeout"') - timeoutsBefore).toBe(FORWARDS)
    })
  })

  it('lets go of a Maid-Manager\'s forward waiting on the Data-Managers as soon as its client\'s stream closes', async () => {
    const client = await net.connect()
    await openAccount(client)
    // Sent to one Maid-Manager only: its Data-Managers never see a quorum of forwards, so it would wait out their quorum wait.
    const manager = client.routing.closeGroup(client.account)[0] as PeerId
    const index = net.testnet.records().findIndex(r => r.peerId === manager.toString())
    await untilInFlight(index, n => n === 0, 10_000, 'quiet')
    const MUTATIONS = 50
    const answers = Array.from({ length: MUTATIONS }, async () => await answerOf(mutateAt(client, manager)))
    await untilInFlight(index, n => n >= MUTATIONS, 20_000, `the client's ${MUTATIONS} mutations waiting`)
    // The client hangs up its messaging stream (its connection stays).
    await client.messenger.stop()
    // Released well within the Data-Managers' quorum wait, which the forwards would otherwise wait out.
    const released = await untilInFlight(index, n => n === 0, QUORUM_TIMEOUT_MS / 3, 'the waiting forwards released')
    console.info(`node ${index} (a Maid-Manager) released ${MUTATIONS} waiting forwards ${released.toFixed(0)} ms after the client's stream closed`)
    expect((await Promise.all(answers)).every(a => a.code === 'Timeout')).toBe(true)
  })
})

/** `message` sent by `client` to `peer`, waiting `timeoutMs` at most for its answer. */
async function sendWithin (client: RawClient, peer: PeerId, message: WireMessage, timeoutMs: number): Promise<WireReply> {
  return decodeReply(await client.messenger.request(peer, encodeMessage(message), { timeout: timeoutMs }))
}

/** A mutation of `client`'s account sent to one of its Maid-Managers alone. */
async function mutateAt (client: RawClient, manager: PeerId): Promise<unknown> {
  return await client.send(manager, {
    type: 'MutateMDataEntries',
    account: client.account,
    requester: client.key,
    messageId: messageId(),
    name: randomXorName(),
    tag: TAG,
    actions: [{ key: text('k'), action: { kind: 'Insert', content: text('v') } }]
  })
}

/** `count` messages made by `make`, one at a time. */
async function * gen (count: number, make: (i: number) => Promise<WireMessage>): AsyncIterable<WireMessage> {
  for (let i = 0; i < count; i++) yield await make(i)
}

/**
 * A Commit of step `seq` in round `round` for (name, tag), of a random mutation: the rogue's
 * proposal as the data's sequencer and its own vote, both validly signed with its peer key.
 */
async function signedCommit (rogue: RogueNode, name: XorName, tag: number, seq: number, round: number): Promise<WireMessage> {
  const requestId = randomXorName()
  const sequencer = rogue.privateKey.publicKey.raw
  const digest = randomXorName()
  const signature = await rogue.privateKey.sign(proposalBytes(name, tag, seq, round, requestId))
  const vote = await rogue.privateKey.sign(voteBytes(name, tag, seq, round, sequencer, requestId, digest))
  return { type: 'Commit', name, tag, requestId, seq, round, sequencer, signature, digest, vote }
}
