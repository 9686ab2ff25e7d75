/** Entry mutations (SPEC §2): one request, many keys, all or nothing. */
import { SafeMeshError, invalidEntryActions, invalidRequest, type EntryError } from '../errors.js'
import { DEFAULT_NETWORK_PARAMS } from '../params.js'
import { compareBytes } from '../xorname.js'
import { assertWithinLimits, type MutableDataLimits } from './mutable-limits.js'
import { entryKeyId, isActionAllowed, withChanges, type Action, type MutableData, type MutableDataEntry } from './mutable.js'

export type EntryAction =
  | { readonly kind: 'Insert', readonly content: Uint8Array }
  | { readonly kind: 'Update', readonly content: Uint8Array, readonly version: number }
  | { readonly kind: 'Delete', readonly version: number }

export interface KeyedEntryAction {
  readonly key: Uint8Array
  readonly action: EntryAction
}

/** A tombstone's content: what Delete leaves so that a key's version never goes back. */
const TOMBSTONE_CONTENT = new Uint8Array(0)

/**
 * Applies a batch of entry actions, or throws and changes nothing (the input is never modified):
 *
 * 0. A key that appears twice in the batch: `InvalidRequest`. SPEC's batch is a map from key to
 *    action; two actions on one key would make the outcome depend on their order.
 * 1. Any action the requester may not do: `AccessDenied`.
 * 2. Per key, against the current data: Insert of a present key (tombstones count as present) →
 *    `EntryExists(current)`; Update/Delete of a missing key → `NoSuchEntry`; Update/Delete whose
 *    version is not current + 1 → `InvalidSuccessor(current)`. Every bad key is reported, in key
 *    byte order, in one `InvalidEntryActions`.
 * 3. `TooManyEntries` (tombstones count), then `DataTooLarge` (serialised size after the batch).
 *
 * Insert creates the entry at version 0. Delete leaves a tombstone (empty content, the new version);
 * deleting a tombstone again is allowed like any Delete (its version still goes up), and re-creating
 * a deleted key is `Update(current + 1)`. An empty batch is valid and changes nothing.
 */
export function mutateEntries (
  md: MutableData,
  requester: Uint8Array,
  actions: readonly KeyedEntryAction[],
  params: MutableDataLimits = DEFAULT_NETWORK_PARAMS
): MutableData {
  const sorted = [...actions].sort((a, b) => compareBytes(a.key, b.key))
  for (let i = 1; i < sorted.length; i++) {
    if (compareBytes((sorted[i - 1] as KeyedEntryAction).key, (sorted[i] as KeyedEntryAction).key) === 0) {
      throw invalidRequest(`entry key ${entryKeyId((sorted[i] as KeyedEntryAction).key)} appears twice in one batch`)
    }
  }

  const needed = new Set<Action>(sorted.map(({ action }) => action.kind))
  for (const action of needed) {
    if (!isActionAllowed(md, requester, action)) {
      throw new SafeMeshError('AccessDenied', `the requester may not ${action} entries of this MutableData`)
    }
  }

  const errors: Array<{ key: Uint8Array, error: EntryError }> = []
  const entries = new Map(md.entries)
  for (const { key, action } of sorted) {
    const id = entryKeyId(key)
    const current = md.entries.get(id)
    const error = entryError(current, action)
    if (error !== undefined) {
      errors.push({ key, error })
      continue
    }
    switch (action.kind) {
      case 'Insert':
        entries.set(id, { key, content: action.content, version: 0 })
        break
      case 'Update':
        entries.set(id, { key, content: action.content, version: action.version })
        break
      case 'Delete':
        entries.set(id, { key, content: TOMBSTONE_CONTENT, version: action.version })
        break
    }
  }
  if (errors.length > 0) throw invalidEntryActions(errors)

  const result = withChanges(md, { entries })
  assertWithinLimits(result, params)
  return result
}

function entryError (current: MutableDataEntry | undefined, action: EntryAction): EntryError | undefined {
  if (action.kind === 'Insert') {
    return current === undefined ? undefined : { code: 'EntryExists', version: current.version }
  }
  if (current === undefined) return { code: 'NoSuchEntry' }
  if (action.version !== current.version + 1) return { code: 'InvalidSuccessor', version: current.version }
  return undefined
}

/**
 * What a Maid-Manager can tell of a batch without the data (docs/protocol.md): more distinct keys
 * than a MutableData may hold can never fit (`TooManyEntries`, tombstones count), nor can more new
 * key and content bytes than its size limit (`DataTooLarge`). Such a batch is refused before it is
 * forwarded, whatever the data's state.
 */
export function assertBatchCanFit (actions: readonly KeyedEntryAction[], params: MutableDataLimits = DEFAULT_NETWORK_PARAMS): void {
  if (actions.length > params.maxMutableDataEntries) {
    throw new SafeMeshError('TooManyEntries', `a batch of ${actions.length} keys cannot fit the limit of ${params.maxMutableDataEntries} entries`)
  }
  let bytes = 0
  for (const { key, action } of actions) bytes += key.length + (action.kind === 'Delete' ? 0 : action.content.length)
  if (bytes > params.maxMutableDataSize) {
    throw new SafeMeshError('DataTooLarge', `a batch of ${bytes} key and content bytes cannot fit the limit of ${params.maxMutableDataSize}`)
  }
}
