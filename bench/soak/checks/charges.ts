/**
 * No account was charged for a failure or missed a charge (SPEC §4): each Maid-Manager of each
 * account (the G nearest nodes to the account's name) is asked directly for the account's
 * mutation count, as the account's owner, and every one of them must report the same count,
 * within [acknowledged, acknowledged + ambiguous] of what the client sent (MutationLedger).
 * Polls until that holds or the deadline passes (a record may still be on its way to a new member).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { kadPositionOfName, xorNameFromHex } from '@safemesh/protocol'
import type { Logger } from 'pino'
import { closeGroupAt, type NetworkNode } from '../close-groups.js'
import { whyNot } from '../holds.js'
import { Inspector } from '../inspector.js'
import type { AccountMutations, MutationLedger } from '../mutation-ledger.js'
import type { Writer } from '../writer.js'

const ASK_TIMEOUT_MS = 10_000
const ROUND_PAUSE_MS = 2_000

export interface AccountCharges extends AccountMutations {
  client: number
  account: string
  /** Per Maid-Manager: "node 3: 57" or "node 3: NoSuchAccount". */
  counts: string[]
  ok: boolean
  why?: string
  /** Every Maid-Manager agrees on a count above what the client may have been charged. */
  overcharged?: boolean
}

export async function checkCharges (writers: readonly Writer[], ledger: MutationLedger, nodes: readonly NetworkNode[], groupSize: number, deadline: number, log: Logger): Promise<AccountCharges[]> {
  const results: AccountCharges[] = []
  for (const writer of writers) {
    const keys = writer.client.keys
    if (keys === undefined) throw new Error('unreachable: a writer acts with its account\'s keys')
    const expected = ledger.ofAccount(writer.account)
    const account = xorNameFromHex(writer.account)
    const group = closeGroupAt(kadPositionOfName(account), nodes, groupSize)
    // The owner's own key: Maid-Managers answer an account's reads to its owner only.
    const inspector = await Inspector.start(privateKeyFromRaw(keys.sign.secretKey))
    try {
      let result: AccountCharges
      for (let round = 1; ; round++) {
        const answers = await Promise.all(group.map(async (member) => {
          try {
            const reply = await inspector.ask(member, { type: 'GetAccountInfo', account, requester: keys.sign.publicKey }, ASK_TIMEOUT_MS)
            return reply.type === 'GetAccountInfo' ? { member, count: reply.mutationsDone } : { member, why: `answered ${reply.type}` }
          } catch (err) {
            return { member, why: whyNot(err) }
          }
        }))
        result = judge(writer, expected, answers, groupSize)
        // A count only grows: one above the range agreed by every member is final.
        if (result.ok || result.overcharged === true || performance.now() + ROUND_PAUSE_MS >= deadline) break
        log.info({ client: writer.index, round, why: result.why }, 'charge check: not yet')
        await sleep(ROUND_PAUSE_MS)
      }
      results.push(result)
    } finally {
      await inspector.close()
    }
  }
  return results
}

function judge (writer: Writer, expected: AccountMutations, answers: Array<{ member: NetworkNode, count?: number, why?: string }>, groupSize: number): AccountCharges {
  const counts = answers.map(a => `node ${a.member.index}: ${a.count ?? a.why ?? '?'}`)
  const base = { client: writer.index, account: writer.account, ...expected, counts }
  const known = answers.flatMap(a => a.count === undefined ? [] : [a.count])
  const distinct = [...new Set(known)]
  const high = expected.acknowledged + expected.ambiguous
  let why: string | undefined
  if (known.length < groupSize) why = `${groupSize - known.length} of its ${groupSize} Maid-Managers gave no count`
  else if (distinct.length > 1) why = `its Maid-Managers disagree (${distinct.sort((a, b) => a - b).join(', ')})`
  else if ((distinct[0] as number) < expected.acknowledged) why = `charged ${distinct[0] as number}, fewer than the ${expected.acknowledged} acknowledged mutations`
  else if ((distinct[0] as number) > high) {
    return { ...base, ok: false, overcharged: true, why: `charged ${distinct[0] as number}, more than the ${expected.acknowledged} acknowledged + ${expected.ambiguous} ambiguous mutations` }
  }
  return why === undefined ? { ...base, ok: true } : { ...base, ok: false, why }
}
