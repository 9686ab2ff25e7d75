import { describe, expect, it } from 'vitest'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { bytesEqual, bytesToHex, keyUser, newMutableData, randomXorName, type AccountRecord, type WireMessage, type XorName } from '@safemesh/protocol'
import { eventually } from './support/testnet.js'
import { useNetwork } from './support/fixture.js'
import { mutate, mutationsDone, openAccount, outcome, text } from './support/accounts.js'
import { grindKeys, grindName } from './support/grind.js'
import { withRogues } from './support/rogue-group.js'
import { actAsMaidManager, agree, answer } from './support/rogue-behaviours.js'
import { accountsAt, honestMembers, quorumRead, replicasAt } from './support/replicas.js'
import { tallyAnswers, type RogueNode } from './support/rogue.js'

const G = 8
const TAG = 20_000

/** The entries of a described read, or what the read failed with. */
const entriesOf = (read: unknown): unknown => (read as { entries?: unknown }).entries ?? read

const insert = (key: string) => ({ key: text(key), action: { kind: 'Insert' as const, content: text(key) } })

/**
 * Issue 11, attacks 2 and 4: an account's record rewritten by one member of
 * its Maid-Manager group (`PushAccount`: app keys at a high version, the
 * count of mutations done driven up or down, a revoked app put back), and an
 * app that keeps writing after its owner revoked it.
 */
describe(`byzantine: accounts and apps (12 nodes, G = ${G}, Q = 5)`, () => {
  const net = useNetwork(12, { groupSize: G })

  async function pushAttack (colluders: number): Promise<void> {
    const { testnet } = net
    const victim = await net.connect()
    const app = await net.connect()
    const attacker = await net.connect()
    await openAccount(victim)
    const nodes = testnet.records().map(r => r.peerId as string)
    const keys = await grindKeys({ names: [victim.account], nodes, count: colluders, groupSize: G })
    // Only the victim's Maid-Managers are rogues: the data's groups stay honest.
    const ids = keys.map(k => peerIdFromPrivateKey(k).toString())
    const honestName = (): XorName => grindName([...nodes, ...ids], G, group => !group.some(id => ids.includes(id)))
    // The victim's normal path: it authorises an app, which inserts through its account (revoked later).
    await mutate(victim, { type: 'InsAuthKey', key: app.key, version: 1 })
    const md = newMutableData({ name: honestName(), tag: TAG, owners: [victim.key], permissions: [{ user: keyUser(app.key), permissions: { Insert: true } }] })
    await mutate(victim, { type: 'PutMData', data: md })
    await mutate(app, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [insert('by the app')] }, victim.account)
    const planted = newMutableData({ name: honestName(), tag: TAG, owners: [victim.key], entries: [{ key: text('k'), content: text('planted') }] })

    await withRogues(testnet, {
      keys,
      near: [victim.account],
      clients: [victim, app, attacker],
      configure: rogue => {
        rogue.on('PushMData', answer({ type: 'Ack' })).on('PushAccount', answer({ type: 'Ack' })).on('PushChunk', answer({ type: 'Ack' }))
        // Q − 1 colluders pass for honest Maid-Managers otherwise (they forward every
        // mutation as a vote of the group), or the victim could not act at all; and for honest
        // members of the other groups they land in (an app key's group binds it to its account).
        if (colluders > 1) {
          actAsMaidManager(rogue)
          rogue.on('Forward', agree())
        }
      }
    }, async (rogues) => {
      const [first] = rogues
      if (first == null) throw new Error('no rogue')
      // What the honest Maid-Managers handed the rogue as a newcomer: the record with the app in it
      // (a hand-over that no longer sends whole records leaves the rogue to write it itself).
      const handed = await first.waitFor('PushAccount', r => bytesEqual(r.message.account, victim.account), 30_000).catch(() => undefined)
      const record: AccountRecord = handed?.message.record ?? { owner: victim.key, mutationsDone: 4, authKeys: [app.key], authKeysVersion: 1 }
      expect(record.authKeys.map(bytesToHex)).toEqual([bytesToHex(app.key)])
      expect(await outcome(mutate(victim, { type: 'DelAuthKey', key: app.key, version: 2 })), 'the victim revoking its app').toBe('ok')

      const honest = honestMembers(testnet, victim.account, rogues)
      // Opened (1), app authorised (2), data put (3), the app's insert (4), app revoked (5).
      const truth = { mutationsDone: 5, authKeys: [], authKeysVersion: 2 }
      await eventually(async () => JSON.stringify(await accountsAt(victim, honest)) === JSON.stringify(honest.map(() => truth)), 10_000).catch(() => {})
      expect(await accountsAt(victim, honest), 'each honest Maid-Manager before the attack').toEqual(honest.map(() => truth))
      const push = async (forged: AccountRecord): Promise<void> => {
        const message: WireMessage = { type: 'PushAccount', account: victim.account, record: forged }
        const answers = await Promise.all(rogues.map(async rogue => await rogue.sendEach(othersIn(rogue), message)))
        console.info(`PushAccount ${JSON.stringify({ ...forged, owner: undefined, authKeys: forged.authKeys.map(k => bytesToHex(k).slice(0, 8)) })} from ${rogues.length} rogue(s): ${tallyAnswers(answers.flat())}`)
      }
      const othersIn = (rogue: RogueNode): ReturnType<RogueNode['routing']['closeGroup']> => rogue.routing.closeGroup(victim.account).filter(p => !p.equals(rogue.peerId))

      // Un-revoking: the handed record replayed, as it was and at a later auth-key version.
      if (handed != null) await first.replay(handed, othersIn(first))
      await push({ ...record, authKeysVersion: 3 })
      expect.soft(await outcome(mutate(app, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [insert('by the revoked app')] }, victim.account), 'the revoked app mutating through the victim\'s account'), 'the revoked app mutating through the victim\'s account')
        .not.toBe('ok')

      // The attacker's key made an app of the victim's account at a high version.
      await push({ ...record, authKeys: [attacker.key], authKeysVersion: 1000 })
      expect.soft(await outcome(mutate(attacker, { type: 'PutMData', data: planted }, victim.account), 'the attacker acting as the victim\'s app'), 'the attacker acting as the victim\'s app').not.toBe('ok')
      expect.soft(await quorumRead(victim, planted.name, TAG), 'what the attacker tried to put').toEqual({ error: 'NoSuchData' })

      // The count of mutations done driven to the top (drained), then to zero (a free allowance).
      await push({ ...record, mutationsDone: Number.MAX_SAFE_INTEGER, authKeysVersion: 1001 })
      expect.soft(await accountsAt(victim, honest), 'each honest Maid-Manager after a draining push').toEqual(honest.map(() => truth))
      await push({ ...record, mutationsDone: 0, authKeys: [], authKeysVersion: 1002 })
      expect.soft(await accountsAt(victim, honest), 'each honest Maid-Manager after a zeroing push').toEqual(honest.map(() => truth))

      // The victim goes on as before, charged one op, and its data holds only what it and its app (before revocation) put.
      expect.soft(await outcome(mutate(victim, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [insert('by the victim')] }), 'the victim mutating'), 'the victim mutating').toBe('ok')
      const after = { ...truth, mutationsDone: 6 }
      await eventually(async () => JSON.stringify(await accountsAt(victim, honest)) === JSON.stringify(honest.map(() => after)), 10_000).catch(() => {})
      expect.soft(await accountsAt(victim, honest), 'each honest Maid-Manager after the victim\'s mutation').toEqual(honest.map(() => after))
      const entries = { 'by the app': 'by the app@0', 'by the victim': 'by the victim@0' }
      expect.soft(entriesOf(await quorumRead(victim, md.name, TAG)), 'the quorum read of the victim\'s data').toEqual(entries)
    })
  }

  it('one rogue Maid-Manager pushing account records (app keys, un-revocation, drained or zeroed counts) changes no account', async () => {
    await pushAttack(1)
  })

  it('four colluding Maid-Managers (Q − 1) pushing the same change no account', async () => {
    await pushAttack(4)
  })

  it('a revoked app can write no more, through the owner\'s account or one of its own', async () => {
    const owner = await net.connect()
    const app = await net.connect()
    await openAccount(owner)
    await mutate(owner, { type: 'InsAuthKey', key: app.key, version: 1 })
    const md = newMutableData({ name: randomXorName(), tag: TAG, owners: [owner.key], permissions: [{ user: keyUser(app.key), permissions: { Insert: true } }] })
    await mutate(owner, { type: 'PutMData', data: md })
    // The app inserts through the owner's account, charged to the owner.
    expect(await mutationsDone(owner)).toBe(3)
    expect(await outcome(mutate(app, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [insert('by the app')] }, owner.account))).toBe('ok')
    expect(await mutationsDone(owner)).toBe(4)
    expect(await outcome(mutate(owner, { type: 'DelAuthKey', key: app.key, version: 2 }))).toBe('ok')

    const routes: Record<string, string> = {}
    routes['through the owner\'s account'] = await outcome(mutate(app, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [insert('after revocation, through the owner')] }, owner.account))
    // Opening an account of its own with the same key may be refused; either way it gets nowhere.
    routes['opening an account of its own'] = await outcome(openAccount(app))
    routes['through an account of its own'] = await outcome(mutate(app, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [insert('after revocation, through its own')] }))
    console.info(`the revoked app's routes: ${JSON.stringify(routes)}`)
    expect.soft(routes['through the owner\'s account'], 'the revoked app through the owner\'s account').toBe('AccessDenied')
    expect.soft(routes['through an account of its own'], 'the revoked app through an account of its own').not.toBe('ok')

    // The owner's path is untouched: it inserts, and the data holds exactly what was allowed.
    expect(await outcome(mutate(owner, { type: 'MutateMDataEntries', name: md.name, tag: TAG, actions: [insert('by the owner')] }))).toBe('ok')
    const entries = { 'by the app': 'by the app@0', 'by the owner': 'by the owner@0' }
    expect.soft(entriesOf(await quorumRead(owner, md.name, TAG)), 'the quorum read of the owner\'s data').toEqual(entries)
    const honest = honestMembers(net.testnet, md.name)
    await eventually(async () => (await replicasAt(owner, honest, md.name, TAG)).every(r => JSON.stringify(entriesOf(r)) === JSON.stringify(entries)), 10_000).catch(() => {})
    expect.soft((await replicasAt(owner, honest, md.name, TAG)).map(entriesOf), 'each member\'s entries').toEqual(honest.map(() => entries))
    expect.soft(await mutationsDone(owner), 'the owner\'s mutations done').toBe(6)
  })
})
