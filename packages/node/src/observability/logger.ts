import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }
export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/**
 * Structured JSON logs on stderr (stdout is kept for what a person or a
 * script reads: the node's banner, a command's result).
 */
export function createLogger (level: string, bindings: Record<string, unknown> = {}): Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new RangeError(`unknown log level "${level}" (one of ${LOG_LEVELS.join(', ')})`)
  }
  return pino({ level, base: { pid: process.pid, ...bindings } }, pino.destination({ fd: 2, sync: false }))
}
