/** Uploading many files at once (`fs put -r`, `web publish`): bounded, and all or nothing. */
import { Slots } from '@safemesh/net'

/**
 * Runs `work` on every item, `concurrency` at once, and gives the results in the items' order. The
 * first failure aborts the others (their signal) and is what this throws: a caller records nothing
 * unless every item was stored.
 */
export async function uploadEach<T, R> (items: readonly T[], concurrency: number, signal: AbortSignal | undefined, work: (item: T, index: number, signal: AbortSignal) => Promise<R>): Promise<R[]> {
  const slots = new Slots(concurrency)
  const failed = new AbortController()
  const each = signal === undefined ? failed.signal : AbortSignal.any([signal, failed.signal])
  const runs = items.map(async (item, index) => {
    await slots.acquire(each)
    try {
      return await work(item, index, each)
    } catch (err) {
      failed.abort(err)
      throw err
    } finally {
      slots.release()
    }
  })
  const settled = await Promise.allSettled(runs)
  if (failed.signal.aborted) throw failed.signal.reason
  return settled.map(s => {
    if (s.status === 'rejected') throw s.reason
    return s.value
  })
}
