import { chunkSizes, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, MIN_FIXED_CHUNKS_FILE_SIZE } from './chunk-sizes.js'

/** What is left once the stream has ended: the whole file inline, or its last chunks. */
export type ChunkerEnd =
  | { kind: 'inline', content: Uint8Array }
  | { kind: 'chunks', total: number, remaining: Uint8Array[] }

/**
 * Cuts a byte stream of unknown length into exactly the chunks chunkSizes(total) describes,
 * releasing each chunk as soon as its size is certain:
 *
 * - Until 3 MiB have arrived the file may still be a three-chunk (or inline) file, so bytes are held.
 * - From then on every chunk is 1 MiB except possibly the last two, whose sizes depend on the final
 *   remainder. A full 1 MiB block is therefore certain once at least 1 KiB follows it.
 *
 * Bytes are copied into 1 MiB blocks aligned with chunk boundaries, so a released chunk is one
 * block (no further copy), the source may reuse its buffers, and tiny pieces cost no per-piece
 * memory. At most 3 MiB + one block is held at any time.
 */
export class StreamChunker {
  private readonly blocks: Uint8Array[] = []
  /** Bytes used in the last block. */
  private fill = MAX_CHUNK_SIZE
  private buffered = 0
  private released = 0

  /** Bytes pushed so far. */
  get total (): number {
    return this.released * MAX_CHUNK_SIZE + this.buffered
  }

  /** Adds bytes; yields the chunks (in order) whose sizes became certain. Consume them before pushing again. */
  * push (piece: Uint8Array): Generator<Uint8Array, void, undefined> {
    let offset = 0
    while (offset < piece.length) {
      if (this.fill === MAX_CHUNK_SIZE) {
        this.blocks.push(new Uint8Array(MAX_CHUNK_SIZE))
        this.fill = 0
      }
      const block = this.blocks[this.blocks.length - 1]
      if (block === undefined) throw new Error('unreachable: no current block')
      const n = Math.min(MAX_CHUNK_SIZE - this.fill, piece.length - offset)
      block.set(piece.subarray(offset, offset + n), this.fill)
      this.fill += n
      this.buffered += n
      offset += n
      // Release inside the loop so one huge piece never piles up blocks.
      while (this.total >= MIN_FIXED_CHUNKS_FILE_SIZE && this.buffered >= MAX_CHUNK_SIZE + MIN_CHUNK_SIZE) {
        const first = this.blocks.shift()
        if (first === undefined) throw new Error('unreachable: no full block')
        this.buffered -= MAX_CHUNK_SIZE
        this.released++
        yield first
      }
    }
  }

  /** Ends the stream and returns whatever has not been released yet. */
  finish (): ChunkerEnd {
    const total = this.total
    const held = this.heldBytes()
    const sizes = chunkSizes(total)
    if (sizes.length === 0) return { kind: 'inline', content: held }
    // Every released chunk was a full block; the layout must agree, or the cutting rule is wrong.
    if (sizes.slice(0, this.released).some((size) => size !== MAX_CHUNK_SIZE)) {
      throw new Error('unreachable: released chunks disagree with chunkSizes')
    }
    const remaining: Uint8Array[] = []
    let offset = 0
    for (const size of sizes.slice(this.released)) {
      remaining.push(held.subarray(offset, offset + size))
      offset += size
    }
    if (offset !== held.length) throw new Error('unreachable: held bytes disagree with chunkSizes')
    return { kind: 'chunks', total, remaining }
  }

  private heldBytes (): Uint8Array {
    const out = new Uint8Array(this.buffered)
    let offset = 0
    for (const block of this.blocks) {
      const used = Math.min(block.length, this.buffered - offset)
      out.set(block.subarray(0, used), offset)
      offset += used
    }
    return out
  }
}
