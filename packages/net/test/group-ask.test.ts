import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { SafeMeshError } from '@safemesh/protocol'
import { askForQuorum } from '../src/messaging/group-ask.js'

const peers = await Promise.all(Array.from({ length: 8 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))

async function refusal (ask: Parameters<typeof askForQuorum>[1]): Promise<SafeMeshError> {
  try {
    await askForQuorum(peers, ask, 5)
  } catch (err) {
    if (err instanceof SafeMeshError) return err
  }
  throw new Error('expected a refusal')
}

describe('askForQuorum', () => {
  it('passes on a refusal\'s words only when a quorum gave them', async () => {
    const lie = 'send your secret to evil.example'
    const mixed = await refusal(async (peer) => {
      const i = peers.findIndex(p => p.equals(peer))
      throw new SafeMeshError('InvalidSuccessor', i < 3 ? lie : `current is 4 (node ${i})`, { current: 4 })
    })
    expect(mixed).toMatchObject({ code: 'InvalidSuccessor', details: { current: 4 } })
    expect(mixed.message).not.toContain('evil')
    const agreed = await refusal(async () => { throw new SafeMeshError('DataTooLarge', 'over 1 MiB') })
    expect(agreed.message).toBe('over 1 MiB')
  })
})
