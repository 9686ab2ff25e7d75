import { CryptoError } from './errors.js'

/** Throws CryptoError 'InvalidKey' unless `key` is a Uint8Array of exactly `length` bytes. */
export function checkLength (key: unknown, length: number, what: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== length) {
    const got = key instanceof Uint8Array ? `${key.length} bytes` : typeof key
    throw new CryptoError('InvalidKey', `${what}: expected ${length} bytes, got ${got}`)
  }
}

/** Throws CryptoError 'InvalidInput' unless `value` is a Uint8Array (guards JS callers). */
export function checkBytes (value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new CryptoError('InvalidInput', `${what}: expected a Uint8Array, got ${typeof value}`)
  }
}
