/**
 * What SPEC §9's file system costs on a testnet of real node processes: `safemesh fs put -r` of a
 * folder of small files (files per second, mutations charged per file), a directory of thousands
 * of files (upload rate, and the time `fs ls` takes), and login to first listing.
 *
 *     npm run bench:nfs -- [--nodes 12] [--group-size 8] [--files 200] [--many 5000] [--keep]
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { login, type ClientOptions } from '@safemesh/client'
import { Testnet } from '@safemesh/testnet'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '12' },
    'group-size': { type: 'string', default: '8' },
    files: { type: 'string', default: '200' },
    many: { type: 'string', default: '5000' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false }
  }
})
if (values.help) {
  console.log('npm run bench:nfs -- [--nodes 12] [--group-size 8] [--files 200] [--many 5000] [--keep]')
  process.exit(0)
}
const nodes = Number(values.nodes)
const groupSize = Number(values['group-size'])
const fileCount = Number(values.files)
const many = Number(values.many)

const CLI = fileURLToPath(new URL('../../../packages/cli/dist/src/bin/safemesh.js', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'safemesh-bench-nfs-'))
const testnet = new Testnet({ dir: join(dir, 'testnet'), groupSize, accountOps: 10 * (fileCount + many) + 1000, logLevel: 'warn', detached: false })
const env = { SAFEMESH_SECRET: `bench ${randomBytes(8).toString('hex')}`, SAFEMESH_PASSWORD: 'bench password' }

interface Run { code: number | null, stdout: string, stderr: string, seconds: number }

async function cli (args: string[]): Promise<Run> {
  const started = performance.now()
  const child = spawn(process.execPath, [CLI, '--network', testnet.networkFile, '--json', ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  const run = { code, stdout, stderr, seconds: (performance.now() - started) / 1000 }
  if (code !== 0) throw new Error(`safemesh ${args.join(' ')} failed (${String(code)}): ${stdout}${stderr}`)
  return run
}

async function mutationsDone (): Promise<number> {
  return (JSON.parse((await cli(['account', 'info'])).stdout) as { mutationsDone: number }).mutationsDone
}

const line = (label: string, value: string): void => { console.log(`${label.padEnd(52)} ${value}`) }

try {
  await testnet.up(nodes)
  const options: ClientOptions = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize, salt: testnet.salt } }
  console.log(`# safemesh fs on ${nodes} node processes, G = ${groupSize} (${new Date().toISOString()})`)
  const created = await cli(['account', 'create'])
  line('account create (process, with its containers)', `${created.seconds.toFixed(2)} s`)
  line('mutations charged by account creation', String(await mutationsDone()))

  const tree = join(dir, 'tree')
  let bytes = 0
  for (let i = 0; i < fileCount; i++) {
    const size = 1024 + Math.floor(Math.random() * 19 * 1024)
    const path = join(tree, `a${i % 3}`, `b${i % 4}`, `c${i % 5}`, `file-${i}.bin`)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, randomBytes(size))
    bytes += size
  }
  const before = await mutationsDone()
  const put = await cli(['fs', 'put', '-r', tree, '_documents/tree'])
  const charged = await mutationsDone() - before
  line(`fs put -r of ${fileCount} files (1–20 KiB, ${(bytes / 1024).toFixed(0)} KiB)`, `${put.seconds.toFixed(2)} s, ${(fileCount / put.seconds).toFixed(2)} files/s (the process: login included)`)
  line('mutations charged per file', `${(charged / fileCount).toFixed(2)} (${charged} for ${fileCount} files)`)
  const got = await cli(['fs', 'get', '-r', '_documents/tree', join(dir, 'copy')])
  line(`fs get -r of the same ${fileCount} files`, `${got.seconds.toFixed(2)} s`)

  const ls = await cli(['fs', 'ls', '_documents'])
  line('login to first listing: fs ls _documents (process)', `${ls.seconds.toFixed(2)} s`)
  const started = performance.now()
  const client = await login({ secret: env.SAFEMESH_SECRET, password: env.SAFEMESH_PASSWORD }, options)
  const loggedIn = performance.now()
  const first = await client.fs.list('_documents').next()
  const listed = performance.now()
  if (first.done === true) throw new Error('_documents lists nothing after fs put -r')
  line('login to first listing (library: login, then list)', `${((listed - started) / 1000).toFixed(2)} s (login ${((loggedIn - started) / 1000).toFixed(2)} s)`)

  if (many > 0) {
    const items = Array.from({ length: many }, (_, i) => ({ path: `_downloads/many/file-${i}.txt`, size: 11 + String(i).length, content: () => [new TextEncoder().encode(`small file ${i}`)] }))
    const upload = performance.now()
    const { written } = await client.fs.writeMany(items, { concurrency: 16 })
    const uploaded = (performance.now() - upload) / 1000
    line(`writeMany of ${many} tiny files into one directory`, `${uploaded.toFixed(1)} s, ${(written.length / uploaded).toFixed(1)} files/s`)
    const listStart = performance.now()
    let count = 0
    for await (const entry of client.fs.list('_downloads/many')) if (entry.kind === 'file') count++
    line(`list of ${count} files (library)`, `${((performance.now() - listStart) / 1000).toFixed(2)} s`)
    const manyLs = await cli(['fs', 'ls', '_downloads/many'])
    const entries = (JSON.parse(manyLs.stdout) as { entries: unknown[] }).entries.length
    line(`fs ls of ${entries} files (process: login included)`, `${manyLs.seconds.toFixed(2)} s`)
  }
  await client.close()
} finally {
  await testnet.down()
  if (!values.keep) await rm(dir, { recursive: true, force: true })
  else console.log(`kept ${dir}`)
}
