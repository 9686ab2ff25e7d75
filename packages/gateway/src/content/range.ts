/**
 * HTTP Range (RFC 9110 §14) for one range of bytes: `bytes=a-b`, `bytes=a-`, `bytes=-n`. A header
 * asking for several ranges, or not in bytes, is ignored (the whole file is an allowed answer).
 */
export type RangeAsk =
  | { kind: 'whole' }
  | { kind: 'part', offset: number, length: number }
  | { kind: 'unsatisfiable' }

export function parseRange (header: string | undefined, size: number): RangeAsk {
  if (header === undefined) return { kind: 'whole' }
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (match === null) return { kind: 'whole' }
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return { kind: 'whole' }
  if (first === '') {
    // A suffix: the last n bytes.
    const n = Number(last)
    if (n === 0) return { kind: 'unsatisfiable' }
    const length = Math.min(n, size)
    return size === 0 ? { kind: 'unsatisfiable' } : { kind: 'part', offset: size - length, length }
  }
  const offset = Number(first)
  if (!Number.isSafeInteger(offset) || offset >= size) return { kind: 'unsatisfiable' }
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (!Number.isSafeInteger(end) || end < offset) return last === '' ? { kind: 'unsatisfiable' } : { kind: 'whole' }
  return { kind: 'part', offset, length: end - offset + 1 }
}
