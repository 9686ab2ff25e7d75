import { SafeMeshError, answerKey, isSafeMeshError, type MemberAnswer, type WireReply } from '@safemesh/protocol'
import type { PeerId } from '@libp2p/interface'

type Answer = MemberAnswer

/**
 * Asks every peer of a group the same thing and settles on the first answer
 * that `quorum` of them gave (the same answer by `answerKey`). Rejects with that refusal when it is the agreed answer, with
 * `NoQuorum` when the answers can no longer agree, and with `Timeout` when too
 * few came.
 */
export async function askForQuorum (
  peers: readonly PeerId[],
  ask: (peer: PeerId) => Promise<WireReply>,
  quorum: number
): Promise<WireReply> {
  if (peers.length < quorum) throw new SafeMeshError('NoQuorum', `only ${peers.length} of the ${quorum} nodes a quorum needs are known`)
  return await new Promise<WireReply>((resolve, reject) => {
    const tally: Tally = new Map()
    let pending = peers.length
    let settled = false
    let timedOut = 0
    const settle = (answer: Answer, words: ReadonlyMap<string, number>): void => {
      settled = true
      if ('reply' in answer) return resolve(answer.reply)
      // The words passed on are a quorum's too, or the code's own: never a lying minority's.
      const agreed = [...words].find(([, n]) => n >= quorum)?.[0]
      reject(new SafeMeshError(answer.error.code, agreed, answer.error.details))
    }
    const record = (answer: Answer): void => {
      pending--
      if (settled) return
      if ('error' in answer && answer.error.code === 'Timeout') timedOut++
      const key = answerKey(answer)
      const entry = tally.get(key) ?? { count: 0, answer, words: new Map<string, number>() }
      entry.count++
      if ('error' in answer) entry.words.set(answer.error.message, (entry.words.get(answer.error.message) ?? 0) + 1)
      tally.set(key, entry)
      if (entry.count >= quorum) return settle(entry.answer, entry.words)
      const best = Math.max(...[...tally.values()].map(e => e.count))
      if (best + pending < quorum) {
        settled = true
        reject(timedOut > peers.length - quorum
          ? new SafeMeshError('Timeout', `${timedOut} of ${peers.length} nodes did not answer`)
          : new SafeMeshError('NoQuorum', `no ${quorum} of ${peers.length} nodes agreed (${describeTally(tally)})`))
      }
    }
    for (const peer of peers) {
      ask(peer).then(
        reply => { record({ reply }) },
        err => { record({ error: isSafeMeshError(err) ? err : new SafeMeshError('Timeout', (err as Error).message) }) }
      )
    }
  })
}

type Tally = Map<string, { count: number, answer: Answer, words: Map<string, number> }>

/** What the group answered, for a person reading a NoQuorum: "4 × GetAccountInfo, 3 × NoSuchAccount". */
function describeTally (tally: Tally): string {
  return [...tally.values()]
    .sort((a, b) => b.count - a.count)
    .map(({ count, answer }) => `${count} × ${'reply' in answer ? answer.reply.type : answer.error.code}`)
    .join(', ')
}

/**
 * Asks every peer the same thing and resolves once `enough(answers)` says the
 * answers so far decide the matter, or every peer answered or failed (a
 * silent peer costs its own timeout only when its answer is still needed).
 */
export async function askUntil<A> (peers: readonly PeerId[], ask: (peer: PeerId) => Promise<A | undefined>, enough: (answers: ReadonlyArray<{ peer: PeerId, answer: A }>) => boolean): Promise<Array<{ peer: PeerId, answer: A }>> {
  const answers: Array<{ peer: PeerId, answer: A }> = []
  return await new Promise(resolve => {
    let pending = peers.length
    if (pending === 0) resolve(answers)
    for (const peer of peers) {
      ask(peer).then(answer => {
        if (answer !== undefined) answers.push({ peer, answer })
      }, () => {}).finally(() => {
        pending--
        if (pending === 0 || enough(answers)) resolve([...answers])
      })
    }
  })
}
