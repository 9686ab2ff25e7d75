/**
 * Issue 15: "a node answering with a forged envelope cannot make the client accept it". Q − 1
 * rogue Data-Managers of a read-gated share envelope answer every read of it with the rogues' own
 * gate (naming a stranger) and envelope: the named reader still gets the owner's envelope, and the
 * stranger stays refused, since either read is accepted only on Q agreeing answers.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { createAccount, createClient, type ClientOptions, type SafeMeshClient } from '@safemesh/client'
import {
  READ_GATE_KEY, TYPE_TAG_SHARE_ENVELOPE, bytesEqual, encodeReadGate, newMutableData, quorumOf, randomXorName,
  READ_REQUEST_TYPES, type MutableData, type WireReply, type XorName
} from '@safemesh/protocol'
import type { Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'
import { grindKeys, trueGroup } from './support/grind.js'
import { withRogues } from './support/rogue-group.js'
import { answer } from './support/rogue-behaviours.js'
import { describeMData } from './support/replicas.js'
import type { MessageOf, RogueNode } from './support/rogue.js'
import { codeOf } from './support/error-code.js'

/** The smallest network that shows it: G = 5 nodes, Q = 3, so Q − 1 = 2 rogues join the envelope's group. */
const NODES = 5
const G = 5
const ROGUES = quorumOf(G) - 1
const TAG = TYPE_TAG_SHARE_ENVELOPE
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

function signingKeyOf (client: SafeMeshClient): Uint8Array {
  const key = client.publicKeys?.sign
  if (key === undefined) throw new Error('the client has no keys')
  return key
}

describe(`byzantine: ${ROGUES} rogue Data-Managers (Q − 1) forging a read-gated envelope (${NODES} nodes + ${ROGUES} rogues, G = ${G})`, () => {
  let testnet: Testnet
  const clients: SafeMeshClient[] = []
  let owner: SafeMeshClient
  let reader: SafeMeshClient
  let stranger: SafeMeshClient

  beforeAll(async () => {
    testnet = await startTestnet(NODES, { groupSize: G })
    const options: ClientOptions = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt }, kdf: KDF }
    const account = async (who: string): Promise<SafeMeshClient> => {
      const client = await createAccount({ secret: `${who} ${randomBytes(8).toString('hex')}`, password: 'forged envelope password: copper wren 58' }, options)
      clients.push(client)
      return client
    }
    owner = await account('owner')
    reader = await account('reader')
    stranger = await account('stranger')
  })
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {})
    await stopTestnet(testnet)
  })

  it('the named reader still gets the owner\'s envelope, and the stranger the rogues name stays AccessDenied', async () => {
    const nodes = testnet.records().map(r => r.peerId as string)
    // PutMData takes any name: the owner picks one, the rogues' keys are ground into its group.
    const name = randomXorName()
    const keys = await grindKeys({ names: [name], nodes, count: ROGUES, groupSize: G, rank: 'follower' })
    const readerKey = signingKeyOf(reader)
    const strangerKey = signingKeyOf(stranger)
    const gate = encodeReadGate({ readers: [readerKey] })
    const sealed = utf8('the content key, sealed to the reader')
    const share = await owner.createMData({ name, tag: TAG, entries: [{ key: READ_GATE_KEY, content: gate }, { key: readerKey, content: sealed }] })
    const address = { name, tag: TAG }

    // The rogues' story: a gate naming the stranger too, and an envelope of their own bytes for whoever asks.
    const forgedGate = encodeReadGate({ readers: [readerKey, strangerKey] })
    const forgedEnvelope = utf8('the rogues\' envelope: a key they know')
    const forged: MutableData = newMutableData({
      name,
      tag: TAG,
      owners: [strangerKey],
      entries: [{ key: READ_GATE_KEY, content: forgedGate }, { key: readerKey, content: forgedEnvelope }, { key: strangerKey, content: forgedEnvelope }]
    })
    const isShare = (n: XorName): boolean => bytesEqual(n, name)

    await withRogues(testnet, {
      keys,
      near: [name],
      configure: rogue => {
        // Truthful about everything else (what the honest node nearest the name answers the rogue).
        for (const type of READ_REQUEST_TYPES) rogue.on(type, async (message) => await rogue.send(peerIdFromString(trueGroup(message.name, nodes, 1)[0] as string), message))
        rogue.on('PushMData', answer({ type: 'Ack' })).on('PushAccount', answer({ type: 'Ack' })).on('PushChunk', answer({ type: 'Ack' }))
        const lieAbout = (type: ForgedRead, lie: WireReply): void => {
          rogue.on(type, async (message: MessageOf<ForgedRead>) => isShare(message.name)
            ? lie
            : await rogue.send(peerIdFromString(trueGroup(message.name, nodes, 1)[0] as string), message))
        }
        lieAbout('GetShareEnvelope', { type: 'GetShareEnvelope', gate: forgedGate, envelope: forgedEnvelope })
        lieAbout('GetMData', { type: 'GetMData', data: forged })
        lieAbout('GetMDataValue', { type: 'GetMDataValue', value: { content: forgedEnvelope, version: 0 } })
      }
    }, async (rogues) => {
      // Fresh connections under the same keys, each waiting until its view holds every node and
      // rogue (`nodes`), or has not grown for 20 s: the default 750 ms is too short on a loaded machine.
      const network = { bootstrap: testnet.bootstrapAddresses(), groupSize: G, salt: testnet.salt, nodes: NODES + ROGUES, settleTime: 20_000, joinTimeout: 60_000 }
      const connectAs = (client: SafeMeshClient) => async (): Promise<SafeMeshClient> => {
        if (client.keys === undefined) throw new Error('the client has no keys')
        const again = await createClient({ network, keys: client.keys })
        clients.push(again)
        return again
      }

      await readUntilEveryRogueAsked(rogues, readerKey, 'the reader', connectAs(reader), async (readerNow) => {
        expect(await readerNow.getShareEnvelope(name, TAG)).toEqual({ gate, envelope: sealed })
        expect((await readerNow.getMDataValue(address, readerKey)).content).toEqual(sealed)
        expect(describeMData(await readerNow.getMData(address))).toEqual(describeMData(share))
      })
      await readUntilEveryRogueAsked(rogues, strangerKey, 'the stranger', connectAs(stranger), async (strangerNow) => {
        expect(await codeOf(strangerNow.getShareEnvelope(name, TAG)), 'the stranger\'s GetShareEnvelope').toBe('AccessDenied')
        expect(await codeOf(strangerNow.getMDataValue(address, strangerKey)), 'the stranger\'s GetMDataValue').toBe('AccessDenied')
        expect(await codeOf(strangerNow.getMData(address)), 'the stranger\'s GetMData').toBe('AccessDenied')
      })
    })
  })
})

/** The reads of the share the rogues answer with their forgery. */
type ForgedRead = 'GetShareEnvelope' | 'GetMData' | 'GetMDataValue'

/** Connections, and rounds of reads on each, before the forgery is known to have been in play. */
const MAX_CONNECTIONS = 3
const ROUNDS_PER_CONNECTION = 3

/**
 * Runs `reads` (which expect the honest outcome) on a fresh connection as `requester` until every
 * rogue was asked each forged read by it, so the forgery was in play: a view that missed a rogue
 * (a walk stalled on a loaded machine), or a request to a rogue abandoned once Q honest answers had
 * come, would leave it out. Fails, naming the rogue and the read, if that never happens.
 */
async function readUntilEveryRogueAsked (rogues: readonly RogueNode[], requester: Uint8Array, who: string,
  connect: () => Promise<SafeMeshClient>, reads: (client: SafeMeshClient) => Promise<void>): Promise<void> {
  const peer = peerIdFromPublicKey(publicKeyFromRaw(requester))
  const notAsked = async (waitMs: number): Promise<string[]> => {
    const missing: string[] = []
    for (const rogue of rogues) {
      for (const type of ['GetShareEnvelope', 'GetMData', 'GetMDataValue'] satisfies ForgedRead[]) {
        const asked = await rogue.waitFor(type, r => r.from.equals(peer), waitMs).then(() => true, () => false)
        if (!asked) missing.push(`rogue ${rogue.peerId.toString()} was never asked ${type} by ${who}`)
      }
    }
    return missing
  }
  for (let connection = 1; connection <= MAX_CONNECTIONS; connection++) {
    const client = await connect()
    for (let round = 1; round <= ROUNDS_PER_CONNECTION; round++) {
      await reads(client)
      if ((await notAsked(2_000)).length === 0) {
        console.info(`${who}: every rogue was asked each read (and answered its forgery) by connection ${connection}, round ${round}`)
        await client.close()
        return
      }
    }
    await client.close()
  }
  expect(await notAsked(0)).toEqual([])
}
