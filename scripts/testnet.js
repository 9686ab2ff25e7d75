#!/usr/bin/env node
// `npm run testnet -- <command>` and `npm start`: a local network of separate
// safemesh-node processes. The logic lives in @safemesh/testnet (built by the
// npm pre-script); this file only runs it, on Node ≥ 22.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  // Run outside npm with an older system Node: use the Node 22 that
  // `npm install` put in node_modules/.bin (see README).
  const local = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url))
  if (!existsSync(local)) {
    process.stderr.write(`SafeMesh needs Node.js ≥ 22 (this is ${process.version}); run it through npm, or install Node 22\n`)
    process.exit(1)
  }
  const result = spawnSync(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(result.status ?? 1)
}

const { main } = await import('../packages/testnet/dist/src/cli.js')
await main(process.argv)
