/**
 * Every mutation the soak's clients sent, by message id, with what each Maid-Manager answered.
 *
 * The client library retries a mutation under the same message id, and a Maid-Manager runs a
 * message id once and answers its retries with the first outcome, so one message id is charged at
 * most once. What the Maid-Managers answered decides what each account must have been charged:
 *
 * - **acknowledged**: Q distinct Maid-Managers answered success. Each of them charged the
 *   account before answering, so the charge must be there.
 * - **refused**: Q distinct Maid-Managers gave the same final refusal (a SPEC error other than
 *   `Timeout`, `NoQuorum` or "not the group of this name") and none answered success: nothing
 *   may be charged.
 * - **ambiguous**: anything else, e.g. the client gave up after its retries with `Timeout` or
 *   `NoQuorum`. It may or may not have been charged.
 *
 * Answers are counted across the tries of one message id, and late answers (mutations are
 * delivered to every member even after the client has its quorum) are counted too: they are as
 * binding as the early ones.
 */
import { SafeMeshError, bytesToHex, isMisrouted, quorumOf, xorNameToHex, type MutableData, type Mutation } from '@safemesh/protocol'

export type Verdict = 'acknowledged' | 'refused' | 'ambiguous'

/** One Maid-Manager's answer to one try of a mutation. */
export type NodeAnswer =
  | { readonly kind: 'success' }
  /** `final` when the code is a verdict on the request (not Timeout, NoQuorum or misrouted). */
  | { readonly kind: 'refusal', readonly code: string, readonly final: boolean }
  /** No answer in time, unreachable, or an answer no honest node gives. */
  | { readonly kind: 'silent' }

export interface MutationRecord {
  readonly messageId: string
  readonly type: Mutation['type']
  readonly account: string
  /** The chunk or MutableData the mutation writes (hex); undefined for auth-key mutations. */
  readonly dataName?: string
  /** A PutMData's data, as sent. */
  readonly data?: MutableData
  readonly firstSentAt: number
  /** Per node id: every answer it gave to this message id. */
  readonly answers: Map<string, NodeAnswer[]>
  /** When the Q-th success arrived. */
  acknowledgedAt?: number
}

export interface AccountMutations {
  acknowledged: number
  refused: number
  ambiguous: number
}

export class MutationLedger {
  private readonly quorum: number
  private readonly records = new Map<string, MutationRecord>()

  constructor (groupSize: number) {
    this.quorum = quorumOf(groupSize)
  }

  /** The record of `mutation`'s message id, created at its first try. */
  sent (mutation: Mutation): MutationRecord {
    const messageId = bytesToHex(mutation.messageId)
    let record = this.records.get(messageId)
    if (record === undefined) {
      const dataName = dataNameOf(mutation)
      record = {
        messageId,
        type: mutation.type,
        account: xorNameToHex(mutation.account),
        ...(dataName !== undefined ? { dataName } : {}),
        ...(mutation.type === 'PutMData' ? { data: mutation.data } : {}),
        firstSentAt: performance.now(),
        answers: new Map()
      }
      this.records.set(messageId, record)
    }
    return record
  }

  answered (record: MutationRecord, nodeId: string, answer: NodeAnswer): void {
    const answers = record.answers.get(nodeId) ?? []
    answers.push(answer)
    record.answers.set(nodeId, answers)
    if (answer.kind === 'success' && record.acknowledgedAt === undefined && successes(record) >= this.quorum) {
      record.acknowledgedAt = performance.now()
    }
  }

  verdict (record: MutationRecord): Verdict {
    const agreed = successes(record)
    if (agreed >= this.quorum) return 'acknowledged'
    if (agreed === 0) {
      const votes = new Map<string, number>()
      for (const answers of record.answers.values()) {
        for (const code of new Set(answers.flatMap(a => a.kind === 'refusal' && a.final ? [a.code] : []))) {
          votes.set(code, (votes.get(code) ?? 0) + 1)
        }
      }
      if ([...votes.values()].some(count => count >= this.quorum)) return 'refused'
    }
    return 'ambiguous'
  }

  get (messageId: string): MutationRecord | undefined {
    return this.records.get(messageId)
  }

  all (): MutationRecord[] {
    return [...this.records.values()]
  }

  /** What `account` (hex) sent, by verdict. */
  ofAccount (account: string): AccountMutations {
    const counts: AccountMutations = { acknowledged: 0, refused: 0, ambiguous: 0 }
    for (const record of this.records.values()) {
      if (record.account === account) counts[this.verdict(record)]++
    }
    return counts
  }
}

/** How a transport's outcome for one node counts (the client library's own classification). */
export function answerOf (outcome: { reply: boolean } | { error: unknown }): NodeAnswer {
  if ('reply' in outcome) return outcome.reply ? { kind: 'success' } : { kind: 'silent' }
  const err = outcome.error
  if (!(err instanceof SafeMeshError) || err.code === 'Timeout') return { kind: 'silent' }
  return { kind: 'refusal', code: err.code, final: err.code !== 'NoQuorum' && !isMisrouted(err) }
}

function successes (record: MutationRecord): number {
  let count = 0
  for (const answers of record.answers.values()) if (answers.some(a => a.kind === 'success')) count++
  return count
}

function dataNameOf (mutation: Mutation): string | undefined {
  switch (mutation.type) {
    case 'PutMData': return xorNameToHex(mutation.data.name)
    case 'InsAuthKey':
    case 'DelAuthKey':
    case 'TransferCredit': return undefined
    default: return xorNameToHex(mutation.name)
  }
}
