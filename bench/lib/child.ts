/**
 * The orchestrator side of the line protocol (`rpc.ts`): a child process
 * running one compiled script of bench/, called command by command.
 * Every child started here is tracked, so `stopAllChildren` can end them all.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { MARK, UNHANDLED_COMMAND, type Response } from './rpc.js'

const TAIL_LINES = 40
const live = new Set<Child>()

interface Pending {
  resolve: (value: unknown) => void
  reject: (err: Error) => void
}

export interface ChildOptions {
  /** Passes the child's stderr through instead of keeping its tail for errors. */
  verbose?: boolean
  env?: NodeJS.ProcessEnv
}

export class Child {
  readonly name: string
  private readonly process: ChildProcess
  private readonly pending = new Map<number, Pending>()
  private readonly tail: string[] = []
  private readonly exited: Promise<void>
  private nextId = 1
  private exitReason?: string

  /** Starts `script` (a compiled module of bench/, e.g. `new URL('./peer.js', import.meta.url)`). */
  constructor (name: string, script: URL, args: string[] = [], options: ChildOptions = {}) {
    this.name = name
    this.process = spawn(process.execPath, [fileURLToPath(script), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env
    })
    live.add(this)
    const stdout = this.process.stdout
    const stderr = this.process.stderr
    if (stdout == null || stderr == null) throw new Error(`${name}: no stdio pipes`)
    createInterface({ input: stdout }).on('line', (line) => { this.onStdout(line, options.verbose === true) })
    createInterface({ input: stderr }).on('line', (line) => { this.keep(line, options.verbose === true) })
    this.process.stdin?.on('error', () => {})
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exitReason = `exited with ${signal ?? `code ${code}`}`
        live.delete(this)
        this.failAll(new Error(`${this.name} ${this.exitReason}${this.tailText()}`))
        resolve()
      })
      this.process.on('error', (err) => {
        this.exitReason = err.message
        live.delete(this)
        this.failAll(new Error(`${this.name}: ${err.message}`))
        resolve()
      })
    })
  }

  get running (): boolean {
    return this.exitReason == null
  }

  get pid (): number | undefined {
    return this.process.pid
  }

  /** Runs `cmd` in the child; rejects with the child's error, its exit, or after `timeoutMs`. */
  async call<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 600_000): Promise<T> {
    if (this.exitReason != null) throw new Error(`${this.name} ${this.exitReason}${this.tailText()}`)
    const id = this.nextId++
    let timer: NodeJS.Timeout | undefined
    try {
      return await new Promise<T>((resolve, reject) => {
        this.pending.set(id, { resolve: (value) => { resolve(value as T) }, reject })
        timer = setTimeout(() => {
          this.pending.delete(id)
          reject(new Error(`${this.name}: ${cmd} took more than ${timeoutMs / 1000} s${this.tailText()}`))
        }, timeoutMs)
        this.process.stdin?.write(`${JSON.stringify({ id, cmd, args })}\n`)
      })
    } finally {
      clearTimeout(timer)
    }
  }

  /** The rejections nobody handled in the child since the last call (their stacks). */
  async unhandledRejections (): Promise<string[]> {
    return await this.call<string[]>(UNHANDLED_COMMAND, {}, 30_000)
  }

  /** Closes the child's stdin (it exits by itself), then SIGKILLs it if it lingers. */
  async stop (graceMs = 10_000): Promise<void> {
    if (this.exitReason == null) this.process.stdin?.end()
    const timer = setTimeout(() => { this.kill() }, graceMs)
    await this.exited
    clearTimeout(timer)
  }

  kill (): void {
    if (this.exitReason == null) this.process.kill('SIGKILL')
  }

  private onStdout (line: string, verbose: boolean): void {
    if (!line.startsWith(MARK)) {
      this.keep(line, verbose)
      return
    }
    const response = JSON.parse(line.slice(MARK.length)) as Response
    const pending = this.pending.get(response.id)
    if (pending == null) return
    this.pending.delete(response.id)
    if (response.ok) pending.resolve(response.result)
    else pending.reject(new Error(`${this.name}: ${response.error}`))
  }

  private keep (line: string, verbose: boolean): void {
    if (verbose) process.stderr.write(`  [${this.name}] ${line}\n`)
    this.tail.push(line)
    if (this.tail.length > TAIL_LINES) this.tail.shift()
  }

  private tailText (): string {
    return this.tail.length === 0 ? '' : `\n  last output of ${this.name}:\n    ${this.tail.join('\n    ')}`
  }

  private failAll (err: Error): void {
    for (const pending of this.pending.values()) pending.reject(err)
    this.pending.clear()
  }
}

/** Stops every child still running, gracefully first. */
export async function stopAllChildren (): Promise<void> {
  await Promise.all([...live].map(async (child) => { await child.stop(5_000) }))
}

/** SIGKILLs every child at once (for a process about to exit). */
export function killAllChildren (): void {
  for (const child of live) child.kill()
}
