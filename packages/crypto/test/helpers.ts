import { createCipheriv, createHash } from 'node:crypto'
import { CryptoError } from '../src/index.js'
import type { CryptoErrorCode } from '../src/index.js'

export const KiB = 1024
export const MiB = 1024 * 1024

/** Reproducible pseudo-random bytes (ChaCha20 keystream of a seed), so failures can be replayed. */
export function pseudoRandomBytes (length: number, seed = 'seed'): Uint8Array {
  const key = createHash('sha256').update(seed).digest()
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16))
  return new Uint8Array(cipher.update(Buffer.alloc(length)))
}

/** Yields `bytes` in pieces whose sizes cycle through `sizes`. */
export async function * inPieces (bytes: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let offset = 0
  for (let i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length] ?? 1
    yield bytes.subarray(offset, offset + size)
    offset += size
  }
}

export function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

function concat (pieces: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(pieces))
}

/** Collects an async iterable; on error, returns what was yielded before it with the error. */
export async function collect (source: AsyncIterable<Uint8Array>): Promise<{ bytes: Uint8Array, error?: unknown }> {
  const pieces: Uint8Array[] = []
  try {
    for await (const piece of source) pieces.push(new Uint8Array(piece))
  } catch (error) {
    return { bytes: concat(pieces), error }
  }
  return { bytes: concat(pieces) }
}

/** Asserts `error` is a CryptoError with one of `codes`; returns it for further checks. */
export function expectCryptoError (error: unknown, ...codes: CryptoErrorCode[]): CryptoError {
  if (!(error instanceof CryptoError)) {
    throw new Error(`expected a CryptoError, got ${String(error)}`, { cause: error })
  }
  if (codes.length > 0 && !codes.includes(error.code)) {
    throw new Error(`expected CryptoError ${codes.join('|')}, got ${error.code}: ${error.message}`, { cause: error })
  }
  return error
}

/** Runs `f` and returns what it threw (fails if it did not throw). */
export async function thrown (f: () => unknown): Promise<unknown> {
  try {
    await f()
  } catch (error) {
    return error
  }
  throw new Error('expected an error, none was thrown')
}

/**
 * Byte equality for large buffers (vitest's toEqual walks typed arrays element by element, which
 * takes minutes on MiBs). Reports the first differing offset.
 */
export function expectSameBytes (actual: Uint8Array, expected: Uint8Array): void {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.length))) return
  let i = 0
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++
  throw new Error(`bytes differ: lengths ${actual.length} and ${expected.length}, first difference at ${i}`)
}
