/**
 * Everything the command line touches, so that it runs the same under `bin/safemesh.ts` and in
 * tests (captured streams, a fake network, fast key derivation).
 */
import type { DeriveKeyOptions } from '@safemesh/crypto'
import type { Network } from '@safemesh/client'

interface CliInput extends NodeJS.ReadableStream {
  isTTY?: boolean
  setRawMode?: (mode: boolean) => unknown
}

interface CliOutput extends NodeJS.WritableStream {
  isTTY?: boolean
}

export interface CliIo {
  /** Arguments after the program name. */
  argv: readonly string[]
  env: Readonly<Record<string, string | undefined>>
  cwd: string
  stdin: CliInput
  stdout: CliOutput
  stderr: CliOutput
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal
  /** Tests: this network instead of the one the options name. */
  network?: Network
  /** Tests: cheaper Argon2id. */
  kdf?: DeriveKeyOptions
}
