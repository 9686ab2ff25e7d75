import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The bytes of ImmutableData chunks, one file each, named by the chunk's hex name under a folder
 * of its first two hex digits (as safe_vault's chunk store kept them). The Store keeps which
 * chunks it holds, and their count and bytes, in LevelDB; only the bytes live here.
 *
 * Not in LevelDB: a 1 MiB value is rewritten at every compaction and cached whole; a file costs
 * a sixteenth of the CPU (docs/decisions.md "Chunks in files").
 *
 * A chunk is written to a file in `staging/` and renamed into place, so a reader never sees part
 * of one, and what a crash cuts short is removed with the staging folder at the next open.
 *
 * Offered chunks wait for their authority in `staging/` too (a Data-Manager's `ChunkStaging`),
 * then are renamed into place: what clients may offer ahead of the authority (64 MiB a node)
 * takes disk, not memory, and storing it costs a rename instead of a second write.
 */
const STAGING = 'staging'

export class ChunkFiles {
  private readonly root: string

  private constructor (root: string) {
    this.root = root
  }

  static async open (root: string): Promise<ChunkFiles> {
    // What is left in staging is an offer whose authority never came before the node stopped,
    // or a write a crash cut short.
    await rm(join(root, STAGING), { recursive: true, force: true })
    await mkdir(join(root, STAGING), { recursive: true })
    return new ChunkFiles(root)
  }

  /** Writes the chunk `hex`; once it resolves the bytes are in the OS, under their final name. */
  async write (hex: string, value: Uint8Array): Promise<void> {
    const staged = await this.stage(hex, value)
    try {
      await this.adopt(hex, staged)
    } catch (err) {
      await this.discard(staged)
      throw err
    }
  }

  /** Writes an offered chunk under a name of its own in the staging folder, and returns its path. */
  async stage (hex: string, value: Uint8Array): Promise<string> {
    const path = join(this.root, STAGING, `${hex}.${randomBytes(6).toString('hex')}`)
    try {
      await writeFile(path, value)
    } catch (err) {
      await rm(path, { force: true })
      throw err
    }
    return path
  }

  /** Moves a staged chunk into place as the chunk `hex`. */
  async adopt (hex: string, staged: string): Promise<void> {
    const folder = join(this.root, hex.slice(0, 2))
    await mkdir(folder, { recursive: true })
    await rename(staged, join(folder, hex))
  }

  /** The chunk's bytes, or undefined when no file holds them. */
  async read (hex: string): Promise<Uint8Array | undefined> {
    try {
      const bytes = await readFile(this.path(hex))
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  async remove (hex: string): Promise<void> {
    await rm(this.path(hex), { force: true })
  }

  /** Removes a staged chunk that will not be stored. */
  async discard (staged: string): Promise<void> {
    await rm(staged, { force: true })
  }

  private path (hex: string): string {
    return join(this.root, hex.slice(0, 2), hex)
  }
}
