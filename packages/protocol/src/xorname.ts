import { randomBytes } from 'node:crypto'
import { invalidRequest } from './errors.js'

/** A 32-byte name in the network's address space (SPEC §1). */
export type XorName = Uint8Array

export const XOR_NAME_LENGTH = 32

const HEX_NAME = /^[0-9a-fA-F]{64}$/

export function isXorName (value: unknown): value is XorName {
  return value instanceof Uint8Array && value.length === XOR_NAME_LENGTH
}

export function assertXorName (value: unknown): asserts value is XorName {
  if (!isXorName(value)) throw invalidRequest(`expected a ${XOR_NAME_LENGTH}-byte name`)
}

/** Parses a name as people type it: 64 hex characters, either case. */
export function xorNameFromHex (hex: string): XorName {
  if (typeof hex !== 'string' || !HEX_NAME.test(hex)) {
    throw invalidRequest('a name is 64 hexadecimal characters')
  }
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** The one way a name is shown to people: 64 lowercase hex characters. */
export function xorNameToHex (name: XorName): string {
  assertXorName(name)
  return Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString('hex')
}

export function xorNameEquals (a: XorName, b: XorName): boolean {
  return bytesEqual(a, b)
}

export function randomXorName (): XorName {
  return new Uint8Array(randomBytes(XOR_NAME_LENGTH))
}

/** Longer than this, byte strings are compared natively (docs/decisions.md "Byte comparison"); names and keys in a loop. */
const NATIVE_COMPARE_FROM = 64

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  if (a.length > NATIVE_COMPARE_FROM) {
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic order of byte strings (shorter prefix first): the order of keys everywhere. */
export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

export function bytesToHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** The parts one after another: the bytes a domain-separated hash or signature covers. */
export function concatBytes (...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
