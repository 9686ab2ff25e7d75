/**
 * What every bench command does first: its options (exit 2 with the help on bad usage, 0 after
 * printing it for --help), and an AbortSignal that the first SIGINT/SIGTERM aborts; a second one
 * forces the exit (130).
 */

export function parseOrExit<T> (parse: (argv: string[]) => T | undefined, help: string): T {
  let options: T | undefined
  try {
    options = parse(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${help}`)
    process.exit(2)
  }
  if (options === undefined) {
    process.stdout.write(help)
    process.exit(0)
  }
  return options
}

export interface InterruptOptions {
  /** Says what stopping means, once, on the first signal. */
  report: (signal: string) => void
  /** Runs on every signal before anything else (e.g. killing child processes). */
  onSignal?: () => void
  /** Forced exit this long after the first signal; none when undefined. */
  graceMs?: number
}

export function abortOnInterrupt (options: InterruptOptions): AbortController {
  const interrupted = new AbortController()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      options.onSignal?.()
      if (interrupted.signal.aborted) process.exit(130)
      options.report(signal)
      interrupted.abort(new Error(`interrupted by ${signal}`))
      if (options.graceMs != null) setTimeout(() => { process.exit(130) }, options.graceMs).unref()
    })
  }
  return interrupted
}
