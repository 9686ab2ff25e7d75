/**
 * `npm run soak [-- options]`: one churn soak run, its tally on stdout, structured logs on
 * stderr. Exit code 0 when it passed, 1 when it failed (or could not run), 2 on bad usage, 130
 * when interrupted. `npm run soak -- --help` for the options.
 */
import { createLogger } from '@safemesh/node'
import { HELP, parseSoakOptions, type SoakOptions } from './options.js'
import { runSoak } from './soak.js'
import { formatTally } from './tally.js'

let options: SoakOptions | undefined
try {
  options = parseSoakOptions(process.argv.slice(2))
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${HELP}`)
  process.exit(2)
}
if (options === undefined) {
  process.stdout.write(HELP)
  process.exit(0)
}

const log = createLogger(options.logLevel, { name: 'soak' })
const interrupted = new AbortController()
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.on(name, () => {
    // The nodes are attached: they exit with this process even when it is forced out.
    if (interrupted.signal.aborted) process.exit(130)
    log.warn(`${name}: stopping every node and client (again to force)`)
    interrupted.abort(new Error(`interrupted by ${name}`))
  })
}

try {
  const tally = await runSoak(options, { log, signal: interrupted.signal })
  process.stdout.write(options.json ? `${JSON.stringify(tally, null, 2)}\n` : formatTally(tally))
  process.exitCode = tally.failures.length === 0 ? 0 : 1
} catch (err) {
  if (interrupted.signal.aborted) {
    process.exitCode = 130
  } else {
    log.error({ err }, 'the soak could not run')
    process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  }
}
