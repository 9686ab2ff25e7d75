import type { Figures } from './figures.js'

/** The files one run works on: the same for SafeMesh and Helia. */
export interface RunInputs {
  run: number
  /** A random file of `size` bytes. */
  file: string
  size: number
  /** A random file of 10 KiB, for the time to first byte. */
  smallFile: string
}

/** One measured system: set up once, run several times, torn down even on failure. */
export interface SystemBench {
  readonly name: string
  /** What the figures mean beyond their names (set-up choices), for the output. */
  readonly notes: string[]
  /** How many times a failed run is tried again (fresh processes) before the system fails. */
  readonly retries: number
  setUp?: (signal: AbortSignal) => Promise<void>
  run: (inputs: RunInputs) => Promise<Figures>
  tearDown?: () => Promise<void>
}
