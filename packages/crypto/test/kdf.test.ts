import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_KDF_MEM_LIMIT, DEFAULT_KDF_OPS_LIMIT, cryptoReady, deriveKey } from '../src/index.js'
import { expectCryptoError, hex, thrown } from './helpers.js'

beforeAll(cryptoReady)

// Small limits keep the suite fast; one test runs the defaults to check they stay interactive.
const fast = { opsLimit: 1, memLimit: 64 * 1024 }
const salt = new TextEncoder().encode('the user secret, any length')

describe('deriveKey (Argon2id)', () => {
  it('is deterministic and depends on password, salt and limits', () => {
    const key = deriveKey('correct horse', salt, fast)
    expect(key).toHaveLength(32)
    expect(deriveKey('correct horse', salt, fast)).toEqual(key)
    expect(deriveKey(new TextEncoder().encode('correct horse'), salt, fast)).toEqual(key)
    const others = [
      deriveKey('correct horsf', salt, fast),
      deriveKey('correct horse', new Uint8Array(0), fast),
      deriveKey('correct horse', salt.subarray(1), fast),
      deriveKey('correct horse', salt, { ...fast, opsLimit: 2 }),
      deriveKey('correct horse', salt, { ...fast, memLimit: 128 * 1024 })
    ]
    for (const other of others) expect(hex(other)).not.toBe(hex(key))
  })

  it('normalises string passwords to NFC', () => {
    const composed = 'caf\u00e9'
    const decomposed = 'cafe\u0301'
    expect(deriveKey(decomposed, salt, fast)).toEqual(deriveKey(composed, salt, fast))
  })

  it('rejects limits outside the Argon2id bounds with InvalidInput', async () => {
    expectCryptoError(await thrown(() => deriveKey('pw', salt, { opsLimit: 0 })), 'InvalidInput')
    expectCryptoError(await thrown(() => deriveKey('pw', salt, { memLimit: 1000 })), 'InvalidInput')
    expectCryptoError(await thrown(() => deriveKey('pw', salt, { opsLimit: 1.5 })), 'InvalidInput')
  })

  it('default limits (3 passes over 256 MiB) stay interactive', () => {
    expect([DEFAULT_KDF_OPS_LIMIT, DEFAULT_KDF_MEM_LIMIT]).toEqual([3, 256 * 1024 * 1024])
    const started = performance.now()
    const key = deriveKey('password', salt)
    const elapsed = performance.now() - started
    expect(key).toHaveLength(32)
    expect(elapsed).toBeLessThan(6000) // ~0.65 s warm, ~1.6 s first in a process (docs/decisions.md); generous for a loaded CI machine
  })
})
