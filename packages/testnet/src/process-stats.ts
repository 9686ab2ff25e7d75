import { readFile } from 'node:fs/promises'
import type { NodeRecord } from './testnet.js'

/** CPU seconds (user + system) that the running node processes have used so far, together. */
export async function cpuSecondsOfNodes (nodes: readonly NodeRecord[]): Promise<number> {
  let ticks = 0
  for (const node of nodes) {
    if (node.pid == null) throw new Error(`node ${node.index} has no pid`)
    // After the command name: [0] is the state (field 3 of /proc/PID/stat), [11] utime, [12] stime.
    const fields = (await readFile(`/proc/${node.pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
    ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks / 100
}
