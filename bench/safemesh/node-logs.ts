/** The tails of a testnet's node logs, to explain a failure after the logs' directory is gone. */
import { readFile } from 'node:fs/promises'
import type { NodeRecord } from '@safemesh/testnet'

const LINES = 5
const WIDTH = 300
/** The lines every node prints when it starts: no help in explaining a failure. */
const BANNER = /^(SafeMesh node |\s+(listening on|metrics on) )/

async function nodeLogTails (nodes: readonly NodeRecord[]): Promise<string> {
  const parts: string[] = []
  for (const node of nodes) {
    const text = await readFile(node.logFile, 'utf8').catch(() => '')
    const lines = text.split('\n').filter(l => l.trim() !== '' && !BANNER.test(l)).slice(-LINES)
    if (lines.length > 0) parts.push(`  node ${node.index} (${node.logFile}):\n    ${lines.map(l => l.slice(0, WIDTH)).join('\n    ')}`)
  }
  return parts.length === 0 ? '' : `\nlast lines of the node logs:\n${parts.join('\n')}`
}

/** `err` with the node logs' tails added to its message, and to its stack once. */
export async function withNodeLogs (err: unknown, nodes: readonly NodeRecord[]): Promise<Error> {
  const error = err instanceof Error ? err : new Error(String(err))
  const tails = await nodeLogTails(nodes)
  if (tails === '') return error
  const frames = (error.stack ?? '').split('\n').filter(l => l.startsWith('    at '))
  error.message += tails
  error.stack = [`${error.name}: ${error.message}`, ...frames].join('\n')
  return error
}
