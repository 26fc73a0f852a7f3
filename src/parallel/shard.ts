import { UsageError } from '../errors.ts';

/** `--shard k/n`: this run computes the items i with i % n === k - 1. */
export interface Shard {
  k: number;
  n: number;
}

export function parseShard(value: string | undefined, where = 'landscape'): Shard | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(String(value));
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(k) || !Number.isSafeInteger(n) || n < 1 || k < 1 || k > n) {
    throw new UsageError(`${where}: --shard must be k/n with integers 1 <= k <= n (e.g. 2/4), got ${String(value)}`);
  }
  return { k, n };
}

/** The indices in [0, count) that `shard` computes (all of them without a shard), ascending. */
export function shardIndices(count: number, shard: Shard | undefined): number[] {
  const out: number[] = [];
  for (let i = shard ? shard.k - 1 : 0; i < count; i += shard ? shard.n : 1) out.push(i);
  return out;
}
