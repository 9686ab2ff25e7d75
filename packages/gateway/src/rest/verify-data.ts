/* eslint-disable camelcase -- seed 002's JSON fields are snake_case (data_hash) */
/**
 * `GET /verify_data/{hash}` (seed 002's compliance proof): the shares of the hash this account
 * made or received, their records in each sharer's share log, and that log verified from the
 * network as `safemesh share log ID --verify` does (`verifyShareLog`: every record's signature and
 * chain, and each Data-Manager's own replica). `hash_recorded`: a signed `share` record names the
 * hash itself (its path is the hash's content address).
 */
import { bytesToHex, isSafeMeshError } from '@safemesh/protocol'
import { sendJson } from '../http.js'
import type { RequestContext } from '../router.js'
import { ownId, requestSignal } from './account.js'
import { dataHash, dataPath, parseDataHash } from './data-hash.js'
import { findShares, senderOf } from './find-shares.js'
import { recordJson, type RecordJson } from './record-json.js'

interface LogJson {
  /** The sharer's ID. */
  id: string
  ok: boolean
  records: number
  head: string | null
  /** Data-Managers of the last segment holding exactly the agreed log. */
  agreed: number
}

interface ProblemJson {
  /** Whose share log the problem is in (absent: not a log's). */
  log?: string
  member?: string
  index?: number
  reason: string
}

export async function verifyData (ctx: RequestContext): Promise<void> {
  const hex = parseDataHash(ctx.params.hash ?? '')
  const client = ctx.owner()
  const signal = requestSignal(ctx.state)
  const me = ownId(client)
  const { received, made } = await findShares(client, hex, signal)
  const problems: ProblemJson[] = []
  const shares: Array<{ share: string, sender: string, path: string }> = []
  for (const candidate of received) {
    const sent = await senderOf(client, candidate, signal)
    if (sent !== undefined) shares.push({ share: sent.share, sender: sent.from, path: sent.path })
    else problems.push({ reason: `share ${candidate.share} is claimed by ${candidate.claims.length} accounts and its envelope does not tell which sent it` })
  }
  for (const s of made) shares.push({ share: s.share, sender: me, path: s.path })
  const bySharer = new Map<string, Set<string>>()
  for (const { share, sender } of shares) bySharer.set(sender, (bySharer.get(sender) ?? new Set()).add(share))

  const logs: LogJson[] = []
  const records: RecordJson[] = []
  for (const [sharer, ids] of bySharer) {
    let report
    try {
      // The connected reader, as the CLI's `share log` (no account needed to verify a log).
      report = await ctx.state.reader.verifyShareLog(sharer, { signal })
    } catch (err) {
      if (!(isSafeMeshError(err) && err.code === 'NoSuchData')) throw err
      logs.push({ id: sharer, ok: false, records: 0, head: null, agreed: 0 })
      problems.push({ log: sharer, reason: 'the sharer has no share log' })
      continue
    }
    logs.push({ id: sharer, ok: report.ok, records: report.records.length, head: report.head === undefined ? null : bytesToHex(report.head), agreed: report.agreed })
    for (const p of report.problems) problems.push({ log: sharer, ...(p.member !== undefined ? { member: p.member } : {}), index: p.index, reason: p.reason })
    for (const record of report.records) {
      const json = recordJson(record, sharer)
      if (ids.has(json.share)) records.push(json)
    }
  }
  if (received.length === 0 && made.length === 0) problems.push({ reason: `no share of ${dataHash(hex)} is in this account's inbox or share log` })
  sendJson(ctx.res, 200, {
    data_hash: dataHash(hex),
    shared: records.some(r => r.kind === 'share'),
    hash_recorded: records.some(r => r.kind === 'share' && r.path === dataPath(hex)),
    shares,
    records,
    // A log that fails verification always names a problem; so does a share whose sender is unknown.
    verification: { ok: logs.length > 0 && problems.length === 0, problems, logs }
  })
}
