/**
 * A counting semaphore whose waits can be aborted: bounds how much work is in
 * flight without ever leaving a waiter behind when its caller gives up.
 */
export class Slots {
  private free: number
  private readonly waiters: Array<() => void> = []

  constructor (count: number) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError('Slots needs a positive count')
    this.free = count
  }

  async acquire (signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.free > 0) {
      this.free--
      return
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>()
    const wake = (): void => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    const onAbort = (): void => {
      const index = this.waiters.indexOf(wake)
      if (index >= 0) this.waiters.splice(index, 1)
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    this.waiters.push(wake)
    await promise
  }

  release (): void {
    const next = this.waiters.shift()
    if (next != null) next()
    else this.free++
  }
}
