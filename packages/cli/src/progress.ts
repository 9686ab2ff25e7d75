/** Progress bars on stderr, only when it is a terminal (SPEC §10). */
import { SingleBar } from 'cli-progress'
import type { CliIo } from './io.js'

export interface Progress {
  update (done: number, total?: number): void
  stop (): void
}

const NO_PROGRESS: Progress = { update: () => {}, stop: () => {} }

export function progressBar (io: CliIo, label: string): Progress {
  if (io.stderr.isTTY !== true) return NO_PROGRESS
  let bar: SingleBar | undefined
  let knownTotal: number | undefined
  return {
    update (done, total) {
      if (bar === undefined) {
        knownTotal = total
        bar = new SingleBar({
          stream: io.stderr,
          format: total === undefined ? `${label} {value}` : `${label} [{bar}] {percentage}% {value} / {total}`,
          formatValue: (value, _options, type) => (type === 'value' || type === 'total' ? bytes(value) : String(value)),
          hideCursor: true,
          clearOnComplete: false,
          barsize: 30,
          fps: 10
        })
        bar.start(total ?? 0, done)
      } else {
        if (total !== undefined && total !== knownTotal) {
          knownTotal = total
          bar.setTotal(total)
        }
        bar.update(done)
      }
    },
    stop () {
      bar?.stop()
    }
  }
}

function bytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`
}
