import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  SafeMeshError, bytesToHex, networkParams, newMutableData, proposalBytes, randomXorName, sha3_256, voteBytes,
  type MutableData, type Response
} from '@safemesh/protocol'
import { Store } from '../src/store/store.js'
import { ReplicaStore, replicaKey, stateDigest } from '../src/personas/data-manager/replica-store.js'
import { Sequencer, type Proposal, type SignedVote } from '../src/personas/data-manager/sequencer.js'
import { applyMutation, type MutableDataMutation } from '../src/personas/data-manager/apply-mutation.js'
import type { RoutingView } from '@safemesh/net'
import type { PeerId, PrivateKey } from '@libp2p/interface'

const G = 8
const params = networkParams({ groupSize: G })
const timing = { orderTimeout: 5_000, suspectAfter: 150, gapTimeout: 100 }
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

interface Member {
  peer: PeerId
  key: PrivateKey
  store: Store
  replicas: ReplicaStore
  sequencer: Sequencer
  refused: string[]
}

/** What a member's commit or proposal does on its way to another member: delivered (default), dropped or replaced. */
type Wire = (from: number, to: number, proposal: Proposal) => Proposal | undefined

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/**
 * G sequencers in one process, each with its own LevelDB store, wired to each
 * other through `wire`; member 0 is the nearest to the data (its sequencer).
 */
async function group (wire: Wire = (_f, _t, p) => p, waits = timing): Promise<{ members: Member[], md: MutableData }> {
  const keys = await Promise.all(Array.from({ length: G }, async () => await generateKeyPair('Ed25519')))
  const peers = keys.map(k => peerIdFromPrivateKey(k))
  const owner = new Uint8Array(32).fill(9)
  const md = newMutableData({ name: randomXorName(), tag: 20_000, owners: [owner] })
  const members: Member[] = []
  const send = (i: number, name: Uint8Array, tag: number, proposal: Proposal, vote?: SignedVote): void => {
    for (let j = 0; j < G; j++) {
      if (j === i) continue
      const sent = wire(i, j, proposal)
      if (sent == null) continue
      setImmediate(() => {
        const sequencer = members[j]?.sequencer
        const delivered = vote != null
          ? sequencer?.commit(peers[i] as PeerId, name, tag, sent, vote)
          : sequencer?.proposal(peers[i] as PeerId, name, tag, Buffer.from(sent.id, 'hex'), sent.seq, sent.round, sent.sequencer, sent.signature)
        delivered?.catch((err: SafeMeshError) => { members[j]?.refused.push(err.code) })
      })
    }
  }
  for (let i = 0; i < G; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'safemesh-sequencer-'))
    const store = await Store.open(join(dir, 'store'))
    cleanups.push(async () => { await store.close(); await rm(dir, { recursive: true, force: true }) })
    const replicas = new ReplicaStore(store)
    await replicas.put(replicaKey(md.name, md.tag), { data: md, seq: 0 })
    const routing = {
      self: peers[i],
      closeGroup: (_name: Uint8Array, count = G) => peers.slice(0, count),
      isCloseGroupMember: (_name: Uint8Array, peer: PeerId) => peers.some(p => p.equals(peer))
    } as unknown as RoutingView
    const member: Member = { peer: peers[i] as PeerId, key: keys[i] as PrivateKey, store, replicas, refused: [], sequencer: undefined as unknown as Sequencer }
    member.sequencer = new Sequencer({
      routing,
      replicas,
      params,
      log: pino({ level: 'silent' }),
      timing: waits,
      sign: async (bytes) => await (keys[i] as PrivateKey).sign(bytes),
      broadcastCommit: (name, tag, proposal, vote) => { send(i, name, tag, proposal, vote) },
      broadcastProposal: (name, tag, proposal) => { send(i, name, tag, proposal) },
      prepare: async (name, tag, seq, round) => { // every member answers at once in one process: `enough` has nothing to spare
        const answers = await Promise.all(members.map(async (m, j) => j === i ? undefined : await m.sequencer.promise(peers[i] as PeerId, name, tag, seq, round).catch(() => undefined)))
        return answers.filter(a => a != null)
      },
      broadcastProof: (name, tag, first, second) => {
        for (let j = 0; j < G; j++) {
          if (j !== i) setImmediate(() => { members[j]?.sequencer.proof(peers[i] as PeerId, name, tag, first, second).catch((err: SafeMeshError) => { members[j]?.refused.push(err.code) }) })
        }
      },
      broadcastSuspicion: (name, tag, sequencer) => {
        for (let j = 0; j < G; j++) {
          if (j !== i) setImmediate(() => { members[j]?.sequencer.suspect(peers[i] as PeerId, name, tag, sequencer.publicKey?.raw as Uint8Array) })
        }
      },
      catchUp: async () => {}
    })
    cleanups.push(async () => { member.sequencer.stop() })
    members.push(member)
  }
  return { members, md }
}

function insert (md: MutableData, key: string, value: string): { id: Uint8Array, mutation: MutableDataMutation } {
  const mutation: MutableDataMutation = {
    type: 'MutateMDataEntries',
    account: sha3_256(md.owners[0] as Uint8Array),
    requester: md.owners[0] as Uint8Array,
    messageId: randomXorName(),
    name: md.name,
    tag: md.tag,
    actions: [{ key: text(key), action: { kind: 'Insert', content: text(value) } }]
  }
  return { id: sha3_256(text(`${key}=${value}`)), mutation }
}

/** `member`'s signed vote that `x` is step `seq` in round 0 of `sequencer`'s ballot, as its Commit carries it. */
async function votedBy (member: Member, md: MutableData, x: { id: Uint8Array, mutation: MutableDataMutation }, seq: number, sequencer: Member, signature: Uint8Array): Promise<[Proposal, SignedVote]> {
  const proposal: Proposal = { seq, round: 0, id: bytesToHex(x.id), sequencer: sequencer.peer.publicKey?.raw as Uint8Array, signature }
  const digest = stateDigest(applyMutation(md, x.mutation.account, x.mutation, params).data, seq)
  const vote = await member.key.sign(voteBytes(md.name, md.tag, seq, 0, proposal.sequencer, x.id, digest))
  return [proposal, { digest, signature: vote }]
}

async function outcome (work: Promise<Response>): Promise<string> {
  return await work.then(r => r.type, (e: SafeMeshError) => e.code)
}

/** Every member's replica as (seq, digest). */
async function states (members: Member[], md: MutableData): Promise<string[]> {
  return await Promise.all(members.map(async m => {
    const r = await m.replicas.get(replicaKey(md.name, md.tag))
    return `${r.seq}/${bytesToHex(r.digest ?? new Uint8Array())}`
  }))
}

describe('Sequencer: Q votes order every step, whatever one member says', () => {
  it('settles conflicting mutations that reach every member in different orders the same way everywhere', async () => {
    const { members, md } = await group()
    const a = insert(md, 'k', 'a')
    const b = insert(md, 'k', 'b')
    const c = insert(md, 'other', 'c')
    const results = await Promise.all(members.map(async (m, i) => {
      const order = i % 2 === 0 ? [a, b, c] : [c, b, a]
      return await Promise.all(order.map(async x => [bytesToHex(x.id), await outcome(m.sequencer.submit(x.id, x.mutation.account, x.mutation))] as const))
    }))
    const byMutation = results.map(r => Object.fromEntries(r))
    for (const r of byMutation) expect(r).toEqual(byMutation[0])
    const first = byMutation[0] as Record<string, string>
    expect([first[bytesToHex(a.id)], first[bytesToHex(b.id)]].sort()).toEqual(['InvalidEntryActions', 'MutateMDataEntries'])
    expect(first[bytesToHex(c.id)]).toBe('MutateMDataEntries')
    expect(new Set(await states(members, md)).size).toBe(1)
  })

  it('refuses a commit that its sequencer did not sign, and one from outside the group', async () => {
    const { members, md } = await group()
    const liar = members[3] as Member
    const x = insert(md, 'k', 'x')
    const forged = await liar.key.sign(proposalBytes(md.name, md.tag, 1, 0, x.id))
    const follower = (members[5] as Member).sequencer
    // Signed by the liar, naming itself: not the sequencer's proposal (its own vote is validly signed).
    await expect(follower.commit(liar.peer, md.name, md.tag, ...await votedBy(liar, md, x, 1, liar, forged))).rejects.toMatchObject({ code: 'AccessDenied' })
    // Naming the sequencer but signed by the liar.
    await expect(follower.commit(liar.peer, md.name, md.tag, ...await votedBy(liar, md, x, 1, members[0] as Member, forged))).rejects.toMatchObject({ code: 'AccessDenied' })
    // The sequencer's proposal, but a vote the sender did not sign (another member's signature).
    const signed = await (members[0] as Member).key.sign(proposalBytes(md.name, md.tag, 1, 0, x.id))
    const [proposal, othersVote] = await votedBy(members[2] as Member, md, x, 1, members[0] as Member, signed)
    await expect(follower.commit(liar.peer, md.name, md.tag, proposal, othersVote)).rejects.toMatchObject({ code: 'AccessDenied' })
    const strangerKey = await generateKeyPair('Ed25519')
    const outsider = { ...(members[1] as Member), peer: peerIdFromPrivateKey(strangerKey), key: strangerKey }
    await expect(follower.commit(outsider.peer, md.name, md.tag, ...await votedBy(outsider, md, x, 1, members[0] as Member, signed))).rejects.toMatchObject({ code: 'AccessDenied' })
    expect(new Set(await states(members, md))).toEqual(new Set([`0/${bytesToHex((await members[0]?.replicas.get(replicaKey(md.name, md.tag)))?.digest ?? new Uint8Array())}`]))
  })

  it('keeps every replica identical when the sequencer proposes two mutations for one step to two halves, and deposes it', async () => {
    // Member 0 lies: its own proposals reach members 1–3 only; members 4–7 get, by hand, a proposal
    // it signed of another mutation for the same step.
    const { members, md } = await group((from, to, proposal) => from === 0 && to > 3 ? undefined : proposal)
    const rogue = members[0] as Member
    const b = insert(md, 'k', 'b')
    const a = insert(md, 'k', 'a')
    const outcomes = members.slice(1).map(m => [outcome(m.sequencer.submit(b.id, b.mutation.account, b.mutation)), outcome(m.sequencer.submit(a.id, a.mutation.account, a.mutation))])
    void rogue.sequencer.submit(b.id, b.mutation.account, b.mutation).catch(() => {})
    const signature = await rogue.key.sign(proposalBytes(md.name, md.tag, 1, 0, a.id))
    for (const member of members.slice(4)) {
      await member.sequencer.commit(rogue.peer, md.name, md.tag, ...await votedBy(rogue, md, a, 1, rogue, signature)).catch(() => {})
    }
    const settled = await Promise.all(outcomes.map(async pair => await Promise.all(pair)))
    for (const pair of settled) expect(pair).toEqual(settled[0])
    expect([...(settled[0] as string[])].sort()).toEqual(['InvalidEntryActions', 'MutateMDataEntries'])
    expect(new Set(await states(members.slice(1), md)).size).toBe(1)
  })

  it('applies a step only where Q members can apply it: a vote is a promise to apply', async () => {
    const { members, md } = await group(undefined, { ...timing, orderTimeout: 1_000 })
    const seqs = async (): Promise<number[]> => await Promise.all(members.map(async m => (await m.replicas.get(replicaKey(md.name, md.tag))).seq))
    // Reached quorum at 4 members only: the 4 others never vote for it, so it is never applied (no 4 holders a hand-over could not trust).
    const x = insert(md, 'k', 'x')
    const few = await Promise.all(members.slice(0, 4).map(async m => await outcome(m.sequencer.submit(x.id, x.mutation.account, x.mutation))))
    expect(few).toEqual(Array(4).fill('Timeout'))
    expect(await seqs()).toEqual(Array(G).fill(0))
    // Reached quorum at Q members: every one of them applies it; the others, which could not, hold the step before.
    const y = insert(md, 'other', 'y')
    const enough = await Promise.all(members.slice(0, 5).map(async m => await outcome(m.sequencer.submit(y.id, y.mutation.account, y.mutation))))
    expect(enough).toEqual(Array(5).fill('MutateMDataEntries'))
    expect(await seqs()).toEqual([1, 1, 1, 1, 1, 0, 0, 0])
  })

  it('replaces a sequencer that never orders: the next nearest orders and every other member applies', async () => {
    // Member 0 proposes nothing: its commits never leave it.
    const { members, md } = await group((from, _to, proposal) => from === 0 ? undefined : proposal)
    const x = insert(md, 'k', 'x')
    const results = await Promise.all(members.slice(1).map(async m => await outcome(m.sequencer.submit(x.id, x.mutation.account, x.mutation))))
    expect(results).toEqual(Array(G - 1).fill('MutateMDataEntries'))
    expect(new Set(await states(members.slice(1), md)).size).toBe(1)
  })
})
