/**
 * Lets timers and I/O callbacks run. Self-encryption does ~10 ms of synchronous hashing and
 * encryption per MiB; a source that never waits on real I/O (an in-memory generator) would
 * otherwise hold the event loop for the whole file.
 */
export function yieldToEventLoop (): Promise<void> {
  return new Promise((resolve) => { setImmediate(resolve) })
}
