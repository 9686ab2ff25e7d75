/**
 * `safemesh share log ID [--verify]` (issue 15): an owner's share log as its Data-Managers agree on
 * it, every record's signature and chain checked; with `--verify` also each Data-Manager's own
 * replica, naming any member that holds an altered, removed or reordered record. Needs no account.
 *
 * A log that fails verification prints its report, then exits 3 with `InvalidRequest` (what the
 * client answers whenever data from the network fails its check, e.g. a file's chunks).
 */
import type { Command } from 'commander'
import { SafeMeshError, bytesToHex, type ShareEvent, type VerifiedShareLogRecord } from '@safemesh/protocol'
import type { ShareLogReport } from '@safemesh/client'
import { parseKeyHex } from '../arguments.js'
import { signalOption, type ActionContext } from '../action-context.js'
import type { Json, JsonObject } from '../output.js'
import type { ActionRunner } from '../program-types.js'

export function registerShareLog (share: Command, run: ActionRunner): void {
  share.command('log')
    .description('an account\'s share log, verified: every share, revocation, expiry, payment and link, in order (no account needed)')
    .argument('<ID>', 'the owner\'s ID (its signing public key, as `safemesh id` prints it)')
    .option('--verify', 'also ask each Data-Manager for its own copy, and fail naming any that holds a bad record')
    .addHelpText('after', [
      '',
      'Each record is signed by the owner and chained to the one before; the log is append-only.',
      'Exit 3 (InvalidRequest) when a record fails verification; the report names the record and the node.'
    ].join('\n'))
    .action(run(async (ctx: ActionContext, id: string, options: { verify?: boolean }) => {
      const owner = parseKeyHex(id, 'ID')
      const client = await ctx.clients.connected()
      const report = await client.verifyShareLog(owner, { ...signalOption(ctx), members: options.verify === true })
      ctx.out.result(reportJson(report), reportLines(report, options.verify === true))
      if (!report.ok) throw verificationFailed(report)
    }))
}

function reportJson (report: ShareLogReport): JsonObject {
  return {
    id: bytesToHex(report.owner),
    log: bytesToHex(report.log),
    ok: report.ok,
    records: report.records.length,
    head: report.head === undefined ? null : bytesToHex(report.head),
    agreed: report.agreed,
    problems: report.problems.map(p => ({ ...(p.member !== undefined ? { member: p.member } : {}), index: p.index, reason: p.reason })),
    members: report.members.map(m => ({
      member: m.member,
      segment: m.segment,
      state: m.state,
      ...(m.records !== undefined ? { records: m.records } : {}),
      ...(m.detail !== undefined ? { detail: m.detail } : {})
    })),
    events: report.records.map(eventJson)
  }
}

function eventJson (record: VerifiedShareLogRecord): JsonObject {
  const e = record.event
  const fields: Record<string, Json> = { index: record.index, at: iso(record.at), hash: bytesToHex(record.hash), kind: e.kind, share: bytesToHex(e.share) }
  switch (e.kind) {
    case 'share':
      Object.assign(fields, { path: e.path, recipients: e.recipients.map(bytesToHex), expires: e.expires === undefined ? null : iso(e.expires) })
      if (e.price !== undefined) fields.price = e.price
      break
    case 'revoke':
      fields.recipients = e.recipients.map(bytesToHex)
      break
    case 'expiry':
      fields.expires = e.expires === undefined ? null : iso(e.expires)
      break
    case 'payment':
      Object.assign(fields, { payer: bytesToHex(e.payer), amount: e.amount, messageId: bytesToHex(e.messageId) })
      break
    case 'link':
    case 'link-cancel':
      fields.link = bytesToHex(e.link)
      break
  }
  return fields
}

function reportLines (report: ShareLogReport, verified: boolean): string[] {
  const width = String(Math.max(0, report.records.length - 1)).length
  const lines = [`share log of ${bytesToHex(report.owner)}`]
  if (report.records.length === 0) lines.push('  (no records)')
  for (const record of report.records) lines.push(`  ${String(record.index).padStart(width)}  ${iso(record.at)}  ${describe(record.event)}`)
  const head = report.head === undefined ? 'empty' : `head ${bytesToHex(report.head)}`
  lines.push(`${report.records.length} record${report.records.length === 1 ? '' : 's'} signed by the owner and chained, ${head}`)
  if (verified) {
    const last = report.members.filter(m => m.segment === (report.members.at(-1)?.segment ?? 0))
    const behind = report.members.filter(m => m.state === 'behind').length
    const silent = report.members.filter(m => m.state === 'silent').length
    lines.push(`Data-Managers: ${report.agreed} hold exactly this log${behind > 0 ? `, ${behind} are behind` : ''}${silent > 0 ? `, ${silent} did not answer` : ''} (${last.length} asked per segment)`)
  }
  for (const p of report.problems) lines.push(`problem: record ${p.index}${p.member !== undefined ? ` at node ${p.member}` : ' in the agreed log'}: ${p.reason}`)
  lines.push(report.ok ? 'verified' : `FAILED: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`)
  return lines
}

function describe (e: ShareEvent): string {
  const share = short(e.share)
  switch (e.kind) {
    case 'share': {
      const terms = [e.expires !== undefined ? `until ${iso(e.expires)}` : '', e.price !== undefined ? `at ${e.price} credits a read` : ''].filter(t => t !== '')
      return `share        ${share} ${JSON.stringify(e.path)} with ${ids(e.recipients)}${terms.length > 0 ? ` ${terms.join(', ')}` : ''}`
    }
    case 'revoke': return `revoke       ${share} from ${ids(e.recipients)}`
    case 'expiry': return `expiry       ${share} ${e.expires === undefined ? 'never expires' : `until ${iso(e.expires)}`}`
    case 'payment': return `payment      ${share} ${e.amount} credits from account ${short(e.payer)}`
    case 'link': return `link         ${share} link ${short(e.link)}`
    case 'link-cancel': return `link-cancel  ${share} link ${short(e.link)}`
  }
}

function verificationFailed (report: ShareLogReport): SafeMeshError {
  const [first] = report.problems
  const where = first === undefined ? '' : `record ${first.index}${first.member !== undefined ? ` (node ${first.member})` : ''}: ${first.reason}`
  const more = report.problems.length > 1 ? ` (and ${report.problems.length - 1} more)` : ''
  return new SafeMeshError('InvalidRequest', `the share log of ${bytesToHex(report.owner)} fails verification: ${where}${more}`)
}

function ids (keys: readonly Uint8Array[]): string {
  return keys.length === 0 ? 'no one' : keys.map(short).join(', ')
}

function short (bytes: Uint8Array): string {
  return `${bytesToHex(bytes).slice(0, 16)}…`
}

function iso (ms: number): string {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString()
}
