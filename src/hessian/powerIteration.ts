/**
 * Power iteration with deflation, step for step as PyHessian's `hessian.eigenvalues`:
 * a Gaussian start per eigenvalue, orthogonalised against the eigenvectors already found
 * before every HVP, lambda = v' H v, stop when |lambda - lambda_prev| / (|lambda_prev| + 1e-6)
 * < tol, at most maxIter HVPs per eigenvalue. It finds the eigenvalues of largest
 * MAGNITUDE (a negative one wins if it dominates), as PyHessian's does.
 *
 * The relative-change test stops early when convergence is slow (the change per step is
 * about (1 - (lambda2/lambda1)^2) times the error), so the residual ||Hv - lambda v|| of
 * the last step is reported too (no extra HVP).
 */
import { tf, type Tensor } from '../engine/tf.ts';
import { createRng, normalArray, DEFAULT_SEED } from '../engine/rng.ts';
import { UsageError } from '../errors.ts';
import { applyFlat, toBlocks, type HvpOperator } from './HvpOperator.ts';
import { OrthonormalBasis, dotFlat, normFlat, normalised } from './OrthonormalBasis.ts';
import { eigenvalueErrorBound } from './lanczosEigenpairs.ts';
import { Solver, Which, type EigenResult } from './types.ts';
import { integerAtLeast, positiveNumber, seedOf, topKOf } from './validate.ts';

export const POWER_DEFAULTS = {
  topK: 1,
  /** PyHessian's defaults. */
  tol: 1e-3,
  /** HVPs per eigenvalue. */
  maxIter: 100,
  seed: DEFAULT_SEED,
} as const;

export interface PowerIterationOptions {
  topK?: number;
  /** Relative change of lambda between two steps below which it stops. */
  tol?: number;
  /** Most HVPs per eigenvalue (as PyHessian). */
  maxIter?: number;
  seed?: number;
  /** Only 'largest' (PyHessian's power iteration has no other). */
  which?: Which;
  eigenvectors?: boolean;
}

export function powerIteration(op: HvpOperator, opts: PowerIterationOptions = {}): EigenResult {
  const where = 'hessian';
  const d = op.dimension;
  const k = topKOf(where, opts.topK ?? POWER_DEFAULTS.topK, d);
  const tol = positiveNumber(where, 'tol', opts.tol ?? POWER_DEFAULTS.tol);
  const maxIter = integerAtLeast(where, 'max-iter', opts.maxIter ?? POWER_DEFAULTS.maxIter, 1);
  const seed = seedOf(where, opts.seed ?? POWER_DEFAULTS.seed);
  if (opts.which !== undefined && opts.which !== Which.largest) {
    throw new UsageError(`${where}: --smallest needs --solver lanczos (power iteration finds the largest-magnitude eigenvalues)`);
  }
  const rng = createRng(seed);
  const before = op.hvps;
  const found = new OrthonormalBasis(d);
  const eigenvalues: number[] = [];
  const residuals: number[] = [];
  const convergedEach: boolean[] = [];
  const vectors: tf.Tensor1D[] = [];
  let iterations = 0;
  try {
    for (let e = 0; e < k; e++) {
      // Eigenvalue e's start depends only on (seed, e).
      const g = tf.tensor1d(normalArray(rng.fork(e), d));
      let v = normalised(g, where).vector;
      g.dispose();
      let lambda: number | null = null;
      let residual = NaN;
      let converged = false;
      let last: tf.Tensor1D | null = null;
      for (let i = 0; i < maxIter; i++) {
        const o = found.orthogonalise(v);
        v.dispose();
        const u = normalised(o.vector, where);
        o.vector.dispose();
        v = u.vector;
        const hv = applyFlat(op, v);
        iterations++;
        const tmp = dotFlat(hv, v);
        // Explicitly, not as sqrt(||Hv||^2 - lambda^2), which cancels to noise near convergence.
        const r = tf.tidy(() => tf.sub(hv, tf.mul(v, tmp)) as tf.Tensor1D);
        residual = normFlat(r);
        r.dispose();
        const next = normalised(hv, where);
        hv.dispose();
        last?.dispose();
        last = v; // the vector whose Rayleigh quotient is tmp
        v = next.vector;
        if (next.norm === 0) {
          // H v = 0: v is an exact eigenvector with eigenvalue 0.
          lambda = 0;
          converged = true;
          break;
        }
        if (lambda !== null && Math.abs(lambda - tmp) / (Math.abs(lambda) + 1e-6) < tol) {
          lambda = tmp;
          converged = true;
          break;
        }
        lambda = tmp;
      }
      v.dispose();
      eigenvalues.push(lambda!);
      residuals.push(residual);
      convergedEach.push(converged);
      found.push(last!);
      vectors.push(last!);
    }
    // Deflation finds them by decreasing magnitude; results are reported descending.
    const order = eigenvalues.map((_, i) => i).sort((a, b) => eigenvalues[b]! - eigenvalues[a]!);
    const result: EigenResult = {
      solver: Solver.power,
      which: Which.largest,
      eigenvalues: order.map((i) => eigenvalues[i]!),
      residuals: order.map((i) => residuals[i]!),
      ritzResiduals: order.map((i) => residuals[i]!),
      // the residual bound (an eigenvalue lies within it) plus float32 rounding; no gap is known
      errorBounds: order.map((i) => eigenvalueErrorBound(residuals[i]!, null, Math.max(0, ...eigenvalues.map(Math.abs)))),
      gaps: order.map(() => null),
      convergedEach: order.map((i) => convergedEach[i]!),
      converged: convergedEach.every(Boolean),
      iterations,
      hvps: op.hvps - before,
      seed,
      tol,
      maxIter,
    };
    if (opts.eigenvectors) result.eigenvectors = order.map((i) => toBlocks(vectors[i]!, op.shapes) as Tensor[]);
    return result;
  } finally {
    tf.dispose(vectors);
    found.dispose();
  }
}
