/**
 * `npm run soak [-- options]`: one churn soak run, its tally on stdout, structured logs on
 * stderr. Exit code 0 when it passed, 1 when it failed (or could not run), 2 on bad usage, 130
 * when interrupted. `npm run soak -- --help` for the options.
 */
import { createLogger } from '@safemesh/node'
import { HELP, parseSoakOptions } from './options.js'
import { abortOnInterrupt, parseOrExit } from '../lib/cli.js'
import { runSoak } from './soak.js'
import { formatTally } from './tally.js'

const options = parseOrExit(parseSoakOptions, HELP)
const log = createLogger(options.logLevel, { name: 'soak' })
// The nodes are attached: they exit with this process even when it is forced out.
const interrupted = abortOnInterrupt({ report: (signal) => { log.warn(`${signal}: stopping every node and client (again to force)`) } })

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
