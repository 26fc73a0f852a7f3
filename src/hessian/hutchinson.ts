/**
 * Trace estimators from HVPs.
 *
 * Hutchinson: tr(H) = E[v' H v] for Rademacher v; the mean of N probes, with its standard
 * error. Exact for a diagonal H (v' D v = sum D_ii since v_i^2 = 1); its variance,
 * 2 (||H||_F^2 - sum H_ii^2) / N, is large when a few eigenvalues dominate, as in trained
 * networks. Probe i is drawn from rng.fork(i) alone, so probes can be computed in any
 * order or on any worker (hutchinsonProbes) and merged (summariseTrace).
 *
 * Hutch++ (Meyer, Musco, Musco & Woodruff 2021): with a budget of N HVPs, a third go to a
 * sketch H S whose orthonormal basis Q captures the dominant eigenspace, a third to
 * tr(Q' H Q) exactly, and the rest to Hutchinson on (I - QQ') H (I - QQ'), whose variance
 * no longer contains the top eigenvalues. Same budget, far smaller error when the spectrum
 * decays (test/hessian/hutchinson.test.ts and bench/hessian.bench.ts show it).
 */
import { tf } from '../engine/tf.ts';
import { createRng, rademacherArray, type Rng, DEFAULT_SEED } from '../engine/rng.ts';
import { NumericError, UsageError } from '../errors.ts';
import { applyFlat, type HvpOperator } from './HvpOperator.ts';
import { OrthonormalBasis, dotFlat, normFlat } from './OrthonormalBasis.ts';
import { TraceMethod, type ProbeSample, type TraceResult } from './types.ts';
import { integerAtLeast, seedOf } from './validate.ts';

export const TRACE_DEFAULTS = {
  method: TraceMethod.hutchinson,
  /** HVPs (Hutchinson: probes). */
  probes: 100,
  seed: DEFAULT_SEED,
} as const;

export interface TraceOptions {
  /** HVP budget: Hutchinson's number of probes; Hutch++ splits it in thirds (needs >= 3). */
  probes?: number;
  seed?: number;
}

function probeValue(op: HvpOperator, rng: Rng, where: string, index: number): number {
  const v = tf.tensor1d(rademacherArray(rng, op.dimension));
  const hv = applyFlat(op, v);
  const value = dotFlat(v, hv);
  tf.dispose([v, hv]);
  if (!Number.isFinite(value)) throw new NumericError(`${where}: probe ${index} gave v'Hv = ${value}`);
  return value;
}

/** v_i' H v_i for the given probe indices; probe i depends only on (seed, i). */
export function hutchinsonProbes(op: HvpOperator, seed: number, indices: readonly number[]): ProbeSample[] {
  const where = 'hessian';
  const rng = createRng(seedOf(where, seed));
  return indices.map((index) => {
    integerAtLeast(where, 'probe index', index, 0);
    return { index, value: probeValue(op, rng.fork(index), where, index) };
  });
}

/** Mean and standard error of the samples (merged from any shards; duplicates rejected). */
export function summariseTrace(samples: readonly ProbeSample[]): { estimate: number; stderr: number | null; samples: number } {
  if (samples.length === 0) throw new UsageError('hessian: no probe samples');
  // Summing in index order makes the result independent of how probes were sharded.
  const sorted = [...samples].sort((a, b) => a.index - b.index);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.index === sorted[i - 1]!.index) throw new UsageError(`hessian: probe ${sorted[i]!.index} appears twice`);
  }
  return meanAndStderr(sorted.map((s) => s.value));
}

function meanAndStderr(xs: readonly number[]): { estimate: number; stderr: number | null; samples: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { estimate: mean, stderr: null, samples: n };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { estimate: mean, stderr: Math.sqrt(variance / n), samples: n };
}

/** Hutchinson's estimate of tr(H) from `probes` Rademacher probes. */
export function hutchinson(op: HvpOperator, opts: TraceOptions = {}): TraceResult {
  const where = 'hessian';
  const probes = integerAtLeast(where, 'probes', opts.probes ?? TRACE_DEFAULTS.probes, 1);
  const seed = seedOf(where, opts.seed ?? TRACE_DEFAULTS.seed);
  const before = op.hvps;
  const samples = hutchinsonProbes(op, seed, Array.from({ length: probes }, (_, i) => i));
  return { method: TraceMethod.hutchinson, ...summariseTrace(samples), hvps: op.hvps - before, seed };
}

/** Hutch++ with a budget of `probes` HVPs (>= 3). */
export function hutchPlusPlus(op: HvpOperator, opts: TraceOptions = {}): TraceResult {
  const where = 'hessian';
  const budget = integerAtLeast(where, 'probes', opts.probes ?? TRACE_DEFAULTS.probes, 3);
  const seed = seedOf(where, opts.seed ?? TRACE_DEFAULTS.seed);
  const rng = createRng(seed);
  const sketchRng = rng.fork(0);
  const probeRng = rng.fork(1);
  const before = op.hvps;
  const d = op.dimension;
  const sketch = Math.min(Math.floor(budget / 3), d);
  const Q = new OrthonormalBasis(d);
  try {
    // Q: orthonormal basis of H S, S Rademacher. Directions Gram-Schmidt cancels (H of
    // rank < sketch) are dropped, and their HVPs go to the Hutchinson part instead.
    for (let i = 0; i < sketch; i++) {
      const s = tf.tensor1d(rademacherArray(sketchRng.fork(i), d));
      const y = applyFlat(op, s);
      s.dispose();
      const n0 = normFlat(y);
      if (!Number.isFinite(n0)) {
        y.dispose();
        throw new NumericError(`${where}: a Hessian-vector product is not finite (NaN or Inf)`);
      }
      const { vector } = Q.orthogonalise(y);
      y.dispose();
      const n = normFlat(vector);
      if (n > 1e-5 * n0 && n > 0) {
        const q = tf.tidy(() => tf.div(vector, n) as tf.Tensor1D);
        Q.push(q);
        q.dispose();
      }
      vector.dispose();
    }
    // tr(Q' H Q), one HVP per basis vector.
    let low = 0;
    for (let i = 0; i < Q.size; i++) {
      const q = Q.row(i);
      const hq = applyFlat(op, q);
      low += dotFlat(q, hq);
      tf.dispose([q, hq]);
    }
    // Hutchinson on the remainder with what is left of the budget.
    const rest = Math.max(1, budget - sketch - Q.size);
    const values: number[] = [];
    if (Q.size < d) {
      for (let j = 0; j < rest; j++) {
        const g = tf.tensor1d(rademacherArray(probeRng.fork(j), d));
        const { vector: p } = Q.orthogonalise(g);
        g.dispose();
        const hp = applyFlat(op, p);
        values.push(dotFlat(p, hp));
        tf.dispose([p, hp]);
      }
    }
    const tail = values.length > 0 ? meanAndStderr(values) : { estimate: 0, stderr: 0, samples: 0 };
    const estimate = low + tail.estimate;
    if (!Number.isFinite(estimate)) throw new NumericError(`${where}: the estimate is not finite (${estimate})`);
    return { method: TraceMethod.hutchPlusPlus, estimate, stderr: tail.stderr, samples: tail.samples, hvps: op.hvps - before, seed };
  } finally {
    Q.dispose();
  }
}

/** The estimator named by `method`. */
export function traceEstimate(op: HvpOperator, method: TraceMethod, opts: TraceOptions = {}): TraceResult {
  switch (method) {
    case TraceMethod.hutchinson:
      return hutchinson(op, opts);
    case TraceMethod.hutchPlusPlus:
      return hutchPlusPlus(op, opts);
    default:
      throw new UsageError(`hessian: --trace-method must be one of hutchinson, hutch++, got ${String(method)}`);
  }
}
