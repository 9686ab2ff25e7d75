/** What the raw libp2p peers speak, and what they answer. */
export const THROUGHPUT_PROTOCOL = '/safemesh-bench/throughput/1.0.0'
export const ECHO_PROTOCOL = '/safemesh-bench/echo/1.0.0'

/** One message of the throughput run. */
export const MESSAGE_SIZE = 2 ** 20
/** One request (and its echo) of the round-trip run. */
export const PING_SIZE = 32
/** Round trips before the measured ones. */
export const WARMUP_ROUND_TRIPS = 100

export interface ListenResult {
  addresses: string[]
}

export interface ThroughputResult {
  bytes: number
  seconds: number
}

export interface RoundTripResult {
  /** Each round trip in milliseconds, in order. */
  latencies: number[]
}

export interface PeakRssResult {
  bytes: number
}
