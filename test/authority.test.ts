import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { bytesToHex, encodeReply, forwardOf, newMutableData, randomXorName } from '@safemesh/protocol'
import { eventually } from './support/testnet.js'
import { useNetwork } from './support/fixture.js'
import { messageId, text } from './support/accounts.js'
import { RogueNode } from './support/rogue.js'
import { keysNear } from './support/grind.js'
import { untilMembers } from './support/rogue-group.js'
import type { RawClient } from './support/raw-client.js'

const G = 8
const TAG = 20_000

describe(`group authority on a 12-node testnet (G = ${G})`, () => {
  const net = useNetwork(12, { groupSize: G })

  it('applies nothing on forged forwards: from a node outside the account\'s group, or from Q − 1 colluding Maid-Managers', async () => {
    const md = newMutableData({ name: randomXorName(), tag: TAG, owners: [net.owner.key], entries: [{ key: text('k'), content: text('mine') }] })
    await net.putMData(md)
    const before = encodeReply(await net.read(md))
    const forged = {
      type: 'Forward' as const,
      ...forwardOf({ type: 'MutateMDataEntries', account: net.owner.account, requester: net.owner.key, messageId: messageId(), name: md.name, tag: TAG, actions: [{ key: text('k'), action: { kind: 'Update', content: text('stolen'), version: 1 } }] }, net.owner.key)
    }
    const dataManagers = (): ReturnType<RawClient['routing']['closeGroup']> => net.owner.routing.closeGroup(md.name)

    const outsider = await RogueNode.join(net.testnet, await generateKeyPair('Ed25519'))
    try {
      // Every node counts the outsider, and the outsider can reach every node.
      await eventually(async () => outsider.routing.size >= net.testnet.size && (await net.testnet.status()).every(v => v.status?.routingTableSize === net.testnet.size), 30_000)
      // A random key is rarely among the account's 8 nearest of 13; when it is, this case says nothing.
      const inGroup = (await net.testnet.closeGroupSeenBy(0, bytesToHex(net.owner.account))).includes(outsider.host.peerId.toString())
      // The outsider may itself be among the data's nodes: it forges to the others.
      for (const peer of inGroup ? [] : dataManagers().filter(p => !p.equals(outsider.host.peerId))) {
        await expect(outsider.send(peer, forged)).rejects.toMatchObject({ code: 'AccessDenied' })
      }
    } finally {
      await outsider.leave()
    }

    const keys = await keysNear(net.owner.account, net.testnet.records().map(r => r.peerId as string), 4, G)
    const colluders: RogueNode[] = []
    try {
      const joining = Date.now()
      // One after another: four libp2p nodes joining at once inside this one test process keep
      // its event loop busy for seconds at a time, and their dials to each other time out.
      for (const key of keys) colluders.push(await RogueNode.join(net.testnet, key))
      await untilMembers(net.testnet, colluders.map(c => c.host.peerId), net.owner.account)
      await eventually(async () => colluders.every(c => c.routing.size >= net.testnet.size), 30_000)
      console.info(`${colluders.length} colluders were in every node's view after ${Date.now() - joining} ms`)
      const results = await Promise.allSettled(colluders.flatMap(c => dataManagers().map(async peer => await c.send(peer, forged))))
      expect(results.every(r => r.status === 'rejected')).toBe(true)
      const codes = new Set(results.map(r => r.status === 'rejected' ? (r.reason as { code: string }).code : 'applied'))
      console.info(`forged forwards from ${colluders.length} colluding Maid-Managers: ${[...codes].join(', ')}`)
    } finally {
      await Promise.all(colluders.map(async c => { await c.leave() }))
    }
    expect(encodeReply(await net.read(md))).toEqual(before)
  })
})
