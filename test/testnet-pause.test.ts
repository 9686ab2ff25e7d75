import { readFile } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { isAlive, type Testnet } from '@safemesh/testnet'
import { startTestnet, stopTestnet } from './support/testnet.js'

/** The state letter of /proc/<pid>/stat: 'T' for a stopped process. */
async function processState (pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // The command name sits in parentheses and may hold spaces: the state follows the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
}

let testnet: Testnet | undefined
afterEach(async () => {
  await stopTestnet(testnet)
  testnet = undefined
})

describe('testnet pause and resume', () => {
  it('SIGSTOPs and SIGCONTs a node; down and kill continue a paused node first', async () => {
    testnet = await startTestnet(3, { groupSize: 3 })
    const pids = testnet.records().map(r => r.pid as number)

    await testnet.pause(1)
    expect(testnet.isPaused(1)).toBe(true)
    expect(await processState(pids[1] as number)).toBe('T')
    await testnet.resume(1)
    expect(testnet.isPaused(1)).toBe(false)
    expect(await processState(pids[1] as number)).not.toBe('T')

    await testnet.pause(2)
    await testnet.kill(2)
    expect(isAlive(pids[2] as number)).toBe(false)
    expect(testnet.isPaused(2)).toBe(false)

    // A stopped process holds SIGTERM until it is continued: without the SIGCONT, down would
    // wait 10 s and then SIGKILL it instead of stopping it cleanly.
    await testnet.pause(0)
    const started = performance.now()
    await testnet.down()
    expect(performance.now() - started).toBeLessThan(8_000)
    expect(pids.filter(isAlive)).toEqual([])
  })
})
