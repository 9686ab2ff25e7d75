import { randomFillSync } from 'node:crypto'
import { CryptoError } from './errors.js'

/** `n` bytes from the operating system's CSPRNG (no libsodium needed, so usable before cryptoReady()). */
export function randomBytes (n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new CryptoError('InvalidInput', `randomBytes: n must be a non-negative integer, got ${n}`)
  }
  return randomFillSync(new Uint8Array(n))
}
