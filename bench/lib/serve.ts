/**
 * The child side of the line protocol (`rpc.ts`): runs one command at a time
 * and exits when its stdin closes, so a child never outlives the orchestrator.
 */
import { createInterface } from 'node:readline'
import { MARK, UNHANDLED_COMMAND, type Request, type Response } from './rpc.js'

type Handler = (args: Record<string, unknown>) => Promise<unknown>

export interface ServeOptions {
  handlers: Record<string, Handler>
  /** Releases what the handlers opened; bounded by a 10 s limit. */
  shutdown?: () => Promise<void>
}

export function serve (options: ServeOptions): void {
  let queue: Promise<void> = Promise.resolve()
  let exiting = false

  const exit = async (code: number): Promise<void> => {
    if (exiting) return
    exiting = true
    const limit = setTimeout(() => process.exit(code), 10_000)
    limit.unref()
    try {
      await options.shutdown?.()
    } catch (err) {
      log(`shutdown failed: ${(err as Error).message}`)
    }
    process.exit(code)
  }

  const answer = (response: Response): void => {
    process.stdout.write(`${MARK}${JSON.stringify(response)}\n`)
  }

  const run = async (line: string): Promise<void> => {
    let request: Request
    try {
      request = JSON.parse(line) as Request
    } catch {
      log(`not a request: ${line}`)
      return
    }
    const handler = handlers[request.cmd]
    if (handler == null) {
      answer({ id: request.id, ok: false, error: `unknown command ${request.cmd}` })
      return
    }
    try {
      answer({ id: request.id, ok: true, result: await handler(request.args) })
    } catch (err) {
      const error = err as Error
      answer({ id: request.id, ok: false, error: `${error.name}: ${error.message}${error.stack != null ? `\n${error.stack}` : ''}` })
    }
  }

  // A rejection nobody handled would end the process (Node's default) and every later run
  // with it: it is logged and kept, and the orchestrator collects it with UNHANDLED_COMMAND.
  const unhandled: string[] = []
  process.on('unhandledRejection', (reason) => {
    const text = reason instanceof Error ? reason.stack ?? `${reason.name}: ${reason.message}` : String(reason)
    log(`unhandled rejection: ${text}`)
    unhandled.push(text)
  })
  const handlers: Record<string, Handler> = {
    ...options.handlers,
    [UNHANDLED_COMMAND]: async () => unhandled.splice(0)
  }

  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => { queue = queue.then(async () => { await run(line) }) })
  // The orchestrator closes stdin when it is done with this child, or when it dies: stop at once.
  lines.on('close', () => { void exit(0) })
  process.on('SIGTERM', () => { void exit(143) })
  process.on('SIGINT', () => { void exit(130) })
}

/** Logs go to stderr: stdout carries the answers. */
function log (message: string): void {
  process.stderr.write(`${message}\n`)
}

export function numberArg (args: Record<string, unknown>, name: string): number {
  const value = args[name]
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`argument ${name} must be a number`)
  return value
}

export function stringArg (args: Record<string, unknown>, name: string): string {
  const value = args[name]
  if (typeof value !== 'string') throw new TypeError(`argument ${name} must be a string`)
  return value
}

export function stringsArg (args: Record<string, unknown>, name: string): string[] {
  const value = args[name]
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new TypeError(`argument ${name} must be a list of strings`)
  }
  return value
}

/** This process's peak resident set size, in bytes. */
export function peakRss (): number {
  return process.resourceUsage().maxRSS * 1024
}
