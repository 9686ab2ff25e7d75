import { execFileSync } from 'node:child_process'
import { cpus, totalmem, release } from 'node:os'

export interface MachineInfo {
  cpus: number
  cpuModel: string
  memoryBytes: number
  platform: string
  kernel: string
  node: string
  commit: string
  dirty: boolean
}

export function machineInfo (cwd: string): MachineInfo {
  const cores = cpus()
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    node: process.version,
    commit: git(cwd, ['rev-parse', 'HEAD']) ?? 'unknown',
    dirty: (git(cwd, ['status', '--porcelain', '--untracked-files=no']) ?? '') !== ''
  }
}

function git (cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}
