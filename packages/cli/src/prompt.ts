/** Asking for a secret on a terminal without echoing it. */
import type { CliIo } from './io.js'
import { UsageError } from './usage-error.js'

/** Whether the user can be asked: stdin and stderr are a terminal. */
export function canPrompt (io: CliIo): boolean {
  return io.stdin.isTTY === true && io.stderr.isTTY === true && typeof io.stdin.setRawMode === 'function'
}

export async function promptHidden (io: CliIo, question: string): Promise<string> {
  const stdin = io.stdin
  io.stderr.write(question)
  stdin.setRawMode?.(true)
  stdin.setEncoding('utf8')
  stdin.resume()
  return await new Promise<string>((resolve, reject) => {
    let value = ''
    const finish = (): void => {
      stdin.off('data', onData)
      stdin.setRawMode?.(false)
      stdin.pause()
      io.stderr.write('\n')
    }
    const onData = (chunk: string | Buffer): void => {
      const chars = Array.from(String(chunk))
      for (const [i, ch] of chars.entries()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish()
          // Typed ahead (the next answer): left for the next prompt.
          const rest = chars.slice(i + 1).join('').replace(/^\n/, '')
          if (rest.length > 0) stdin.unshift(rest)
          resolve(value)
          return
        }
        if (ch === '\u0003') {
          finish()
          reject(new UsageError('interrupted'))
          return
        }
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('')
        else if (ch >= ' ') value += ch
      }
    }
    stdin.on('data', onData)
  })
}
