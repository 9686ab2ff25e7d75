/** Polling helpers. */

/** Polls `check` until it returns true; rejects with `what` once `timeoutMs` has passed. Resolves with the ms it took. */
export async function eventually (check: () => Promise<boolean>, timeoutMs: number, intervalMs: number, what: string): Promise<number> {
  const started = performance.now()
  for (;;) {
    if (await check()) return performance.now() - started
    if (performance.now() - started > timeoutMs) throw new Error(`not reached within ${(timeoutMs / 1000).toFixed(0)} s: ${what}`)
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
}

/** Runs `fn` on every item, at most `limit` at once; rejects with the first failure once the running ones are done. */
export async function forEachLimited<T> (items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  let failure: { err: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (failure == null && next < items.length) {
      const index = next++
      try {
        await fn(items[index] as T, index)
      } catch (err) {
        failure ??= { err }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (failure != null) throw failure.err
}
