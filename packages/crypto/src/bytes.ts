// Small byte helpers shared by this package. Not exported from the package entry: other packages
// have their own (protocol's XorName owns the hex form people see).

/** Lowercase hex, the form names are shown in everywhere (SPEC §1). */
export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Byte equality. Not constant-time: only used on public values (hashes, names). */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength)
    .equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

/**
 * Returns a plain Uint8Array view of a Buffer, so values handed to callers compare equal
 * (vitest's toEqual, fast-check) to Uint8Arrays made elsewhere. No copy.
 */
export function asPlainBytes (bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** A fresh copy that owns its memory (so it can't keep a larger buffer alive or change under us). */
export function copyBytes (bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}

/** Concatenates into one new buffer. */
export function concatBytes (parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

const utf8 = new TextEncoder()

/** UTF-8 bytes of a domain-separation label. */
export function label (text: string): Uint8Array {
  return utf8.encode(text)
}
