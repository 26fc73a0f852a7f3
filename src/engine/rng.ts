import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { UsageError } from '../errors.ts';

/**
 * A seeded random source. All randomness in the toolkit flows through one of these
 * (never the unseeded global source), so the same seed gives the same numbers on every backend:
 * samples are drawn here in JS, then uploaded as tensors.
 */
/** The seed every command and library function uses unless given one (--seed). */
export const DEFAULT_SEED = 0;

export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (Box-Muller, both variates used). */
  normal(): number;
  /** Integer uniform in [from, to] inclusive. */
  int(from: number, to: number): number;
  /** +1 or -1 with probability 1/2. */
  sign(): number;
  /** An independent stream for item `index` (a direction, a probe, a grid point), so
   *  results do not depend on how items are split across workers or shards. */
  fork(index: number): Rng;
}

export function validateSeed(seed: unknown, where = ''): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UsageError(`${where === '' ? '' : `${where}: `}--seed must be an integer in [0, 4294967295], got ${String(seed)}`);
  }
  return seed;
}

// splitmix32-style mixing so that fork(i) seeds are decorrelated from the parent's.
function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

class XoroshiroRng implements Rng {
  readonly seed: number;
  private readonly g: RandomGenerator;
  private spare: number | null = null;
  constructor(seed: number) {
    this.seed = seed;
    this.g = xoroshiro128plus(seed | 0);
  }
  uniform(): number {
    return uniformFloat64(this.g);
  }
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  int(from: number, to: number): number {
    return uniformInt(this.g, from, to);
  }
  sign(): number {
    return (this.g.next() & 1) === 0 ? 1 : -1;
  }
  fork(index: number): Rng {
    return new XoroshiroRng(mix(this.seed, index));
  }
}

export function createRng(seed: number): Rng {
  return new XoroshiroRng(validateSeed(seed));
}

/** n standard normals as float32. */
export function normalArray(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** n Rademacher (+1/-1) values as float32. */
export function rademacherArray(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.sign();
  return out;
}
