/** What a Helia peer (bench/helia/peer.ts) answers. */
export interface StartResult {
  peerId: string
  addresses: string[]
}

export interface AddResult {
  cid: string
  bytes: number
  seconds: number
}

export interface FetchResult {
  bytes: number
  seconds: number
}

export interface FirstByteResult {
  ms: number
}

export interface PeakRssResult {
  bytes: number
}
