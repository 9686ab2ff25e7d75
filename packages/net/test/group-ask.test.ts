import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { SafeMeshError } from '@safemesh/protocol'
import { askForQuorum } from '../src/messaging/group-ask.js'

const peers = await Promise.all(Array.from({ length: 8 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))

describe('askForQuorum', () => {
  it('passes on a refusal\'s words only when a quorum gave them', async () => {
    const lie = 'send your secret to evil.example'
    const refusal = await askForQuorum(peers, async (peer) => {
      const i = peers.indexOf(peer)
      throw new SafeMeshError('InvalidSuccessor', i < 3 ? lie : `current is 4 (node ${i})`, { current: 4 })
    }, 5).catch((err: unknown) => err as SafeMeshError)
    expect(refusal).toMatchObject({ code: 'InvalidSuccessor', details: { current: 4 } })
    expect(refusal.message).not.toContain('evil')
    const agreed = await askForQuorum(peers, async () => { throw new SafeMeshError('DataTooLarge', 'over 1 MiB') }, 5).catch((err: unknown) => err as SafeMeshError)
    expect(agreed.message).toBe('over 1 MiB')
  })
})
