/**
 * What a command prints. With `--json`: exactly one JSON object on stdout (the result, or the
 * error). Without: text for people on stdout, errors on stderr.
 */
import { CommanderError } from 'commander'
import type { CliIo } from './io.js'
import { reportOf } from './exit-codes.js'

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

export class Output {
  readonly json: boolean
  private readonly io: CliIo
  private printed = false

  constructor (io: CliIo, json: boolean) {
    this.io = io
    this.json = json
  }

  /** Prints a command's result: `value` as JSON, or `human` lines. */
  result (value: JsonObject, human: string | readonly string[]): void {
    this.printed = true
    if (this.json) this.io.stdout.write(JSON.stringify(value) + '\n')
    else {
      const lines = typeof human === 'string' ? [human] : human
      if (lines.length > 0) this.io.stdout.write(lines.join('\n') + '\n')
    }
  }

  /** Notes for people (never part of the result): stderr, and only without --json. */
  note (text: string): void {
    if (!this.json) this.io.stderr.write(text + '\n')
  }

  /** Prints an error and returns the exit code. `stdoutInUse`: the command already wrote data there. */
  error (err: unknown, stdoutInUse = false): number {
    const report = reportOf(err)
    // commander has already told people what was wrong with the command line.
    if (!this.json && err instanceof CommanderError) return report.exitCode
    if (this.json && !this.printed && !stdoutInUse) {
      this.io.stdout.write(JSON.stringify({ error: { code: report.code, message: report.message } }) + '\n')
    } else {
      const prefix = report.code === 'Usage' || report.code === 'Error' ? '' : `${report.code}: `
      this.io.stderr.write(`safemesh: ${prefix}${report.message}\n`)
    }
    this.printed = true
    return report.exitCode
  }
}
