import { describe, expect, it } from 'vitest'
import { generateClientKeys, isCryptoReady, selfEncryptBytes, sha3_256, sign } from '../src/index.js'

// Runs in its own module graph (vitest isolates test files), so libsodium is not initialised here.
describe('before cryptoReady()', () => {
  it('libsodium-backed functions fail with a clear error', () => {
    expect(isCryptoReady()).toBe(false)
    expect(() => generateClientKeys()).toThrow(/await cryptoReady\(\)/)
    expect(() => sign(new Uint8Array(1), new Uint8Array(64))).toThrow(/sign: .*await cryptoReady\(\)/)
  })

  it('native functions (hashes, self-encryption) work without it', async () => {
    expect(sha3_256(new Uint8Array(0))).toHaveLength(32)
    const { dataMap } = await selfEncryptBytes(new Uint8Array(5000))
    expect(dataMap.kind).toBe('chunks')
  })
})
