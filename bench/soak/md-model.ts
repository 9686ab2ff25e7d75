/**
 * What a client expects of each MutableData it writes: the entries as of its last acknowledged
 * mutation and, after a mutation whose outcome it never learned, the entries as they would be
 * had that one been applied too. A MutableData is written no further after a mutation that did
 * not succeed, so these two are the only states it may be found in.
 */
import { bytesToHex, type MutableDataEntry, type XorName } from '@safemesh/protocol'

export interface EntryState {
  readonly content: Uint8Array
  readonly version: number
}

/** Entries by key hex. */
export type Entries = ReadonlyMap<string, EntryState>

export interface TrackedMData {
  readonly name: XorName
  readonly tag: number
  readonly hex: string
  /** The account (hex) that owns and writes it. */
  readonly account: string
  /** As of the last acknowledged write. */
  acknowledged: Entries
  /** As it would be if the mutation with the unknown outcome was applied. */
  ifApplied?: Entries
  /** No further writes: a mutation failed or its outcome is unknown. */
  retired: boolean
  /** Mutations acknowledged on it (creation included). */
  writes: number
}

export function entriesOf (list: ReadonlyArray<{ key: Uint8Array, content: Uint8Array, version?: number }>): Map<string, EntryState> {
  return new Map(list.map(e => [bytesToHex(e.key), { content: e.content, version: e.version ?? 0 }]))
}

/** The states a MutableData may be found in. */
export function acceptedStates (md: TrackedMData): Entries[] {
  return md.ifApplied === undefined ? [md.acknowledged] : [md.acknowledged, md.ifApplied]
}

/** A canonical string of entries: equal entries, equal strings. */
export function entriesKey (entries: Entries): string {
  return [...entries.entries()]
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([key, value]) => `${key}=${value.version}:${bytesToHex(value.content)}`)
    .join(',')
}

export function entriesKeyOfList (list: readonly MutableDataEntry[]): string {
  return entriesKey(entriesOf(list))
}

/** "3 entries, versions k0@2 k1@0 …" for a report. */
export function describeEntries (entries: Entries): string {
  const keys = [...entries.entries()].map(([key, value]) => `${Buffer.from(key, 'hex').toString('utf8')}@${value.version}`).sort()
  return `${entries.size} entries (${keys.join(' ')})`
}
