/* eslint-disable camelcase -- seed 002's JSON fields are snake_case (data_hash, expires_at) */
/**
 * `GET /data/list` (seed 002): what this account shared (its share log, as `safemesh share log`
 * reads it) and what it received (its inbox, as `safemesh inbox`), filtered (list-query.ts).
 */
import { sendJson } from '../http.js'
import type { RequestContext } from '../router.js'
import { ownId, ownRecords, requestSignal } from './account.js'
import { dataHash, hashOfNote, hashOfPath } from './data-hash.js'
import { matchesReceived, matchesShared, parseListQuery } from './list-query.js'
import { sharesMade } from './shares-made.js'

export async function listData (ctx: RequestContext): Promise<void> {
  const query = parseListQuery(ctx.url.searchParams)
  const client = ctx.owner()
  const signal = requestSignal(ctx.state)
  const me = ownId(client)
  const [records, inbox] = await Promise.all([ownRecords(client, signal), client.sharing().inbox({ signal })])
  const shared = sharesMade(records).filter(s => matchesShared(s, query, me)).map(s => ({
    share: s.share,
    data_hash: s.hash === undefined ? null : dataHash(s.hash),
    path: s.path,
    recipients: s.recipients,
    revoked: s.revoked,
    timestamp: iso(s.at),
    expires_at: s.expires === undefined ? null : iso(s.expires),
    price: s.price ?? null
  }))
  const received = inbox.shares.filter(s => matchesReceived(s, query, me)).map(s => {
    const hash = hashOfNote(s.note) ?? hashOfPath(s.path)
    return {
      share: s.share,
      data_hash: hash === undefined ? null : dataHash(hash),
      kind: s.kind,
      path: s.path,
      sender: s.from,
      timestamp: iso(s.at),
      expires_at: s.expires === undefined ? null : iso(s.expires),
      price: s.price ?? null,
      note: s.note ?? null
    }
  })
  sendJson(ctx.res, 200, { account: me, shared, received, skipped: inbox.skipped })
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}
