#!/usr/bin/env node
// The `safemesh` command. A plain-JS entry that exists before the build, so
// `npm install` can link it; the command itself is built into dist/ by
// `npm run build` (which `npm start` and `npm test` run first).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const built = new URL('../dist/src/bin/safemesh.js', import.meta.url)
if (Number(process.versions.node.split('.')[0]) < 22) {
  process.stderr.write(`safemesh needs Node.js ≥ 22 (this is ${process.version}); run it as 'npx safemesh' in the SafeMesh folder, or install Node 22\n`)
  process.exit(1)
}
if (!existsSync(fileURLToPath(built))) {
  process.stderr.write('safemesh is not built yet: run `npm run build` first\n')
  process.exit(1)
}
await import(built.href)
