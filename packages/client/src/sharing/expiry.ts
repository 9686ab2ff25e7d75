/**
 * When a share ends, as people write it: a duration from now (`30s`, `90m`, `24h`, `7d`, or
 * several, `1h30m`) or an ISO 8601 date (`2025-01-31`, `2025-01-31T18:00:00Z`). The Data-Managers
 * compare it with their own clocks (docs/protocol.md, "Sharing"), so it is kept as ms since 1970.
 */
import { SafeMeshError } from '@safemesh/protocol'

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }
const DURATION = /^(?:\d+[smhdw])+$/
const PART = /(\d+)([smhdw])/g

/** The moment `text` names, in ms since 1970; `InvalidRequest` for anything else or a moment not after `now`. */
export function parseExpiry (text: string, now: number = Date.now()): number {
  const trimmed = text.trim().toLowerCase()
  let at: number
  if (DURATION.test(trimmed)) {
    let ms = 0
    for (const [, count, unit] of trimmed.matchAll(PART)) ms += Number(count) * (UNIT_MS[unit as string] as number)
    at = now + ms
  } else if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    at = Date.parse(text.trim())
  } else {
    at = NaN
  }
  if (!Number.isSafeInteger(at)) {
    throw new SafeMeshError('InvalidRequest', `an expiry is a duration (30s, 90m, 24h, 7d) or an ISO date (2025-01-31T18:00:00Z), got ${JSON.stringify(text)}`)
  }
  if (at <= now) throw new SafeMeshError('InvalidRequest', `the expiry ${new Date(at).toISOString()} has passed already`)
  return at
}
