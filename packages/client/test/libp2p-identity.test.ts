import { describe, expect, it } from 'vitest'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { cryptoReady, generateClientKeys, verify } from '@safemesh/crypto'

describe('the client\'s libp2p identity is its signing key', () => {
  it('libsodium\'s 64-byte Ed25519 secret key is libp2p\'s raw form: same public key, same signatures', async () => {
    await cryptoReady()
    const keys = generateClientKeys()
    const peerKey = privateKeyFromRaw(keys.sign.secretKey)
    expect(peerKey.type).toBe('Ed25519')
    expect(peerKey.publicKey.raw).toEqual(keys.sign.publicKey)
    const message = new TextEncoder().encode('noise handshake payload')
    expect(verify(await peerKey.sign(message), message, keys.sign.publicKey)).toBe(true)
  })
})
