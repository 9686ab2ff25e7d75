/**
 * A first look at a received message before it is decoded: one pass over the CBOR heads that
 * allocates nothing, counts items, bounds nesting and reads the top-level `type`, so the limits of
 * that type (messages/limits.ts) apply before any object is built. It costs a few nanoseconds per
 * item where a full decode, canonical re-encode and schema check cost about a microsecond
 * (docs/decisions.md, "Bounded work before authentication").
 *
 * It refuses only what `decode` would refuse too (indefinite lengths, tags, floats, undefined,
 * reserved heads, truncation); everything else is still checked by the full decode.
 */
import { invalidRequest } from './errors.js'
import { MAX_CODEC_DEPTH } from './codec.js'

export interface WireShape {
  /** The top-level map's `type` text, when it has one of at most 64 bytes. */
  readonly type: string | undefined
  /** Data items (heads) in the message: every value, key and container counts one. */
  readonly items: number
}

const TYPE_KEY = 0x64 // text(4)
const TYPE_KEY_BYTES = [0x74, 0x79, 0x70, 0x65] // "type"
const MAX_TYPE_BYTES = 64
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Scans `bytes` as one CBOR item; throws InvalidRequest past `maxItems` items or on a malformed head. */
export function scanWire (bytes: Uint8Array, maxItems: number): WireShape {
  const end = bytes.length
  // Items still to be read in each open container, innermost last (depth ≤ MAX_CODEC_DEPTH).
  const open = new Array<number>(MAX_CODEC_DEPTH + 1)
  let depth = 0
  let pos = 0
  let items = 0
  let type: string | undefined
  // Inside the top-level map: which of its items comes next (even: a key), and whether the last key was "type".
  let topIndex = 0
  let typeNext = false
  let topIsMap = false
  do {
    if (pos >= end) throw invalidRequest('malformed encoding: truncated')
    if (++items > maxItems) throw invalidRequest(`more than ${maxItems} items`)
    const head = bytes[pos] as number
    const major = head >> 5
    const info = head & 0x1f
    pos++
    let value: number
    if (info < 24) {
      value = info
    } else if (info <= 27) {
      const size = 1 << (info - 24)
      if (pos + size > end) throw invalidRequest('malformed encoding: truncated')
      value = 0
      for (let i = 0; i < size; i++) value = value * 256 + (bytes[pos + i] as number)
      pos += size
      if (!Number.isSafeInteger(value)) throw invalidRequest('malformed encoding: length or integer too large')
    } else {
      throw invalidRequest('malformed encoding: indefinite length or reserved head')
    }
    const atTop = depth === 1 && topIsMap
    const isKey = atTop && topIndex % 2 === 0
    let children = 0
    let keyIsType = false
    switch (major) {
      case 0: case 1:
        break
      case 2: case 3:
        if (value > end - pos) throw invalidRequest('malformed encoding: truncated')
        if (atTop && !isKey && typeNext && major === 3 && value <= MAX_TYPE_BYTES) type = textAt(bytes, pos, value)
        keyIsType = isKey && head === TYPE_KEY && TYPE_KEY_BYTES.every((b, i) => bytes[pos + i] === b)
        pos += value
        break
      case 4: case 5:
        children = major === 4 ? value : 2 * value
        // Each item takes at least one byte: a claimed length beyond the input is refused now.
        if (children > end - pos) throw invalidRequest('malformed encoding: truncated')
        break
      case 6:
        throw invalidRequest('tags are not allowed')
      default:
        // Simple values: false, true, null; undefined, floats and the rest are refused.
        if (info < 20 || info > 22) throw invalidRequest('only false, true and null are allowed as simple values')
    }
    if (atTop) {
      typeNext = keyIsType
      topIndex++
    }
    if (depth > 0) open[depth - 1] = (open[depth - 1] as number) - 1
    if (children > 0) {
      if (depth === MAX_CODEC_DEPTH) throw invalidRequest(`nested deeper than ${MAX_CODEC_DEPTH}`)
      if (depth === 0) topIsMap = major === 5
      open[depth++] = children
    } else {
      while (depth > 0 && open[depth - 1] === 0) depth--
    }
  } while (depth > 0)
  if (pos !== end) throw invalidRequest('malformed encoding: bytes after the message')
  return { type, items }
}

function textAt (bytes: Uint8Array, pos: number, length: number): string | undefined {
  try {
    return utf8.decode(bytes.subarray(pos, pos + length))
  } catch {
    return undefined
  }
}
