/**
 * A small, fast, seeded pseudo-random number generator (mulberry32 core, 32-bit state).
 *
 * Everything random in ELECTRA Lab's data pipeline (packing, shuffling) and trainer draws from an
 * `Rng`, never from `Math.random`, so that a run is reproducible from its seed and resumable.
 *
 *  - `new Rng(seed)`     seed is any finite number or a string; equal seeds give equal streams.
 *  - `fork(label)`       an independent child stream that depends only on this generator's seed and
 *                        the label (not on how many numbers were drawn so far), so e.g.
 *                        `rng.fork('epoch:3')` is the same whether or not epochs 0..2 were replayed.
 *  - `snapshot()` / `Rng.restore(s)`  save / continue the exact stream (e.g. in a checkpoint).
 *
 * Period is 2^32 per stream: plenty for shuffling and masking decisions, not for cryptography.
 */

export type SeedLike = number | string;

/** Serialisable state of an `Rng` (plain JSON). */
export interface RngState {
  /** 32-bit key derived from the seed; forks derive from it. */
  key: number;
  /** Current 32-bit generator state. */
  state: number;
}

const TWO_POW_32 = 4294967296;

/** FNV-1a over the UTF-16 code units of `s`, 32-bit. */
export function fnv1a32(s: string, hash = 0x811c9dc5): number {
  let h = hash >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3 finaliser: a good 32-bit avalanche mix. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Maps any seed to a 32-bit key. Integers up to 2^53 use all their bits; strings are hashed. */
export function seedToKey(seed: SeedLike): number {
  if (typeof seed === 'string') return mix32(fnv1a32(seed) ^ 0x5bd1e995);
  if (!Number.isFinite(seed)) throw new RangeError(`Rng seed must be a finite number or a string, got ${seed}`);
  if (!Number.isSafeInteger(seed)) return mix32(fnv1a32(`num:${seed}`));
  const lo = ((seed % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
  const hi = ((Math.floor(seed / TWO_POW_32) % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
  return mix32(lo ^ mix32(hi + 0x9e3779b9));
}

export class Rng {
  private key: number;
  private state: number;

  constructor(seed: SeedLike) {
    this.key = seedToKey(seed);
    this.state = this.key;
  }

  private static fromKey(key: number, state: number): Rng {
    const r = new Rng(0);
    r.key = key >>> 0;
    r.state = state >>> 0;
    return r;
  }

  /** Continues exactly where `snapshot()` was taken. */
  static restore(s: RngState): Rng {
    return Rng.fromKey(s.key, s.state);
  }

  snapshot(): RngState {
    return { key: this.key, state: this.state };
  }

  /** Independent child generator determined by (this seed, label) only. */
  fork(label: string | number): Rng {
    const key = mix32(fnv1a32(String(label), mix32(this.key ^ 0x27d4eb2f)) ^ this.key);
    return Rng.fromKey(key, key);
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n). `n` must be a positive safe integer. Unbiased. */
  nextInt(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`Rng.nextInt(n) needs a positive integer, got ${n}`);
    if (n <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % n); // rejection keeps it unbiased
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    // Large n: 53-bit float from two draws (bias < 2^-53 * n, negligible).
    const f = (this.nextUint32() * 2097152 + (this.nextUint32() >>> 11)) / 9007199254740992;
    return Math.floor(f * n);
  }

  /** Uniform integer in [min, max], both inclusive. */
  nextIntBetween(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new RangeError(`Rng.nextIntBetween(min, max) needs integers with min <= max, got ${min}, ${max}`);
    }
    return min + this.nextInt(max - min + 1);
  }

  /** true with probability p. */
  nextBool(p = 0.5): boolean {
    return this.nextFloat() < p;
  }

  /** Normally distributed sample (Box–Muller; uses two uniforms per call, no hidden cache). */
  nextNormal(mean = 0, std = 1): number {
    const u1 = 1 - this.nextFloat(); // (0, 1]
    const u2 = this.nextFloat();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }
}
