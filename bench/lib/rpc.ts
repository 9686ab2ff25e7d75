/**
 * The line protocol between the orchestrator and a child process: the
 * orchestrator writes one JSON request per line on the child's stdin, the
 * child answers each with one line on stdout that starts with `MARK`
 * (anything else on stdout is a stray log line and is passed on as such).
 */
export const MARK = '@@bench '

/** Every child answers it: the rejections nobody handled since the last time (their stacks). */
export const UNHANDLED_COMMAND = 'unhandledRejections'

export interface Request {
  id: number
  cmd: string
  args: Record<string, unknown>
}

export type Response =
  | { id: number, ok: true, result: unknown }
  | { id: number, ok: false, error: string }
