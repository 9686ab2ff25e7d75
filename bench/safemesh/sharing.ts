/**
 * What sharing costs (issue 15) on a testnet of real node processes: sharing a folder of
 * `--files` files with `--people` accounts, and revoking one of two readers (the rotation: the
 * folder is frozen and copied under a new key) as the folder grows (`--sizes`).
 *
 *     npm run bench:sharing -- [--nodes 12] [--group-size 8] [--files 100] [--people 5] [--sizes 10,100,1000]
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createAccount, type ClientOptions, type SafeMeshClient } from '@safemesh/client'
import { Testnet } from '@safemesh/testnet'
import { progress } from '../lib/progress.js'
import { startTestnet } from './start-testnet.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '12' },
    'group-size': { type: 'string', default: '8' },
    files: { type: 'string', default: '100' },
    people: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '10,100,1000' },
    help: { type: 'boolean', default: false }
  }
})
if (values.help) {
  console.log('npm run bench:sharing -- [--nodes 12] [--group-size 8] [--files 100] [--people 5] [--sizes 10,100,1000]')
  process.exit(0)
}
const nodes = Number(values.nodes)
const groupSize = Number(values['group-size'])
const files = Number(values.files)
const people = Number(values.people)
const sizes = values.sizes.split(',').map(Number)

const line = (label: string, value: string): void => { console.log(`${label.padEnd(60)} ${value}`) }
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }

async function timed<T> (work: () => Promise<T>): Promise<{ result: T, ms: number }> {
  const started = performance.now()
  const result = await work()
  return { result, ms: performance.now() - started }
}

/** A folder of `count` small files, written in one batch. */
async function folder (owner: SafeMeshClient, path: string, count: number): Promise<void> {
  const items = Array.from({ length: count }, (_, i) => ({ path: `${path}/record-${i}.txt`, content: () => [new TextEncoder().encode(`record ${i} of ${path}`)] }))
  const { conflicts } = await owner.fs.writeMany(items)
  if (conflicts.length > 0) throw new Error(`could not write ${conflicts.length} files of ${path}`)
}

const dir = await mkdtemp(join(tmpdir(), 'safemesh-bench-sharing-'))
const largest = Math.max(files, ...sizes)
const testnet = new Testnet({ dir: join(dir, 'testnet'), groupSize, accountOps: 4 * (files + sizes.reduce((a, b) => a + b, 0)) + 2000, logLevel: 'warn', detached: false })
const clients: SafeMeshClient[] = []
const controller = new AbortController()
try {
  await startTestnet(testnet, nodes, controller.signal)
  const options: ClientOptions = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize, salt: testnet.salt }, kdf: KDF }
  const account = async (who: string): Promise<SafeMeshClient> => {
    const client = await createAccount({ secret: `bench ${who} ${randomBytes(8).toString('hex')}`, password: 'bench password: amber lantern 41' }, options)
    clients.push(client)
    return client
  }
  progress(`sharing: ${people + 1} accounts`)
  const owner = await account('owner')
  const readers = await Promise.all(Array.from({ length: Math.max(people, 2) }, async (_, i) => await account(`reader ${i}`)))
  const ids = await Promise.all(readers.map(async r => (await r.sharing().id()).id))
  await owner.sharing().id()

  console.log(`# sharing on ${nodes} node processes, G = ${groupSize} (${new Date().toISOString()}; largest folder ${largest} files)`)
  progress(`sharing: writing ${files} files`)
  await folder(owner, '_documents/shared', files)
  const shared = await timed(async () => await owner.sharing().share('_documents/shared', { with: ids.slice(0, people) }))
  line(`share a folder of ${files} files with ${people} people`, `${(shared.ms / 1000).toFixed(2)} s`)
  const reader = readers[0] as SafeMeshClient
  const listed = await timed(async () => {
    let count = 0
    for await (const entry of reader.fs.list(`share:${shared.result.share}`)) if (entry.kind === 'file') count++
    return count
  })
  if (listed.result !== files) throw new Error(`the reader listed ${listed.result} of ${files} files`)
  line(`a reader lists the share (${files} files)`, `${(listed.ms / 1000).toFixed(2)} s`)

  for (const size of sizes) {
    progress(`sharing: writing ${size} files`)
    const path = `_documents/revoke-${size}`
    await folder(owner, path, size)
    const share = await owner.sharing().share(path, { with: ids.slice(0, 2) })
    const revoked = await timed(async () => await owner.sharing().revoke(share.share, ids[1] as string))
    line(`revoke one of 2 readers of a folder of ${size} files (rotation)`, `${(revoked.ms / 1000).toFixed(2)} s`)
  }
} finally {
  for (const client of clients) await client.close().catch(() => {})
  await testnet.down()
  await rm(dir, { recursive: true, force: true })
}
