#!/usr/bin/env node
// The `safemesh` command (SPEC §10). Node ≥ 22 (libp2p 3); the compile cache halves start-up.
import { enableCompileCache } from 'node:module'

enableCompileCache?.()
const { runCli } = await import('../program.js')

const interrupt = new AbortController()
process.once('SIGINT', () => { interrupt.abort(new Error('interrupted')) })
process.once('SIGTERM', () => { interrupt.abort(new Error('terminated')) })

// Request timeouts are AbortSignal.timeout()s, whose timers are unref'd: hold the event loop open
// while the command runs, so that a wait on a silent network ends in Timeout, not a silent exit.
const keepAlive = setInterval(() => {}, 60_000)
const code = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal
})
clearInterval(keepAlive)
process.exitCode = code
// libp2p may leave timers behind after stopping; once output is flushed, nothing else matters.
setTimeout(() => { process.exit(code) }, 2_000).unref()
