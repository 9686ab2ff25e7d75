/** What the SafeMesh client process (bench/safemesh/client.ts) answers. */
export interface SetupArgs {
  bootstrap: string[]
  groupSize: number
  nodes: number
}

export interface TimedResult {
  seconds: number
}

export interface UploadResult extends TimedResult {
  address: string
  bytes: number
  chunks: number
}

export interface DownloadResult extends TimedResult {
  bytes: number
}

export interface FirstByteResult {
  ms: number
}

export interface MutationsResult extends TimedResult {
  /** Each mutation's latency in ms. */
  latencies: number[]
}

export interface CrowdResult extends MutationsResult {
  /** How long creating the accounts, one by one, took (not part of `seconds`). */
  joinSeconds: number
}

export interface PeakRssResult {
  bytes: number
}
