/** Small descriptive statistics used by the sharpness results (float64, JS numbers). */

export interface MeanAndStderr {
  mean: number;
  /** Standard error of the mean, sd / sqrt(n) with the n - 1 variance; null for n < 2. */
  stderr: number | null;
  n: number;
}

export function meanAndStderr(xs: readonly number[]): MeanAndStderr {
  const n = xs.length;
  if (n === 0) return { mean: NaN, stderr: null, n };
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= n;
  if (n < 2) return { mean, stderr: null, n };
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  return { mean, stderr: Math.sqrt(ss / (n - 1) / n), n };
}

/** The p-quantile (0 <= p <= 1) of ascending-sorted values, linear interpolation (R type 7). */
export function quantileSorted(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface Quantiles {
  p05: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
}

export function quantiles(xs: readonly number[]): Quantiles {
  const s = [...xs].sort((a, b) => a - b);
  return {
    p05: quantileSorted(s, 0.05),
    p25: quantileSorted(s, 0.25),
    p50: quantileSorted(s, 0.5),
    p75: quantileSorted(s, 0.75),
    p95: quantileSorted(s, 0.95),
  };
}
