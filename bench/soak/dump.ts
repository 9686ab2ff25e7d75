/**
 * With `--keep-dir`: what the soak's clients sent and expect, beside the nodes' logs and stores
 * (`<dir>/soak-record.json`), so that a failure can be followed to the message ids involved.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describeEntries } from './md-model.js'
import type { MutationLedger } from './mutation-ledger.js'
import type { Writer } from './writer.js'

const RECORD_FILE = 'soak-record.json'

export async function writeRecord (dir: string, ledger: MutationLedger, writers: readonly Writer[]): Promise<string> {
  const path = join(dir, RECORD_FILE)
  const record = {
    clients: writers.map(w => ({
      index: w.index,
      account: w.account,
      files: w.files,
      mdata: w.mdata.map(md => ({ name: md.hex, tag: md.tag, writes: md.writes, retired: md.retired, acknowledged: describeEntries(md.acknowledged), ...(md.ifApplied !== undefined ? { ifApplied: describeEntries(md.ifApplied) } : {}) }))
    })),
    mutations: ledger.all().map(m => ({
      messageId: m.messageId,
      type: m.type,
      account: m.account,
      dataName: m.dataName,
      verdict: ledger.verdict(m),
      answers: Object.fromEntries([...m.answers].map(([node, answers]) => [node, answers.map(a => a.kind === 'refusal' ? a.code : a.kind)]))
    }))
  }
  await writeFile(path, JSON.stringify(record, null, 1))
  return path
}
