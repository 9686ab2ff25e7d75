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

/** A part of a run that failed while the rest of the run went on (its figures are missing). */
export interface PhaseFailure {
  run: number
  phase: string
  error: string
  /** True when the phase's figures are missing from the run; false for a problem the run survived. */
  lostFigures: boolean
}

/** One measured system: set up once, run several times, torn down even on failure. */
export interface SystemBench {
  readonly name: string
  /** What the figures mean beyond their names (set-up choices), for the output. */
  readonly notes: string[]
  /** How many times a failed run is tried again (fresh processes) before the system fails. */
  readonly retries: number
  /** When a run still fails, go on with the next run (the failure is recorded) instead of failing the system. */
  readonly skipFailedRuns?: boolean
  /** Parts of runs that failed without failing the run. */
  readonly phaseFailures?: PhaseFailure[]
  setUp?: (signal: AbortSignal) => Promise<void>
  run: (inputs: RunInputs) => Promise<Figures>
  tearDown?: () => Promise<void>
}
