/**
 * The eigenvalue spectral density by stochastic Lanczos quadrature (Ghorbani et al. 2019;
 * PyHessian's `density`). For a unit Rademacher start v, m Lanczos steps give a Gauss
 * quadrature rule for the measure sum_i (v'u_i)^2 delta(lambda_i): nodes = Ritz values,
 * weights = squared first components of T's eigenvectors (they sum to 1). Averaged over
 * runs the rule estimates the density (1/d) sum_i delta(lambda_i); Gaussian kernels turn
 * it into a curve on a grid.
 *
 * Run i starts from rng.fork(i) alone (slqRuns computes any subset; densityFromRuns merges).
 */
import { tf } from '../engine/tf.ts';
import { createRng, rademacherArray, DEFAULT_SEED } from '../engine/rng.ts';
import { UsageError } from '../errors.ts';
import type { HvpOperator } from './HvpOperator.ts';
import { lanczosProcess, ritz } from './lanczos.ts';
import type { DensityResult, SlqRun } from './types.ts';
import { integerAtLeast, positiveNumber, seedOf } from './validate.ts';

export const SLQ_DEFAULTS = {
  /** PyHessian's n_v. */
  runs: 1,
  /** PyHessian's iter. */
  steps: 100,
  seed: DEFAULT_SEED,
  /** PyHessian's num_bins. */
  gridPoints: 10000,
} as const;

/** PyHessian's kernel variance: 1e-5 max(1, range) (its sigma_squared argument). */
const SIGMA_SQUARED_PER_RANGE = 1e-5;
/** PyHessian's `overhead`: grid margin beyond the extreme nodes. */
const OVERHEAD = 0.01;

export interface SlqOptions {
  steps?: number;
  seed?: number;
}

/** The SLQ runs of the given indices; run i depends only on (seed, i). */
export function slqRuns(op: HvpOperator, opts: SlqOptions, indices: readonly number[]): SlqRun[] {
  const where = 'hessian';
  const steps = integerAtLeast(where, 'steps', opts.steps ?? SLQ_DEFAULTS.steps, 2);
  const rng = createRng(seedOf(where, opts.seed ?? SLQ_DEFAULTS.seed));
  return indices.map((index) => {
    integerAtLeast(where, 'run index', index, 0);
    const start = tf.tensor1d(rademacherArray(rng.fork(index), op.dimension));
    try {
      // No restart on breakdown: the measure of v lives on the invariant space found, and
      // the rule is exact there (a fresh block would get zero weight anyway).
      const run = lanczosProcess(op, { steps: Math.min(steps, op.dimension), start, where });
      run.basis.dispose();
      const r = ritz(run);
      // ascending, as a quadrature rule is usually written
      const nodes = r.values.slice().reverse();
      const raw = r.vectors.slice().reverse().map((s) => s[0]! * s[0]!);
      const total = raw.reduce((a, b) => a + b, 0);
      return { index, nodes, weights: raw.map((w) => w / total), steps: run.steps };
    } finally {
      start.dispose();
    }
  });
}

export interface DensityOptions {
  /** Kernel standard deviation. Default: PyHessian's sqrt(1e-5 max(1, range)), but at least 2 grid spacings. */
  sigma?: number;
  /** Grid points (>= 2); default 10000 (PyHessian's num_bins). */
  gridPoints?: number;
}

/**
 * The Gaussian-smoothed density of merged runs on a uniform grid over
 * [min node - margin, max node + margin], margin = max(0.01, 5 sigma), normalised so that
 * its trapezoid integral over the grid is 1.
 */
export function densityFromRuns(runs: readonly SlqRun[], opts: DensityOptions = {}): { grid: number[]; values: number[]; sigma: number } {
  const where = 'hessian';
  if (runs.length === 0) throw new UsageError(`${where}: no runs to make a density from`);
  const seen = new Set<number>();
  for (const r of runs) {
    if (seen.has(r.index)) throw new UsageError(`${where}: run ${r.index} appears twice`);
    seen.add(r.index);
  }
  const sorted = [...runs].sort((a, b) => a.index - b.index);
  const G = integerAtLeast(where, 'grid-points', opts.gridPoints ?? SLQ_DEFAULTS.gridPoints, 2);
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of sorted) for (const x of r.nodes) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
  const range = hi - lo + 2 * OVERHEAD;
  let sigma: number;
  if (opts.sigma !== undefined) sigma = positiveNumber(where, 'sigma', opts.sigma);
  else sigma = Math.max(Math.sqrt(SIGMA_SQUARED_PER_RANGE * Math.max(1, range)), (2 * range) / (G - 1));
  const margin = Math.max(OVERHEAD, 5 * sigma);
  const a = lo - margin;
  const b = hi + margin;
  const h = (b - a) / (G - 1);
  const grid = Array.from({ length: G }, (_, j) => a + j * h);
  const values = new Array<number>(G).fill(0);
  const c = 1 / (Math.sqrt(2 * Math.PI) * sigma);
  const cutoff = 8 * sigma; // exp(-32): below float64 relevance next to the peak
  for (const r of sorted) {
    r.nodes.forEach((x, i) => {
      const w = r.weights[i]! / sorted.length;
      const j0 = Math.max(0, Math.floor((x - cutoff - a) / h));
      const j1 = Math.min(G - 1, Math.ceil((x + cutoff - a) / h));
      for (let j = j0; j <= j1; j++) {
        const z = (grid[j]! - x) / sigma;
        values[j] += w * c * Math.exp(-0.5 * z * z);
      }
    });
  }
  let integral = 0;
  for (let j = 0; j + 1 < G; j++) integral += 0.5 * h * (values[j]! + values[j + 1]!);
  return { grid, values: integral > 0 ? values.map((v) => v / integral) : values, sigma };
}

export interface SlqDensityOptions extends SlqOptions, DensityOptions {
  runs?: number;
}

/** Stochastic Lanczos quadrature: `runs` runs of `steps` Lanczos steps, and the smoothed density. */
export function slq(op: HvpOperator, opts: SlqDensityOptions = {}): DensityResult {
  const where = 'hessian';
  const nRuns = integerAtLeast(where, 'runs', opts.runs ?? SLQ_DEFAULTS.runs, 1);
  const steps = integerAtLeast(where, 'steps', opts.steps ?? SLQ_DEFAULTS.steps, 2);
  const seed = seedOf(where, opts.seed ?? SLQ_DEFAULTS.seed);
  const before = op.hvps;
  const runs = slqRuns(op, { steps, seed }, Array.from({ length: nRuns }, (_, i) => i));
  const density = densityFromRuns(runs, opts);
  return { runs, ...density, steps, hvps: op.hvps - before, seed };
}
