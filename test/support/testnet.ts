import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Testnet, type TestnetOptions } from '@safemesh/testnet'

/**
 * Starts a testnet of real node processes in a fresh temporary directory.
 * Nodes are attached: each also exits when this test process does, so a run
 * that dies half-way leaves nothing behind. Call `stopTestnet` in afterAll.
 */
export async function startTestnet (nodes: number, options: Partial<TestnetOptions> = {}): Promise<Testnet> {
  const dir = await mkdtemp(join(tmpdir(), 'safemesh-test-'))
  // SAFEMESH_TEST_LOG_LEVEL and SAFEMESH_KEEP_TESTNET=1 keep the nodes' logs of a failing test for reading.
  const testnet = new Testnet({ logLevel: process.env.SAFEMESH_TEST_LOG_LEVEL ?? 'warn', ...options, dir, detached: false })
  try {
    await testnet.up(nodes)
  } catch (err) {
    await stopTestnet(testnet)
    throw err
  }
  return testnet
}

export async function stopTestnet (testnet: Testnet | undefined): Promise<void> {
  if (testnet == null) return
  await testnet.down()
  if (process.env.SAFEMESH_KEEP_TESTNET === '1') console.info(`testnet kept in ${testnet.dir}`)
  else await rm(testnet.dir, { recursive: true, force: true })
}

/** Polls `check` until it returns true or `timeoutMs` passes; resolves with the time it took. */
export async function eventually (check: () => Promise<boolean>, timeoutMs: number, intervalMs = 200): Promise<number> {
  const started = performance.now()
  while (true) {
    if (await check()) return performance.now() - started
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
}
