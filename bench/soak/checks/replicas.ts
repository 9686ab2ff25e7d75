/**
 * Every name written is at G replicas (SPEC §5): each member of its close group (the G nearest
 * nodes of the settled network) is asked directly. A chunk counts when the member returns bytes
 * of that name; a MutableData when the member's entries are the ones the writes left (one of its
 * accepted states, see md-model.ts) and the same as most members' — a stale or diverged replica
 * is not a replica of what was written. Polls until every name is at G or the deadline passes.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { closeGroupAt, type NetworkNode } from '../close-groups.js'
import { forEachLimited, holds, whyNot } from '../holds.js'
import type { Inspector } from '../inspector.js'
import { describeEntries, entriesKey, entriesKeyOfList, entriesOf, type Entries } from '../md-model.js'
import { describeName, type WrittenName } from '../written-names.js'

const ASK_TIMEOUT_MS = 10_000
const ROUND_PAUSE_MS = 2_000
const CONCURRENCY = 16

export interface ReplicaShortfall {
  name: string
  holders: number
  /** Per member that does not hold it: "node 5: NoSuchData". */
  lacking: string[]
}

export interface ReplicaReport {
  chunks: number
  mdata: number
  belowG: ReplicaShortfall[]
  /** How long until every name was at G (or the deadline). */
  seconds: number
}

export interface ReplicaCheck {
  inspector: Inspector
  nodes: readonly NetworkNode[]
  groupSize: number
  names: readonly WrittenName[]
  /** The states a MutableData may be in, by `${hex}/${tag}`. */
  accepted: ReadonlyMap<string, readonly Entries[]>
  deadline: number
  log: Logger
  /** What node `index` takes for the close group of a name (its admin endpoint), for the report. */
  viewOf?: (index: number, hex: string) => Promise<string[]>
}

interface Progress {
  /** Members known to hold a chunk (a chunk once held stays held). */
  held: Set<string>
  shortfall?: ReplicaShortfall
}

export async function checkReplicas (check: ReplicaCheck): Promise<ReplicaReport> {
  const started = performance.now()
  const progress = new Map<WrittenName, Progress>(check.names.map(n => [n, { held: new Set() }]))
  let pending = [...check.names]
  for (let round = 1; ; round++) {
    await forEachLimited(pending, CONCURRENCY, async (name) => {
      const state = progress.get(name) as Progress
      const group = closeGroupAt(name.position, check.nodes, check.groupSize)
      const shortfall = name.kind === 'chunk' ? await checkChunk(check, name, group, state.held) : await checkMData(check, name, group)
      if (shortfall === undefined) delete state.shortfall
      else state.shortfall = shortfall
    })
    pending = pending.filter(n => progress.get(n)?.shortfall !== undefined)
    check.log.info({ round, names: check.names.length, belowG: pending.length }, 'replica check')
    if (pending.length === 0 || performance.now() + ROUND_PAUSE_MS >= check.deadline) break
    await sleep(ROUND_PAUSE_MS)
  }
  const belowG = pending.map(n => progress.get(n)?.shortfall as ReplicaShortfall)
  if (check.viewOf !== undefined) await explainViews(check, pending.slice(0, 10))
  return {
    chunks: check.names.filter(n => n.kind === 'chunk').length,
    mdata: check.names.filter(n => n.kind === 'mdata').length,
    belowG,
    seconds: (performance.now() - started) / 1000
  }

  /** For the first few: whether each lacking member counts itself in the name's group. */
  async function explainViews (c: ReplicaCheck, names: WrittenName[]): Promise<void> {
    for (const name of names) {
      const shortfall = progress.get(name)?.shortfall
      if (shortfall === undefined) continue
      const group = closeGroupAt(name.position, c.nodes, c.groupSize)
      shortfall.lacking = await Promise.all(shortfall.lacking.map(async (line) => {
        const index = Number(/^node (\d+)/.exec(line)?.[1])
        const member = group.find(m => m.index === index)
        if (member === undefined || c.viewOf === undefined) return line
        const view = await c.viewOf(index, name.hex).catch(() => undefined)
        if (view === undefined) return line
        return `${line} (it ${view.includes(member.peerId) ? 'counts itself in the group' : 'does not count itself in the group'})`
      }))
    }
  }
}

async function checkChunk (check: ReplicaCheck, name: WrittenName, group: NetworkNode[], held: Set<string>): Promise<ReplicaShortfall | undefined> {
  const lacking: string[] = []
  await Promise.all(group.filter(m => !held.has(m.peerId)).map(async (member) => {
    const holding = await holds(check.inspector, member, name, ASK_TIMEOUT_MS)
    if (holding.holds) held.add(member.peerId)
    else lacking.push(`node ${member.index}: ${holding.why}`)
  }))
  const holders = group.filter(m => held.has(m.peerId)).length
  return holders >= check.groupSize ? undefined : { name: describeName(name), holders, lacking: lacking.sort() }
}

async function checkMData (check: ReplicaCheck, name: WrittenName, group: NetworkNode[]): Promise<ReplicaShortfall | undefined> {
  if (name.kind !== 'mdata') throw new Error('unreachable: not a MutableData')
  const accepted = check.accepted.get(`${name.hex}/${name.tag}`) ?? []
  const acceptedKeys = new Set(accepted.map(entriesKey))
  const answers = await Promise.all(group.map(async (member) => {
    try {
      const reply = await check.inspector.ask(member, { type: 'ListMDataEntries', name: name.name, tag: name.tag }, ASK_TIMEOUT_MS)
      if (reply.type !== 'ListMDataEntries') return { member, why: `answered ${reply.type}` }
      return { member, state: entriesKeyOfList(reply.entries), entries: entriesOf(reply.entries) }
    } catch (err) {
      return { member, why: whyNot(err) }
    }
  }))
  // The accepted state most members hold is the replica; members with another one are stale.
  const votes = new Map<string, number>()
  for (const a of answers) if (a.state !== undefined && acceptedKeys.has(a.state)) votes.set(a.state, (votes.get(a.state) ?? 0) + 1)
  const agreed = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]
  const lacking: string[] = []
  for (const a of answers) {
    if (a.state !== undefined && a.state === agreed) continue
    lacking.push(`node ${a.member.index}: ${a.entries !== undefined ? `holds another state, ${describeEntries(a.entries)}` : a.why ?? 'no answer'}`)
  }
  const holders = group.length - lacking.length
  if (holders >= check.groupSize) return undefined
  const expected = accepted.map(describeEntries).join(' or ')
  return { name: `${describeName(name)} (expected ${expected})`, holders, lacking: lacking.sort() }
}
