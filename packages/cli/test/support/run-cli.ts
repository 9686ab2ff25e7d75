import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { cryptoReady } from '@safemesh/crypto'
import { PassThrough, Readable } from 'node:stream'
import { runCli } from '../../src/program.js'
import type { CliIo } from '../../src/io.js'
import type { FakeNetwork } from '../../../client/test/support/fake-network.js'
import { FAST_KDF } from '../../../client/test/support/helpers.js'

export interface Run {
  code: number
  stdout: string
  stdoutBytes: Uint8Array
  stderr: string
  /** stdout parsed as exactly one JSON object. */
  json: Record<string, unknown>
}

export interface CliOptions {
  /** The working folder. */
  cwd: string
  env?: Record<string, string>
  network?: FakeNetwork
  stdin?: Uint8Array
}

/** Runs `safemesh` in this process with captured streams (fast Argon2id, a fake network when given). */
async function runCliCaptured (args: string[], options: CliOptions): Promise<Run> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out: Buffer[] = []
  const err: Buffer[] = []
  stdout.on('data', (b: Buffer) => out.push(b))
  stderr.on('data', (b: Buffer) => err.push(b))
  const io: CliIo = {
    argv: args,
    env: options.env ?? {},
    cwd: options.cwd,
    stdin: Readable.from(options.stdin !== undefined ? [options.stdin] : []),
    stdout,
    stderr,
    kdf: FAST_KDF,
    ...(options.network !== undefined ? { network: options.network } : {})
  }
  const code = await runCli(io)
  const stdoutBytes = new Uint8Array(Buffer.concat(out))
  const text = Buffer.from(stdoutBytes).toString('utf8')
  let json: Record<string, unknown> = {}
  try { json = JSON.parse(text) as Record<string, unknown> } catch {}
  return { code, stdout: text, stdoutBytes, stderr: Buffer.concat(err).toString('utf8'), json }
}

/** A temporary working folder for one test file (made before its tests, removed after) and `safemesh` run in it. */
export function useCliFolder (): { readonly dir: string, cli: (args: string[], options?: Omit<CliOptions, 'cwd'>) => Promise<Run> } {
  let dir: string | undefined
  beforeAll(async () => {
    await cryptoReady()
    dir = await mkdtemp(join(tmpdir(), 'safemesh-cli-'))
  })
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })
  return {
    get dir () { return dir as string },
    cli: async (args, options = {}) => await runCliCaptured(args, { ...options, cwd: dir as string })
  }
}
