import type { Rng } from '../engine/rng.ts';
import { quantileSorted } from './summaries.ts';

// Lanczos approximation, g = 7, n = 9 (relative error about 1e-15 for x > 0).
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log |Gamma(x)| for real x (not a non-positive integer). */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  const y = x - 1;
  let a = LANCZOS[0]!;
  const t = y + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log of the volume of the unit Euclidean ball in d dimensions: (d/2) log pi - lgamma(d/2 + 1). */
export function logUnitBallVolume(d: number): number {
  return (d / 2) * Math.log(Math.PI) - lgamma(d / 2 + 1);
}

/** log(mean(exp(a_i))), computed stably by shifting by the maximum. -Infinity entries are allowed. */
export function logMeanExp(a: readonly number[]): number {
  if (a.length === 0) return NaN;
  let m = -Infinity;
  for (const x of a) if (x > m) m = x;
  if (m === -Infinity || !Number.isFinite(m)) return m;
  let s = 0;
  for (const x of a) s += Math.exp(x - m);
  return m + Math.log(s / a.length);
}

/**
 * log Volume of a star-shaped region {w + r u : r < r(u)} in d dimensions, from radii r_i
 * along directions u_i uniform on the unit sphere:
 *   Volume = V_d E_u[r(u)^d]   =>   log Volume ~ log V_d + log mean_i exp(d log r_i).
 *
 * Read with care in high dimension: exp(d log r_i) is dominated by the largest sampled radius
 * (the flattest sampled direction), so the estimate is about log V_d + d log max_i r_i - log n.
 * The flattest directions of the region are almost never sampled, and by Jensen
 * E[log mean] <= log E, so the estimate is a LOWER bound in expectation, and its bootstrap
 * interval describes only the sampled directions.
 */
export function logVolumeFromRadii(radii: readonly number[], d: number): number {
  return logUnitBallVolume(d) + logMeanExp(radii.map((r) => d * Math.log(r)));
}

export interface BootstrapInterval {
  lo: number;
  hi: number;
}

/**
 * Percentile bootstrap interval of statistic(values) at level `confidence`, from `resamples`
 * resamples with replacement drawn from rng.
 */
export function bootstrapInterval(
  values: readonly number[],
  statistic: (xs: readonly number[]) => number,
  resamples: number,
  confidence: number,
  rng: Rng,
): BootstrapInterval {
  const n = values.length;
  const stats: number[] = [];
  const buf = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) buf[i] = values[rng.int(0, n - 1)]!;
    stats.push(statistic(buf));
  }
  stats.sort((a, b) => a - b);
  const alpha = (1 - confidence) / 2;
  return { lo: quantileSorted(stats, alpha), hi: quantileSorted(stats, 1 - alpha) };
}
