import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { isAlive } from '@safemesh/testnet'
import { eventually } from './support/testnet.js'
import { runNode, type ProcessRun } from './support/process.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TESTNET = join(ROOT, 'scripts', 'testnet.js')

async function run (args: string[]): Promise<ProcessRun> {
  return await runNode([TESTNET, ...args], { cwd: ROOT })
}

async function pidsIn (dir: string): Promise<number[]> {
  const state = JSON.parse(await readFile(join(dir, 'testnet.json'), 'utf8')) as { nodes: Array<{ pid?: number }> }
  return state.nodes.map(n => n.pid).filter((p): p is number => p != null)
}

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => {})
})

/** Kills whatever a test left running, so a failing assertion leaks nothing. */
function guard (dir: string, child?: ChildProcess): void {
  cleanup.push(async () => { await rm(dir, { recursive: true, force: true }) })
  cleanup.push(async () => {
    for (const pid of await pidsIn(dir).catch(() => [])) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    if (child?.pid != null && isAlive(child.pid)) process.kill(child.pid, 'SIGKILL')
  })
}

describe('testnet lifecycle', () => {
  it('up returns with every node running and network.json written; down leaves no process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safemesh-up-'))
    guard(dir)
    const up = await run(['--dir', dir, 'up', '--nodes', '4', '--group-size', '3', '--log-level', 'warn'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.stdout).toMatch(/converged in/)
    const network = JSON.parse(await readFile(join(dir, 'network.json'), 'utf8')) as { bootstrap: string[], groupSize: number }
    expect(network.groupSize).toBe(3)
    expect(network.bootstrap.length).toBeGreaterThan(0)
    for (const address of network.bootstrap) expect(address).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo/)
    const pids = await pidsIn(dir)
    expect(pids).toHaveLength(4)
    expect(pids.every(isAlive)).toBe(true)
    // Every node runs with the memory settings that keep its RSS down (NODE_FLAGS, NODE_ENVIRONMENT).
    for (const pid of pids) {
      expect((await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')).toEqual(expect.arrayContaining(['--max-semi-space-size=2', '--heap-growing-percent=50']))
      expect((await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0')).toContain(`MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '2'}`)
    }

    const status = await run(['--dir', dir, 'status', '--json'])
    const nodes = (JSON.parse(status.stdout) as { nodes: Array<{ up: boolean, status?: { routingTableSize: number } }> }).nodes
    expect(nodes.map(n => [n.up, n.status?.routingTableSize])).toEqual(Array(4).fill([true, 3]))

    const down = await run(['--dir', dir, 'down'])
    expect(down.code, down.stderr).toBe(0)
    expect(pids.filter(isAlive)).toEqual([])
  })

  it('nodes started by a process that dies without cleaning up stop by themselves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safemesh-orphan-'))
    const script = `
      import { Testnet } from '@safemesh/testnet'
      const testnet = new Testnet({ dir: ${JSON.stringify(dir)}, groupSize: 3, logLevel: 'warn' })
      await testnet.up(3)
      process.stdout.write('up\\n')
      setInterval(() => {}, 1000)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    guard(dir, child)
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('up')) resolve() })
      child.on('exit', code => { reject(new Error(`the starter exited early (${code})`)) })
    })
    const pids = await pidsIn(dir)
    expect(pids.filter(isAlive)).toHaveLength(3)
    // The test process "fails half-way": killed, no afterAll, no down.
    process.kill(child.pid as number, 'SIGKILL')
    const took = await eventually(async () => pids.every(pid => !isAlive(pid)), 20_000, 100)
    console.info(`orphaned nodes stopped ${took.toFixed(0)} ms after their starter was killed`)
  })

  it('npm start brings up 12 nodes, prints what to type next, and Ctrl-C stops them all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safemesh-start-'))
    // Its own process group, like a terminal's foreground job, so "Ctrl-C" reaches npm and the script.
    const child = spawn('npm', ['start', '--', '--dir', dir, '--log-level', 'warn'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    guard(dir, child)
    let stdout = ''
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr?.on('data', () => {})
    await eventually(async () => stdout.includes('Press Ctrl-C'), 150_000, 250)
    expect(stdout).toMatch(/converged in/)
    expect(stdout).toMatch(/safemesh account create/)
    expect(stdout).toMatch(/safemesh put/)
    const pids = await pidsIn(dir)
    expect(pids).toHaveLength(12)
    expect(pids.filter(isAlive)).toHaveLength(12)

    process.kill(-(child.pid as number), 'SIGINT')
    await new Promise(resolve => child.on('close', resolve))
    await eventually(async () => pids.every(pid => !isAlive(pid)), 20_000, 100)
  })
})
