#!/usr/bin/env node
// The `safemesh` command (SPEC §10). Node ≥ 22 (libp2p 3); the compile cache halves start-up.
import { enableCompileCache } from 'node:module'

enableCompileCache?.()
const { runCli } = await import('../cli/program.js')

const interrupt = new AbortController()
process.once('SIGINT', () => { interrupt.abort(new Error('interrupted')) })
process.once('SIGTERM', () => { interrupt.abort(new Error('terminated')) })

const code = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal
})
process.exitCode = code
// libp2p may leave timers behind after stopping; once output is flushed, nothing else matters.
setTimeout(() => { process.exit(code) }, 2_000).unref()
