import type { CliClients } from './clients.js'
import type { CliIo } from './io.js'
import type { Output } from './output.js'

/** What every command's action gets. */
export interface ActionContext {
  readonly io: CliIo
  readonly out: Output
  readonly clients: CliClients
  readonly signal?: AbortSignal
  /** Set by a command that writes data to stdout, so that a later error goes to stderr only. */
  stdoutInUse: boolean
}

/** `{signal}` for library calls. */
export function signalOption (ctx: ActionContext): { signal?: AbortSignal } {
  return ctx.signal != null ? { signal: ctx.signal } : {}
}
