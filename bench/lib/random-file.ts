import { randomFillSync } from 'node:crypto'
import { open } from 'node:fs/promises'

/** Writes `size` random bytes to `path`, 1 MiB at a time. */
export async function writeRandomFile (path: string, size: number): Promise<void> {
  const file = await open(path, 'w')
  try {
    const block = new Uint8Array(2 ** 20)
    for (let written = 0; written < size;) {
      const length = Math.min(block.length, size - written)
      randomFillSync(block, 0, length)
      await file.write(block, 0, length)
      written += length
    }
  } finally {
    await file.close()
  }
}
