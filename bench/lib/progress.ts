/** One progress line per step on stderr, with the time since the start. */
const started = performance.now()

export function progress (message: string): void {
  const seconds = Math.round((performance.now() - started) / 1000)
  const stamp = `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`
  process.stderr.write(`[bench ${stamp}] ${message}\n`)
}

export function elapsedSeconds (): number {
  return (performance.now() - started) / 1000
}
