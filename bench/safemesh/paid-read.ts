/**
 * What a paid read costs against an unpaid one (issue 15): on a testnet of real node processes, a
 * reader named by two read-gated share envelopes reads the free one (GetShareEnvelope) and pays for
 * the priced one (TransferCredit to the sharer, memo = the envelope's name, then GetShareEnvelope
 * with the payment, which its Data-Managers confirm with the sharer's Maid-Managers), `--reads`
 * times each, interleaved. Also a retried paid read (the payment already confirmed at each
 * Data-Manager: served unasked). Checks that exactly reads × price moved.
 *
 *     npm run bench:sharing-reads -- [--nodes 12] [--group-size 8] [--reads 30] [--price 1]
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createAccount, type ClientOptions, type SafeMeshClient } from '@safemesh/client'
import { READ_GATE_KEY, TYPE_TAG_SHARE_ENVELOPE, bytesEqual, encodeReadGate, type ReadGate, type XorName } from '@safemesh/protocol'
import { Testnet } from '@safemesh/testnet'
import { median, quantile } from '../lib/stats.js'
import { progress } from '../lib/progress.js'
import { startTestnet } from './start-testnet.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '12' },
    'group-size': { type: 'string', default: '8' },
    reads: { type: 'string', default: '30' },
    price: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false }
  }
})
if (values.help) {
  console.log('npm run bench:sharing-reads -- [--nodes 12] [--group-size 8] [--reads 30] [--price 1]')
  process.exit(0)
}
const nodes = Number(values.nodes)
const groupSize = Number(values['group-size'])
const reads = Number(values.reads)
const price = Number(values.price)
const TAG = TYPE_TAG_SHARE_ENVELOPE

const line = (label: string, value: string): void => { console.log(`${label.padEnd(62)} ${value}`) }
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length
const figures = (values: readonly number[]): string =>
  `p50 ${median(values).toFixed(0)} ms, p90 ${quantile(values, 0.9).toFixed(0)} ms, mean ${mean(values).toFixed(0)} ms (${values.length})`

async function timed<T> (into: number[], work: () => Promise<T>): Promise<T> {
  const started = performance.now()
  const result = await work()
  into.push(performance.now() - started)
  return result
}

function signingKeyOf (client: SafeMeshClient): Uint8Array {
  const key = client.publicKeys?.sign
  if (key === undefined) throw new Error('the client has no keys')
  return key
}

/** A share envelope gated by `gate`, holding `sealed` for `reader`. */
async function envelope (owner: SafeMeshClient, gate: ReadGate, reader: SafeMeshClient, sealed: Uint8Array): Promise<XorName> {
  const data = await owner.createMData({ tag: TAG, entries: [{ key: READ_GATE_KEY, content: encodeReadGate(gate) }, { key: signingKeyOf(reader), content: sealed }] })
  return data.name
}

function expectEnvelope (got: { envelope?: Uint8Array }, sealed: Uint8Array): void {
  if (got.envelope === undefined || !bytesEqual(got.envelope, sealed)) throw new Error('the read returned another envelope')
}

const dir = await mkdtemp(join(tmpdir(), 'safemesh-bench-paid-read-'))
const testnet = new Testnet({ dir, groupSize, accountOps: reads * price + 200, logLevel: 'warn', detached: false })
const clients: SafeMeshClient[] = []
try {
  const setUp = await startTestnet(testnet, nodes, AbortSignal.timeout(600_000))
  const options: ClientOptions = { network: { bootstrap: testnet.bootstrapAddresses(), groupSize, salt: testnet.salt, nodes }, kdf: { opsLimit: 1, memLimit: 8 * 2 ** 20 } }
  console.log(`# paid against unpaid share-envelope reads on ${nodes} node processes, G = ${groupSize}, price ${price} (${new Date().toISOString()})`)
  if (setUp.repairs.length > 0) line('testnet repairs', setUp.repairs.join('; '))
  const account = async (who: string): Promise<SafeMeshClient> => {
    const client = await createAccount({ secret: `bench ${who} ${randomBytes(8).toString('hex')}`, password: 'bench password: indigo harbour 19' }, options)
    clients.push(client)
    return client
  }
  progress('paid-read: creating the sharer\'s and the reader\'s accounts')
  const owner = await account('sharer')
  const reader = await account('reader')
  const payee = owner.account
  if (payee === undefined) throw new Error('the sharer has no account')
  const sealed = new Uint8Array(randomBytes(96))
  const free = await envelope(owner, { readers: [signingKeyOf(reader)] }, reader, sealed)
  const priced = await envelope(owner, { readers: [signingKeyOf(reader)], price, payee }, reader, sealed)
  const [owner0, reader0] = [await owner.getAccountInfo(), await reader.getAccountInfo()]

  // One of each first, untimed: connections and the nodes' first verification of the client.
  expectEnvelope(await reader.getShareEnvelope(free, TAG), sealed)
  const warm = await reader.transferCredit(payee, price, { memo: priced })
  expectEnvelope(await reader.getShareEnvelope(priced, TAG, warm.messageId), sealed)

  const unpaid: number[] = []
  const paid: number[] = []
  const transfers: number[] = []
  const paidReads: number[] = []
  const retried: number[] = []
  for (let i = 0; i < reads; i++) {
    expectEnvelope(await timed(unpaid, async () => await reader.getShareEnvelope(free, TAG)), sealed)
    const started = performance.now()
    const { messageId } = await timed(transfers, async () => await reader.transferCredit(payee, price, { memo: priced }))
    expectEnvelope(await timed(paidReads, async () => await reader.getShareEnvelope(priced, TAG, messageId)), sealed)
    paid.push(performance.now() - started)
    expectEnvelope(await timed(retried, async () => await reader.getShareEnvelope(priced, TAG, messageId)), sealed)
    if ((i + 1) % 10 === 0) progress(`paid-read: ${i + 1} of ${reads}`)
  }

  const [owner1, reader1] = [await owner.getAccountInfo(), await reader.getAccountInfo()]
  const moved = (reads + 1) * price
  if (reader1.creditsSent - reader0.creditsSent !== moved || owner1.creditsReceived - owner0.creditsReceived !== moved ||
    owner1.mutationsAvailable + reader1.mutationsAvailable !== owner0.mutationsAvailable + reader0.mutationsAvailable) {
    throw new Error(`credits moved wrongly: reader ${JSON.stringify(reader0)} → ${JSON.stringify(reader1)}, sharer ${JSON.stringify(owner0)} → ${JSON.stringify(owner1)}`)
  }
  line('unpaid read (GetShareEnvelope)', figures(unpaid))
  line('paid access (TransferCredit + GetShareEnvelope with payment)', figures(paid))
  line('  of which TransferCredit', figures(transfers))
  line('  of which GetShareEnvelope with a new payment', figures(paidReads))
  line('retried paid read (payment already confirmed)', figures(retried))
  line('paid access / unpaid read (p50)', `${(median(paid) / median(unpaid)).toFixed(1)} ×`)
  line('credits moved (reader → sharer), as expected', `${moved} (${reads} timed + 1 warm-up, price ${price})`)
} finally {
  for (const client of clients) await client.close().catch(() => {})
  await testnet.down()
  await rm(dir, { recursive: true, force: true })
}
