/**
 * What the checks expect at the end: every name written (the writers' own, plus chunks whose
 * PutIData was acknowledged although their file failed, and the accounts' session packets), and
 * the states each MutableData may be in.
 */
import { listEntries } from '@safemesh/protocol'
import { acceptedStates, entriesOf, type Entries } from './md-model.js'
import type { MutationLedger } from './mutation-ledger.js'
import type { Writer } from './writer.js'
import type { WrittenNames } from './written-names.js'

/** Adds the ledger's acknowledged names to `names`; returns the accepted states by `${hex}/${tag}`. */
export function expectations (writers: readonly Writer[], ledger: MutationLedger, names: WrittenNames): Map<string, readonly Entries[]> {
  const accepted = new Map<string, readonly Entries[]>()
  for (const writer of writers) {
    for (const md of writer.mdata) accepted.set(`${md.hex}/${md.tag}`, acceptedStates(md))
  }
  for (const record of ledger.all()) {
    if (ledger.verdict(record) !== 'acknowledged' || record.dataName === undefined) continue
    if (record.type === 'PutIData') names.addChunk(record.dataName)
    const data = record.data
    if (record.type === 'PutMData' && data !== undefined && !accepted.has(`${record.dataName}/${data.tag}`)) {
      names.addMData(data.name, data.tag, record.dataName)
      accepted.set(`${record.dataName}/${data.tag}`, [entriesOf(listEntries(data))])
    }
  }
  return accepted
}
