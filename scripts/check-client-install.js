#!/usr/bin/env node
// Issue 12's promise: installing @safemesh/client alone pulls no server dependency. Packs the client
// and the workspace packages it needs, installs the tarballs in an empty folder and reads `npm ls`.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const FORBIDDEN = ['level', 'prom-client', 'commander', '@safemesh/node']
const root = fileURLToPath(new URL('..', import.meta.url))
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/** The client and every @safemesh package it depends on, transitively. */
function workspaceClosure (name, seen = new Set()) {
  if (seen.has(name)) return seen
  seen.add(name)
  const manifest = JSON.parse(readFileSync(join(root, 'packages', name.replace('@safemesh/', ''), 'package.json'), 'utf8'))
  for (const dep of Object.keys(manifest.dependencies ?? {})) if (dep.startsWith('@safemesh/')) workspaceClosure(dep, seen)
  return seen
}

const dir = mkdtempSync(join(tmpdir(), 'safemesh-client-install-'))
try {
  const packages = [...workspaceClosure('@safemesh/client')]
  const tarballs = packages.map(name => {
    const out = JSON.parse(npm(['pack', '--json', '--pack-destination', dir, '-w', name], root))
    return join(dir, out[0].filename)
  })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'client-install-check', private: true, type: 'module' }))
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], dir)
  const tree = npm(['ls', '--all', '--parseable'], dir)
  const found = FORBIDDEN.filter(dep => tree.split('\n').some(line => line.endsWith(`/node_modules/${dep}`)))
  const clientDir = join(dir, 'node_modules/@safemesh/client')
  const sources = readdirSync(clientDir, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.js') || f === 'package.json')
  const importsNode = sources.filter(f => readFileSync(join(clientDir, f), 'utf8').includes('@safemesh/node'))
  process.stdout.write(`installed ${packages.join(', ')}: ${tree.split('\n').filter(Boolean).length - 1} packages in the tree\n`)
  if (found.length > 0 || importsNode.length > 0) {
    process.stderr.write(`@safemesh/client pulls ${found.join(', ')}; files naming @safemesh/node: ${importsNode.join(', ') || 'none'}\n`)
    process.exit(1)
  }
  process.stdout.write(`none of ${FORBIDDEN.join(', ')} is installed\n`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
