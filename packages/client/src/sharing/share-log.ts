/**
 * The owner's share log (issue 15, docs/protocol.md "The share log"): records of shares,
 * revocations, expiry changes, payments and links, signed by the owner, hash-chained, appended to
 * append-only MutableData (tag 1005) that anyone can read and verify (`share-log-verify.ts`).
 *
 * Only the account's owner writes it: a record is signed with the owner's signing key and the log
 * grants no one else anything. Appends are serialised per `ShareLog`; two sessions of one owner
 * appending at once meet on the same index, and the slower one (`EntryExists`) re-reads and retries.
 */
import { sign, verify, type SigningKeyPair } from '@safemesh/crypto'
import {
  SHARE_LOG_GENESIS, SafeMeshError, TYPE_TAG_SHARE_LOG, encodeShareLogRecord, isSafeMeshError, listEntries, newMutableData,
  shareLogKey, shareLogRecordHash, shareLogSegmentName, shareLogSegmentProblem, signShareLogRecord, verifyShareLog,
  type KeyedEntryAction, type MutableData, type MutableDataEntry, type ShareEvent, type ShareLogRecord, type VerifiedShareLogRecord, type XorName
} from '@safemesh/protocol'
import type { MDataAddress } from '../client.js'
import type { RequestOptions } from '../requests/request-context.js'

/** The client requests a share log needs. */
export interface ShareLogRequests {
  getMData (md: MDataAddress, options?: RequestOptions): Promise<MutableData>
  putMData (data: MutableData, options?: RequestOptions): Promise<void>
  mutateMDataEntries (md: MDataAddress, actions: KeyedEntryAction[], options?: RequestOptions): Promise<void>
}

/** One segment of a log as a quorum of its Data-Managers gave it. */
interface AgreedSegment {
  /** The index of its first record. */
  readonly first: number
  readonly name: XorName
  readonly data: MutableData
}

/** A log as a quorum gave it, verified up to its first bad record. */
interface AgreedShareLog {
  readonly segments: AgreedSegment[]
  readonly records: VerifiedShareLogRecord[]
  /** The first bad record, when there is one. */
  readonly failure?: { readonly index: number, readonly reason: string }
}

/** Where the next record goes. */
interface Tail {
  readonly first: number
  readonly next: number
  readonly prev: Uint8Array
}

/** Tries of one append that met another writer of the same log. */
const APPEND_TRIES = 5

/** What a quorum said of one segment, verified (`failure`: its first bad record). */
export interface SegmentSeen {
  /** The index of its first record. */
  readonly first: number
  /** Undefined: Q Data-Managers say it does not exist. */
  readonly agreed: MutableData | undefined
  /** The hash of the record before it. */
  readonly prev: Uint8Array
  readonly failure?: { readonly index: number, readonly reason: string }
}

/**
 * Reads `owner`'s log segment by segment, each through `read` (a quorum read; undefined when the
 * segment does not exist), verifying as it goes; `onSegment` sees each segment as verified. Stops
 * after the last segment, or at the first bad record. NoSuchData when the owner has no log.
 */
export async function readAgreedShareLog (
  owner: Uint8Array,
  read: (address: MDataAddress) => Promise<MutableData | undefined>,
  onSegment?: (seen: SegmentSeen) => Promise<void>
): Promise<AgreedShareLog> {
  const segments: AgreedSegment[] = []
  const records: VerifiedShareLogRecord[] = []
  let first = 0
  let prev = SHARE_LOG_GENESIS
  while (true) {
    const name = shareLogSegmentName(owner, first)
    const data = await read({ name, tag: TYPE_TAG_SHARE_LOG })
    if (data === undefined) {
      await onSegment?.({ first, agreed: undefined, prev })
      if (first === 0) throw new SafeMeshError('NoSuchData', `${hex(owner)} has no share log`)
      return { segments, records }
    }
    segments.push({ first, name, data })
    const entries = listEntries(data)
    const failure = segmentFailure(data, entries, owner, first, prev, records)
    await onSegment?.({ first, agreed: data, prev, ...(failure !== undefined ? { failure } : {}) })
    if (failure !== undefined) return { segments, records, failure }
    // Only the first segment may be empty, and nothing follows an empty one.
    if (entries.length === 0) return { segments, records }
    first += entries.length
    prev = records.at(-1)?.hash ?? prev
  }
}

/** Verifies one segment, adding its good records to `records`; its first bad record, if any. */
function segmentFailure (
  data: MutableData, entries: MutableDataEntry[], owner: Uint8Array, first: number, prev: Uint8Array, records: VerifiedShareLogRecord[]
): { index: number, reason: string } | undefined {
  const problem = shareLogSegmentProblem(data, owner, first)
  if (problem !== undefined) return { index: first, reason: `malformed: ${problem}` }
  const result = verifyShareLog(entries, owner, verify, { index: first, prev })
  records.push(...result.records)
  return result.ok ? undefined : { index: result.index, reason: result.reason }
}

/** A quorum read of a MutableData, undefined when Q Data-Managers say it does not exist. */
async function readIfExists (requests: Pick<ShareLogRequests, 'getMData'>, address: MDataAddress, options: RequestOptions): Promise<MutableData | undefined> {
  try {
    return await requests.getMData(address, options)
  } catch (err) {
    if (isSafeMeshError(err) && err.code === 'NoSuchData') return undefined
    throw err
  }
}

/** The owner's own log: `ensure` makes it, `append` adds a signed, chained record. */
export class ShareLog {
  private readonly requests: ShareLogRequests
  private readonly keys: SigningKeyPair
  private readonly now: () => number
  private tail?: Tail
  private queue: Promise<unknown> = Promise.resolve()

  /** `keys`: the owner's signing key pair; `now`: the clock records are stamped with. */
  constructor (requests: ShareLogRequests, keys: SigningKeyPair, now: () => number = Date.now) {
    this.requests = requests
    this.keys = keys
    this.now = now
  }

  /** The owner's public key: the ID the log is verified under. */
  get owner (): Uint8Array {
    return this.keys.publicKey
  }

  /** The log's first segment: where a reader starts. */
  get address (): MDataAddress {
    return { name: shareLogSegmentName(this.owner, 0), tag: TYPE_TAG_SHARE_LOG }
  }

  /** Creates the log (its empty first segment, owned by the owner, no one else permitted) if absent. */
  async ensure (options: RequestOptions = {}): Promise<void> {
    const existing = await readIfExists(this.requests, this.address, options)
    if (existing === undefined) {
      try {
        await this.requests.putMData(newMutableData({ name: this.address.name, tag: TYPE_TAG_SHARE_LOG, owners: [this.owner] }), options)
        return
      } catch (err) {
        if (!(isSafeMeshError(err) && err.code === 'DataExists')) throw err
      }
    }
    const data = existing ?? await this.requests.getMData(this.address, options)
    const problem = shareLogSegmentProblem(data, this.owner, 0)
    if (problem !== undefined) throw new SafeMeshError('DataExists', `the name of your share log is taken: ${problem}`)
  }

  /** The log as a quorum holds it, every record verified; InvalidRequest when a record is bad. */
  async read (options: RequestOptions = {}): Promise<VerifiedShareLogRecord[]> {
    const log = await readAgreedShareLog(this.owner, async (address) => await readIfExists(this.requests, address, options))
    if (log.failure !== undefined) throw brokenLog(log.failure)
    return log.records
  }

  /** Appends `event` as the next record, signed and chained to the last one; resolves with it. */
  async append (event: ShareEvent, options: RequestOptions = {}): Promise<ShareLogRecord> {
    const run = this.queue.then(async () => await this.appendNow(event, options))
    this.queue = run.catch(() => {})
    return await run
  }

  private async appendNow (event: ShareEvent, options: RequestOptions): Promise<ShareLogRecord> {
    for (let attempt = 1; ; attempt++) {
      const tail = this.tail ?? await this.locateTail(options)
      const record: ShareLogRecord = { index: tail.next, prev: tail.prev, at: this.now(), event }
      const content = encodeShareLogRecord(record, signShareLogRecord(record, (message) => sign(message, this.keys.secretKey)))
      this.tail = undefined
      let first: number
      try {
        first = await this.insert(tail, content, options)
      } catch (err) {
        // Another session of this owner took the index (or made the next segment) first.
        if (attempt < APPEND_TRIES && isConflict(err)) continue
        throw err
      }
      this.tail = { first, next: tail.next + 1, prev: shareLogRecordHash(content) }
      return record
    }
  }

  /** Inserts into the tail's segment, or starts the next one when it is full; the segment's first index. */
  private async insert (tail: Tail, content: Uint8Array, options: RequestOptions): Promise<number> {
    const key = shareLogKey(tail.next)
    try {
      await this.requests.mutateMDataEntries({ name: shareLogSegmentName(this.owner, tail.first), tag: TYPE_TAG_SHARE_LOG }, [{ key, action: { kind: 'Insert', content } }], options)
      return tail.first
    } catch (err) {
      if (!(isSafeMeshError(err) && (err.code === 'TooManyEntries' || err.code === 'DataTooLarge')) || tail.next === tail.first) throw err
    }
    const name = shareLogSegmentName(this.owner, tail.next)
    await this.requests.putMData(newMutableData({ name, tag: TYPE_TAG_SHARE_LOG, owners: [this.owner], entries: [{ key, content }] }), options)
    return tail.next
  }

  /** Reads the log to find its last record (making the log when it has none). */
  private async locateTail (options: RequestOptions): Promise<Tail> {
    let log
    try {
      log = await readAgreedShareLog(this.owner, async (address) => await readIfExists(this.requests, address, options))
    } catch (err) {
      if (!(isSafeMeshError(err) && err.code === 'NoSuchData')) throw err
      await this.ensure(options)
      return { first: 0, next: 0, prev: SHARE_LOG_GENESIS }
    }
    if (log.failure !== undefined) throw brokenLog(log.failure)
    const last = log.records.at(-1)
    return { first: log.segments.at(-1)?.first ?? 0, next: log.records.length, prev: last?.hash ?? SHARE_LOG_GENESIS }
  }
}

/** The refusals that mean another writer of the same log went first. */
function isConflict (err: unknown): boolean {
  if (!isSafeMeshError(err)) return false
  if (err.code === 'DataExists' || err.code === 'EntryExists') return true
  return err.code === 'InvalidEntryActions' && err.details !== undefined && 'errors' in err.details &&
    err.details.errors.every(e => e.error.code === 'EntryExists')
}

function brokenLog (failure: { index: number, reason: string }): SafeMeshError {
  return new SafeMeshError('InvalidRequest', `the share log fails verification at record ${failure.index}: ${failure.reason}`)
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
