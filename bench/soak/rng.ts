/**
 * A seeded random source (sfc32, seeded through splitmix32) for every choice a soak run makes:
 * the chaos schedule, the workload's mix and sizes. The same seed gives the same sequence of
 * choices; the interleaving with the network's timing still differs from run to run.
 */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (seed: number) {
    let s = seed >>> 0
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad)
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97)
      return (z ^ (z >>> 15)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
    for (let i = 0; i < 12; i++) this.float()
  }

  /** Uniform in [0, 1). */
  float (): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t / 2 ** 32
  }

  /** An integer in [min, max]. */
  int (min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1))
  }

  /** Log-uniform in [min, max]: small values as often as large ones, per order of magnitude. */
  logUniform (min: number, max: number): number {
    return Math.round(Math.exp(Math.log(min) + this.float() * (Math.log(max) - Math.log(min))))
  }

  chance (p: number): boolean {
    return this.float() < p
  }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('nothing to pick from')
    return items[Math.floor(this.float() * items.length)] as T
  }

  /** `count` distinct items, in random order. */
  sample<T> (items: readonly T[], count: number): T[] {
    const copy = [...items]
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1))
      const swap = copy[i] as T
      copy[i] = copy[j] as T
      copy[j] = swap
    }
    return copy.slice(0, count)
  }

  /** An independent source for one part of the run, so one part's choices do not shift another's. */
  fork (): Rng {
    return new Rng(Math.floor(this.float() * 2 ** 32))
  }
}
