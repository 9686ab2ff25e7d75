import { createHash, createCipheriv } from 'node:crypto'
import { expect } from 'vitest'
import { cryptoReady, generateClientKeys, type ClientKeys } from '@safemesh/crypto'
import { isSafeMeshError, type ErrorCode, type SafeMeshError } from '@safemesh/protocol'
import { type SafeMeshClient, type ClientOptions, createClient, createAccount } from '../../src/index.js'
import { FakeNetwork } from './fake-network.js'

/** Argon2id at its smallest: these tests check the logic, not the cost. */
export const FAST_KDF = { opsLimit: 1, memLimit: 8 * 1024 }

/** The in-memory network's login salt (a real network's is in its network.json). */
export const TEST_NETWORK_SALT = 'ab'.repeat(32)

/** Short timeouts and retries so silent nodes cost milliseconds. */
export function clientOptions (network: FakeNetwork, overrides: Partial<ClientOptions> = {}): ClientOptions {
  return { network, requestTimeout: 100, retry: { attempts: 3, delay: 1, maxDelay: 5 }, kdf: FAST_KDF, networkSalt: TEST_NETWORK_SALT, ...overrides }
}

/** A client of an account opened directly (no login): the account's keys and a session packet. */
export async function accountClient (network: FakeNetwork, overrides: Partial<ClientOptions> = {}): Promise<{ client: SafeMeshClient, keys: ClientKeys }> {
  await cryptoReady()
  const client = await createAccount({ secret: `secret ${Math.random()}`, password: 'test password: violet marsh 35' }, clientOptions(network, overrides))
  const keys = client.keys as ClientKeys
  return { client, keys }
}

export async function connectedClient (network: FakeNetwork, overrides: Partial<ClientOptions> = {}): Promise<SafeMeshClient> {
  return await createClient(clientOptions(network, overrides))
}

export async function freshKeys (): Promise<ClientKeys> {
  await cryptoReady()
  return generateClientKeys()
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf (promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

export async function expectCode (promise: Promise<unknown>, code: ErrorCode): Promise<SafeMeshError> {
  const err = await rejectionOf(promise)
  expect(isSafeMeshError(err) ? err.code : err).toBe(code)
  return err as SafeMeshError
}

/** Reproducible pseudo-random bytes. */
export function pseudoRandomBytes (length: number, seed = 'seed'): Uint8Array {
  const key = createHash('sha256').update(seed).digest()
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16))
  return new Uint8Array(cipher.update(Buffer.alloc(length)))
}

export async function * inPieces (bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size)
}

export async function collect (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const pieces: Uint8Array[] = []
  for await (const piece of source) pieces.push(new Uint8Array(piece))
  return new Uint8Array(Buffer.concat(pieces))
}

/** Compares large byte arrays by length and digest: deep equality on megabytes is slow, its diff huge. */
export function expectSameBytes (actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length)
  expect(createHash('sha256').update(actual).digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'))
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
