/**
 * SPEC §10 exit codes: 0 success; 2 bad usage; 3 the network refused (the error code is printed);
 * 1 anything else. With `--json`, errors are `{"error":{"code","message"}}` on stdout: the SPEC
 * code for a refusal, `Usage` for bad usage, `Error` otherwise.
 */
import { CommanderError } from 'commander'
import { isSafeMeshError } from '@safemesh/protocol'
import { NetworkFileError } from '@safemesh/net'
import { UsageError } from './usage-error.js'

export const EXIT_OK = 0
const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
const EXIT_REFUSED = 3

export interface ErrorReport {
  exitCode: number
  code: string
  message: string
}

export function reportOf (err: unknown): ErrorReport {
  if (isSafeMeshError(err)) return { exitCode: EXIT_REFUSED, code: err.code, message: err.message }
  if (err instanceof UsageError || err instanceof NetworkFileError) return { exitCode: EXIT_USAGE, code: 'Usage', message: err.message }
  if (err instanceof CommanderError) return { exitCode: EXIT_USAGE, code: 'Usage', message: err.message.replace(/^error: /, '') }
  return { exitCode: EXIT_FAILURE, code: 'Error', message: err instanceof Error ? err.message : String(err) }
}
