/**
 * A SafeMesh client process of the bench, kept for all the runs. The owner's
 * process has an owner account per run (cheap KDF, as in
 * packages/client/bench/network.ts) for the file figures and 1-client mutations;
 * the crowd's process holds the N crowd accounts, opened once. Each is driven
 * command by command: `setup`, `upload`, `download`, `firstByte`, `mutate`,
 * `crowd`, `rss`.
 */
import { createReadStream } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { type SafeMeshClient, type ClientOptions, createClient, createAccount } from '@safemesh/client'
import { inContext } from '../lib/context.js'
import { numberArg, peakRss, serve, stringArg, stringsArg } from '../lib/serve.js'
import { createTarget, insertConcurrently, insertSequentially, type Member, type Target } from './mutations.js'
import type { CrowdResult, DownloadResult, FirstByteResult, MutationsResult, PeakRssResult, TimedResult, UploadResult } from './protocol.js'

/** Argon2id limits low enough to open dozens of accounts quickly (tests' and benches' setting). */
const KDF = { opsLimit: 1, memLimit: 8 * 2 ** 20 }
const PASSWORD = 'bench password: lantern owl 64'

let options: ClientOptions | undefined
let owner: SafeMeshClient | undefined
let target: Target | undefined
const clients: SafeMeshClient[] = []
const crowd: Member[] = []

function ready (): { options: ClientOptions, owner: SafeMeshClient } {
  if (options == null || owner == null) throw new Error('run setup first')
  return { options, owner }
}

async function newAccount (label: string, clientOptions: ClientOptions): Promise<SafeMeshClient> {
  const client = await createAccount({ secret: `bench ${label} ${randomBytes(8).toString('hex')}`, password: PASSWORD }, clientOptions)
  clients.push(client)
  return client
}

async function retire (client: SafeMeshClient): Promise<void> {
  const index = clients.indexOf(client)
  if (index >= 0) clients.splice(index, 1)
  await client.close()
}

/** After a failure the crowd is closed: a later run opens fresh accounts rather than inheriting broken clients. */
async function closeCrowd (): Promise<void> {
  for (const { client } of crowd.splice(0)) await retire(client).catch(() => {})
}

function configure (args: Record<string, unknown>): ClientOptions {
  options ??= {
    network: { bootstrap: stringsArg(args, 'bootstrap'), groupSize: numberArg(args, 'groupSize'), nodes: numberArg(args, 'nodes') },
    kdf: KDF
  }
  return options
}

serve({
  handlers: {
    setup: async (args): Promise<TimedResult> => {
      const options = configure(args)
      // A new owner each run: its allowance of mutations covers one run's upload and inserts.
      if (owner != null) await retire(owner)
      target = undefined
      const t = performance.now()
      owner = await newAccount('owner', options)
      return { seconds: (performance.now() - t) / 1000 }
    },
    upload: async (args): Promise<UploadResult> => {
      const { owner } = ready()
      const size = numberArg(args, 'size')
      const t = performance.now()
      const put = await owner.putFile(createReadStream(stringArg(args, 'path'), { highWaterMark: 2 ** 20 }), { size })
      return { address: put.address, bytes: put.size, chunks: put.chunks, seconds: (performance.now() - t) / 1000 }
    },
    download: async (args): Promise<DownloadResult> => {
      const { owner } = ready()
      let bytes = 0
      const t = performance.now()
      for await (const piece of owner.getFile(stringArg(args, 'address'))) bytes += piece.byteLength
      return { bytes, seconds: (performance.now() - t) / 1000 }
    },
    firstByte: async (args): Promise<FirstByteResult> => {
      const { options, owner } = ready()
      const put = await owner.putFile(createReadStream(stringArg(args, 'path')))
      // A fresh client: nothing of the file is cached, the clock starts once it has joined.
      const reader = await createClient(options)
      try {
        const t = performance.now()
        for await (const piece of reader.getFile(put.address)) {
          if (piece.byteLength > 0) return { ms: performance.now() - t }
        }
        throw new Error('the file is empty')
      } finally {
        await reader.close()
      }
    },
    mutate: async (args): Promise<MutationsResult> => {
      const { owner } = ready()
      target ??= await createTarget(owner)
      const latencies: number[] = []
      const t = performance.now()
      await insertSequentially(owner, target, `solo-${randomBytes(4).toString('hex')}`, numberArg(args, 'count'), latencies)
      return { latencies, seconds: (performance.now() - t) / 1000 }
    },
    crowd: async (args): Promise<CrowdResult> => {
      const options = configure(args)
      // The accounts, each with its MutableData, are opened once, for the first run that needs
      // them, one by one: simultaneous joins on two cores time out before they converge.
      const t = performance.now()
      const wanted = numberArg(args, 'clients')
      while (crowd.length < wanted) {
        try {
          const client = await newAccount(`crowd ${crowd.length}`, options)
          crowd.push({ client, target: await createTarget(client) })
        } catch (err) {
          await closeCrowd()
          throw inContext(err, `opening crowd account ${crowd.length + 1} of ${wanted}, ${((performance.now() - t) / 1000).toFixed(0)} s after the first`)
        }
      }
      const joinSeconds = (performance.now() - t) / 1000
      try {
        const result = await insertConcurrently(crowd.slice(0, wanted), `crowd-${randomBytes(4).toString('hex')}`, numberArg(args, 'total'))
        return { ...result, joinSeconds }
      } catch (err) {
        await closeCrowd()
        throw err
      }
    },
    rss: async (): Promise<PeakRssResult> => ({ bytes: peakRss() })
  },
  shutdown: async () => {
    await Promise.all(clients.map(async (client) => { await client.close().catch(() => {}) }))
  }
})
