/** `err` with where it happened in front of its message; the original name and frames are kept. */
export function inContext (err: unknown, context: string): Error {
  const original = err instanceof Error ? err : new Error(String(err))
  const error = new Error(`${context}: ${original.message}`)
  error.name = original.name
  const frames = (original.stack ?? '').split('\n').filter(l => l.startsWith('    at '))
  error.stack = [`${error.name}: ${error.message}`, ...frames].join('\n')
  return error
}
