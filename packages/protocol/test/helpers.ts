import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { isSafeMeshError, type ErrorCode, type SafeMeshError } from '../src/errors.js'

/** Runs `f`, expecting a SafeMeshError with `code`; returns it for closer checks. */
export function expectSafeMeshError (f: () => unknown, code: ErrorCode): SafeMeshError {
  try {
    f()
  } catch (e) {
    if (!isSafeMeshError(e)) throw e
    expect(e.code, e.message).toBe(code)
    return e
  }
  return expect.fail(`expected ${code}, but nothing was thrown`)
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const publicKey = (): Uint8Array => new Uint8Array(randomBytes(32))
