/**
 * SafeMesh: a multi-process testnet (the `Testnet` of @safemesh/node) and a
 * client process (bench/safemesh/client.ts), both kept up across the runs.
 */
import { Testnet } from '@safemesh/testnet'
import { Child } from '../lib/child.js'
import { MB, type Figures } from '../lib/figures.js'
import { progress } from '../lib/progress.js'
import { mbPerSecond, median, quantile } from '../lib/stats.js'
import type { PhaseFailure, RunInputs, SystemBench } from '../lib/system.js'
import { withNodeLogs } from './node-logs.js'
import { bytesReceived, peakRssOfNodes, waitUntilQuiet } from './probe.js'
import { startTestnet } from './start-testnet.js'
import type { CrowdResult, DownloadResult, FirstByteResult, MutationsResult, PeakRssResult, SetupArgs, TimedResult, UploadResult } from './protocol.js'

const CLIENT = new URL('./client.js', import.meta.url)
export const GROUP_SIZE = 8
/** Each run starts once the nodes together use less than half a core (over 2 s), or after 60 s. */
const QUIET = { maxCores: 0.5, windowMs: 2_000, timeoutMs: 60_000 } as const

export interface SafeMeshBenchOptions {
  /** Where the testnet keeps its nodes' data. */
  dir: string
  nodes: number
  mutations: number
  clients: number
  verbose: boolean
}

export class SafeMeshBench implements SystemBench {
  readonly name = 'safemesh'
  readonly retries = 0
  readonly skipFailedRuns = true
  readonly notes: string[]
  private readonly options: SafeMeshBenchOptions
  private readonly testnet: Testnet
  /** The owner's process: file figures and 1-client mutations. */
  private client?: Child
  /**
   * The crowd's process, apart from the owner's: N libp2p hosts in the owner's process would
   * slow its file figures in the runs after the first (they did: upload 2.3 → 0.4 MB/s).
   */
  private crowdClient?: Child
  readonly phaseFailures: PhaseFailure[] = []
  /** The crowd's process holds the crowd's accounts now. */
  private crowdOpen = false

  constructor (options: SafeMeshBenchOptions) {
    this.options = options
    this.testnet = new Testnet({ dir: options.dir, logLevel: 'warn', groupSize: GROUP_SIZE, detached: false })
    this.notes = [
      `one testnet of ${options.nodes} node processes (G = ${GROUP_SIZE}; LevelDB for records, a file per chunk), started 4 nodes at a time and kept up across the runs; each run starts once the nodes together use less than ${QUIET.maxCores * 100} % of a core over ${QUIET.windowMs / 1000} s (at most ${QUIET.timeoutMs / 1000} s of waiting): a testnet that has just started walks the DHT at more than a whole core for its first seconds`,
      `two client processes kept for all the runs: the owner's, with a new owner account each run, and the crowd's, whose ${options.clients} accounts (each a SafeMeshClient with its own libp2p host) are opened once, one by one, in the first run (not timed), and again after a run where they failed`,
      'a failed run is left out of the medians and the next run goes on; a failed mutation phase leaves out only its own figures',
      'upload and download: SafeMeshClient.putFile from the file on disk and getFile of its address, by the owner',
      'time to first byte: a 10 KiB file put by the owner, read by a fresh connected client (the clock starts after it has joined)',
      `mutations: inserts of new keys; 1 client: ${options.mutations} in sequence into one MutableData of the run's owner; ${options.clients} clients: ${Math.max(1, Math.ceil(options.mutations / options.clients))} each, all at once, each client into its own MutableData (made when its account is opened), as ${options.clients} users at their own data`,
      'wire bytes per stored byte: bytes all nodes received over libp2p during the upload ÷ file size',
      `node peak RSS: VmHWM of each node process at the end of each run (cumulative over the runs); client peak RSS: maxRSS of the owner's process after the file figures, and of the crowd's process (${options.clients} clients) at the end of the run (cumulative over the runs)`,
      'a figure a run could not measure is null in that run\'s JSON and left out of the median; the table says on how many runs a median stands when fewer than all'
    ]
  }

  async setUp (signal: AbortSignal): Promise<void> {
    progress(`safemesh: starting a testnet of ${this.options.nodes} nodes (G = ${GROUP_SIZE})`)
    try {
      const report = await startTestnet(this.testnet, this.options.nodes, signal)
      progress(`safemesh: testnet up in ${report.seconds.toFixed(0)} s`)
      if (report.repairs.length > 0) this.notes.push(`starting the testnet took restarts of nodes whose view stayed partial: ${report.repairs.join(', ')}`)
    } catch (err) {
      throw await withNodeLogs(err, this.testnet.records())
    }
  }

  async run (inputs: RunInputs): Promise<Figures> {
    const { run } = inputs
    const nodes = this.testnet.records()
    if (this.client?.running !== true) {
      if (this.client != null) progress(`safemesh run ${run}: the owner's client process is gone; starting a new one`)
      this.client = new Child('safemesh-client', CLIENT, [], { verbose: this.options.verbose })
    }
    if (this.crowdClient?.running !== true) {
      if (this.crowdClient != null) progress(`safemesh run ${run}: the crowd's client process is gone; starting a new one`)
      this.crowdOpen = false
      this.crowdClient = new Child('safemesh-crowd', CLIENT, [], { verbose: this.options.verbose })
    }
    const client = this.client
    const crowdClient = this.crowdClient
    try {
      const setup: SetupArgs = { bootstrap: this.testnet.bootstrapAddresses(), groupSize: GROUP_SIZE, nodes: nodes.length }
      const quiet = await waitUntilQuiet(nodes, QUIET)
      progress(`safemesh run ${run}: nodes at ${(quiet.cores * 100).toFixed(0)} % of a core together after ${quiet.seconds.toFixed(0)} s; creating the owner account`)
      if (quiet.cores >= QUIET.maxCores) this.notes.push(`run ${run} started with the nodes still at ${(quiet.cores * 100).toFixed(0)} % of a core together after ${QUIET.timeoutMs / 1000} s`)
      progress(`safemesh run ${run}: creating the owner account`)
      const account = await client.call<TimedResult>('setup', { ...setup }, 120_000)

      progress(`safemesh run ${run}: upload of ${(inputs.size / 2 ** 20).toFixed(0)} MiB`)
      const before = await bytesReceived(nodes)
      const upload = await client.call<UploadResult>('upload', { path: inputs.file, size: inputs.size }, 1_200_000)
      const wire = (await bytesReceived(nodes)) - before
      progress(`safemesh run ${run}: upload ${mbPerSecond(upload.bytes, upload.seconds).toFixed(1)} MB/s; download`)
      const download = await client.call<DownloadResult>('download', { address: upload.address }, 600_000)
      if (download.bytes !== inputs.size) throw new Error(`safemesh downloaded ${download.bytes} of ${inputs.size} bytes`)
      progress(`safemesh run ${run}: download ${mbPerSecond(download.bytes, download.seconds).toFixed(1)} MB/s; time to first byte of 10 KiB`)
      const firstByte = await client.call<FirstByteResult>('firstByte', { path: inputs.smallFile }, 120_000)
      const clientAfterFile = await client.call<PeakRssResult>('rss')

      progress(`safemesh run ${run}: ${this.options.mutations} mutations, 1 client`)
      const one = await this.phase(run, '1-client mutations', async () => await client.call<MutationsResult>('mutate', { count: this.options.mutations }, 600_000))
      const opening = this.crowdOpen ? '' : `opening ${this.options.clients} accounts one by one, then `
      progress(`safemesh run ${run}: ${opening}${this.options.clients} clients' mutations at once`)
      this.crowdOpen = true
      const crowd = await this.phase(run, `${this.options.clients}-client mutations`, async () => await crowdClient.call<CrowdResult>('crowd', { ...setup, clients: this.options.clients, total: this.options.mutations }, 900_000))
      // After a failure the crowd's process closes the crowd, and opens it again next run.
      if (crowd == null) this.crowdOpen = false
      await this.collectUnhandled(run, client)
      await this.collectUnhandled(run, crowdClient)
      const crowdEnd = await crowdClient.call<PeakRssResult>('rss').catch(() => undefined)
      const nodeRss = await peakRssOfNodes(nodes)
      return {
        uploadMBps: mbPerSecond(upload.bytes, upload.seconds),
        downloadMBps: mbPerSecond(download.bytes, download.seconds),
        uploadSeconds: upload.seconds,
        downloadSeconds: download.seconds,
        firstByteMs: firstByte.ms,
        mutation1P50Ms: quantile(one?.latencies ?? [], 0.5),
        mutation1P99Ms: quantile(one?.latencies ?? [], 0.99),
        mutation1PerSecond: one == null ? Number.NaN : one.latencies.length / one.seconds,
        mutationNP50Ms: quantile(crowd?.latencies ?? [], 0.5),
        mutationNP99Ms: quantile(crowd?.latencies ?? [], 0.99),
        mutationNPerSecond: crowd == null ? Number.NaN : crowd.latencies.length / crowd.seconds,
        wireBytesPerStoredByte: wire / inputs.size,
        nodePeakRssMaxMB: Math.max(...nodeRss) / MB,
        nodePeakRssMedianMB: median(nodeRss) / MB,
        clientPeakRssAfterFileMB: clientAfterFile.bytes / MB,
        clientPeakRssMB: crowdEnd == null ? Number.NaN : crowdEnd.bytes / MB,
        accountSeconds: account.seconds,
        crowdJoinSeconds: crowd?.joinSeconds ?? Number.NaN
      }
    } catch (err) {
      await this.collectUnhandled(run, client).catch(() => {})
      await this.collectUnhandled(run, crowdClient).catch(() => {})
      throw await withNodeLogs(err, nodes)
    }
  }

  /** Records a client process's unhandled rejections, which the client library should not leak. */
  private async collectUnhandled (run: number, client: Child): Promise<void> {
    for (const error of await client.unhandledRejections()) {
      this.phaseFailures.push({ run, phase: `${client.name}: a rejection nobody handled (logged, the process went on)`, error, lostFigures: false })
      progress(`safemesh run ${run}: ${client.name} had an unhandled rejection: ${error.split('\n')[0] ?? ''}`)
    }
  }

  /**
   * Runs one mutation phase; when it fails, its error is kept and the run goes on without its
   * figures, so that a failure there does not discard the file figures.
   */
  private async phase<T> (run: number, phase: string, body: () => Promise<T>): Promise<T | undefined> {
    try {
      return await body()
    } catch (err) {
      const error = await withNodeLogs(err, this.testnet.records())
      this.phaseFailures.push({ run, phase, error: error.stack ?? error.message, lostFigures: true })
      progress(`safemesh run ${run}: ${phase} FAILED: ${error.message.split('\n')[0] ?? ''}`)
      return undefined
    }
  }

  async tearDown (): Promise<void> {
    progress('safemesh: stopping the client and the testnet')
    await this.client?.stop()
    await this.crowdClient?.stop()
    await this.testnet.down()
  }
}
