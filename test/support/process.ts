import { spawn } from 'node:child_process'

export interface ProcessRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a Node.js script to completion, collecting its output. */
export async function runNode (args: string[], options: { cwd: string, env?: Record<string, string> }): Promise<ProcessRun> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout, stderr }
}
