/**
 * Verifying an owner's share log from the network, with no account (issue 15): the log as Q
 * Data-Managers agree on it, every record checked (signature, index, chain), and each member of
 * every segment's close group asked on its own for its replica, so that one node that altered,
 * removed or reordered a record is found and named even while the quorum hides it.
 *
 * A member whose replica is a prefix of the agreed one is only behind (a mutation on its way); one
 * that holds more valid records is ahead. A member whose replica fails verification, or holds
 * another record that the owner also signed (a forked log), is a problem and fails the verification.
 */
import { verify } from '@safemesh/crypto'
import {
  SafeMeshError, TYPE_TAG_SHARE_LOG, bytesEqual, encodeMessage, listEntries, shareLogRecordHash,
  shareLogSegmentName, shareLogSegmentProblem, verifyShareLog, type MutableDataEntry, type VerifiedShareLogRecord, type XorName
} from '@safemesh/protocol'
import { askNode, type NodeAnswer } from '../quorum/answer.js'
import { readMutableData } from '../requests/data-reads.js'
import type { ClientContext, RequestOptions } from '../requests/request-context.js'
import { readAgreedShareLog, type SegmentSeen } from './share-log.js'

/** What one member of a segment's close group holds, compared with the agreed segment. */
export interface ShareLogMember {
  /** The node's peer id. */
  readonly member: string
  /** The first record index of the segment asked about. */
  readonly segment: number
  /**
   * `agreed`: the agreed segment exactly (or agrees it does not exist); `behind`: a prefix of it;
   * `ahead`: it and more valid records; `sound`: verifies where the agreed segment does not;
   * `bad`: fails verification (see the problems);
   * `silent`: no answer in time; `refused`: another refusal (`detail`); `invalid`: an answer no
   * honest node gives.
   */
  readonly state: 'agreed' | 'behind' | 'ahead' | 'sound' | 'bad' | 'silent' | 'refused' | 'invalid'
  /** Records the member holds in this segment, when it answered with one. */
  readonly records?: number
  readonly detail?: string
}

/** A bad record: in the agreed log (no member), or in one member's replica. */
export interface ShareLogProblem {
  readonly member?: string
  readonly index: number
  readonly reason: string
}

export interface ShareLogReport {
  readonly owner: Uint8Array
  /** The log's first segment: what `share log` names. */
  readonly log: XorName
  /** Every agreed record verified and no member's replica fails verification. */
  readonly ok: boolean
  /** The agreed records that verified, in order. */
  readonly records: VerifiedShareLogRecord[]
  /** The hash of the last agreed record; undefined when the log is empty. */
  readonly head: Uint8Array | undefined
  /** Members of the last segment's group whose replica is the agreed one exactly. */
  readonly agreed: number
  readonly members: ShareLogMember[]
  readonly problems: ShareLogProblem[]
}

export interface VerifyShareLogOptions extends RequestOptions {
  /** Ask every member on its own too (default true); false checks the agreed log only. */
  members?: boolean
}

/**
 * Once the quorum read is in, members still silent get this long again (at least this many ms)
 * before they count as silent: one dead node must not hold a verification for a whole timeout.
 */
const MIN_MEMBER_GRACE = 2_000

/** Verifies `owner`'s share log from the network (NoSuchData when it has none). */
export async function verifyShareLogOnNetwork (ctx: ClientContext, owner: Uint8Array, options: VerifyShareLogOptions = {}): Promise<ShareLogReport> {
  const members: ShareLogMember[] = []
  const problems: ShareLogProblem[] = []
  const requestOptions = options.signal != null ? { signal: options.signal } : {}
  let asked: MemberAsks | undefined
  const log = await readAgreedShareLog(owner, async ({ name, tag }) => {
    const started = performance.now()
    asked = options.members === false ? undefined : askEveryMember(ctx, name, options.signal)
    try {
      return (await readMutableData(ctx, { type: 'GetMData', name, tag }, requestOptions)).data
    } catch (err) {
      if (err instanceof SafeMeshError && err.code === 'NoSuchData') return undefined
      throw err
    } finally {
      asked?.cutAfter(Math.max(MIN_MEMBER_GRACE, 2 * (performance.now() - started)))
    }
  }, async (seen) => {
    if (asked === undefined) return
    for (const answer of await asked.answers) {
      const judged = judgeMember(answer, owner, seen)
      members.push(judged.member)
      if (judged.problem !== undefined) problems.push(judged.problem)
    }
  })
  if (log.failure !== undefined) problems.unshift({ index: log.failure.index, reason: log.failure.reason })
  const head = log.records.at(-1)?.hash
  const lastSegment = log.segments.at(-1)?.first ?? 0
  return {
    owner,
    log: shareLogSegmentName(owner, 0),
    ok: problems.length === 0,
    records: log.records,
    head,
    agreed: members.filter(m => m.segment === lastSegment && m.state === 'agreed').length,
    members,
    problems
  }
}

/** Each member's answer to come, and a way to stop waiting for the silent ones. */
interface MemberAsks {
  readonly answers: Promise<NodeAnswer[]>
  /** Members that have not answered `ms` from now count as silent. */
  cutAfter: (ms: number) => void
}

/** Sends a `GetMData` of the segment to each member of its close group on its own. */
function askEveryMember (ctx: ClientContext, name: XorName, callerSignal: AbortSignal | undefined): MemberAsks {
  const cut = new AbortController()
  const signal = callerSignal == null ? cut.signal : AbortSignal.any([callerSignal, cut.signal])
  const body = encodeMessage({ type: 'GetMData', name, tag: TYPE_TAG_SHARE_LOG })
  let timer: ReturnType<typeof setTimeout> | undefined
  let done = false
  const answers = Promise.all(ctx.transport.closeGroup(name).map(async node => await askNode(ctx.transport, node, body, (reply) => reply.type === 'GetMData', {
    signal,
    timeout: ctx.timeout,
    ...(callerSignal != null ? { callerSignal } : {})
  }))).finally(() => {
    done = true
    clearTimeout(timer)
  })
  // Rejects only with the caller's abort reason, which the quorum read reports too.
  answers.catch(() => {})
  return {
    answers,
    cutAfter: (ms) => {
      if (done) return
      clearTimeout(timer)
      timer = setTimeout(() => { cut.abort() }, ms)
    }
  }
}

/**
 * One member's answer for a segment, against what Q agreed of it. A member is blamed only for what
 * it holds beyond the agreed log's own faults: the same bad record as the quorum is the quorum's.
 */
function judgeMember (answer: NodeAnswer, owner: Uint8Array, seen: SegmentSeen): { member: ShareLogMember, problem?: ShareLogProblem } {
  const { first, agreed, prev, failure } = seen
  const member = answer.node.id
  const segment = first
  if (answer.kind === 'silent') return { member: { member, segment, state: 'silent' } }
  if (answer.kind === 'invalid') return { member: { member, segment, state: 'invalid', detail: answer.error.message } }
  if (answer.kind === 'refusal') {
    if (answer.error.code !== 'NoSuchData') return { member: { member, segment, state: 'refused', detail: answer.error.code } }
    return { member: { member, segment, state: agreed === undefined ? 'agreed' : 'behind', records: 0 } }
  }
  if (answer.reply.type !== 'GetMData') return { member: { member, segment, state: 'invalid', detail: `a ${answer.reply.type} reply` } }
  const data = answer.reply.data
  const held = listEntries(data)
  const bad = (index: number, reason: string): { member: ShareLogMember, problem: ShareLogProblem } =>
    ({ member: { member, segment, state: 'bad', records: held.length }, problem: { member, index, reason } })
  const problem = shareLogSegmentProblem(data, owner, first)
  if (problem !== undefined && (agreed === undefined || shareLogSegmentProblem(agreed, owner, first) === undefined)) return bad(first, `malformed: ${problem}`)
  const expected = agreed === undefined ? [] : listEntries(agreed)
  const same = sharedPrefix(held, expected)
  if (same === held.length) return { member: { member, segment, state: same === expected.length ? 'agreed' : 'behind', records: held.length } }
  // Where the member departs from the agreed segment, its records must verify on their own.
  const before = same === 0 ? prev : shareLogRecordHash((expected[same - 1] as MutableDataEntry).content)
  const result = verifyShareLog(held.slice(same), owner, verify, { index: first + same, prev: before })
  if (!result.ok) return bad(result.index, result.reason)
  if (same === expected.length) return { member: { member, segment, state: 'ahead', records: held.length } }
  // Where the agreed log itself is bad, a member whose records verify there is the sound one.
  if (failure !== undefined && first + same >= failure.index) return { member: { member, segment, state: 'sound', records: held.length } }
  return bad(first + same, `forked: the member holds another record ${first + same}, also signed by the owner`)
}

/** How many leading entries of `a` are the very entries of `b` (key, content and version). */
function sharedPrefix (a: readonly MutableDataEntry[], b: readonly MutableDataEntry[]): number {
  let n = 0
  while (n < a.length && n < b.length) {
    const x = a[n] as MutableDataEntry
    const y = b[n] as MutableDataEntry
    if (!bytesEqual(x.key, y.key) || !bytesEqual(x.content, y.content) || x.version !== y.version) break
    n++
  }
  return n
}
