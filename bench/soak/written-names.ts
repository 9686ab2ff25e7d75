/**
 * Every name a client saw written, with when: each chunk of each stored file and each
 * MutableData created. The final replica check asks each name's close group for it, and the
 * recovery measurement samples the names written before a kill.
 */
import { kadPositionOfName, xorNameFromHex, type XorName } from '@safemesh/protocol'

export type WrittenName =
  | { readonly kind: 'chunk', readonly hex: string, readonly name: XorName, readonly position: Uint8Array, readonly at: number }
  | { readonly kind: 'mdata', readonly hex: string, readonly name: XorName, readonly tag: number, readonly position: Uint8Array, readonly at: number }

export class WrittenNames {
  private readonly names = new Map<string, WrittenName>()

  addChunk (hex: string): void {
    if (this.names.has(hex)) return
    const name = xorNameFromHex(hex)
    this.names.set(hex, { kind: 'chunk', hex, name, position: kadPositionOfName(name), at: performance.now() })
  }

  addMData (name: XorName, tag: number, hex: string): void {
    const key = `${hex}/${tag}`
    if (this.names.has(key)) return
    this.names.set(key, { kind: 'mdata', hex, name, tag, position: kadPositionOfName(name), at: performance.now() })
  }

  /** Every name written before `time` (performance.now()), or every name. */
  list (before = Infinity): WrittenName[] {
    return [...this.names.values()].filter(n => n.at < before)
  }

  get size (): number {
    return this.names.size
  }
}

/** How a person finds the name: its hex, with the tag for MutableData. */
export function describeName (name: WrittenName): string {
  return name.kind === 'chunk' ? `chunk ${name.hex}` : `MutableData ${name.hex} tag ${name.tag}`
}
