/**
 * The Lanczos process with full re-orthogonalisation: an orthonormal basis Q of the Krylov
 * space {q, Hq, H^2 q, ...} and the tridiagonal T = Q' H Q, one HVP per step. Vectors are
 * float32 tensors; T and the re-orthogonalisation coefficients are float64 JS numbers, and
 * T's small eigenproblem is solved by ml-matrix. Without re-orthogonalisation float32
 * Lanczos loses orthogonality within a few dozen steps and returns ghost copies of the
 * extreme eigenvalues; re-orthogonalising against the whole basis costs O(m d) per step,
 * negligible next to an HVP over a dataset.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { tf, type Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import { createRng, normalArray, type Rng } from '../engine/rng.ts';
import { NumericError, UsageError } from '../errors.ts';
import { applyFlat, toBlocks, toFlat, type HvpOperator } from './HvpOperator.ts';
import { OrthonormalBasis, dotFlat, normalised } from './OrthonormalBasis.ts';
import { integerAtLeast, seedOf } from './validate.ts';

/**
 * A symmetric tridiagonal matrix: diagonal `alphas` (length m) and `betas` (length m), where
 * betas[j] couples steps j and j+1 for j < m-1 and betas[m-1] is the norm of the remainder
 * H q_m - Q T e_m, the coupling to the next (not yet built) basis vector.
 */
export interface Tridiagonal {
  alphas: number[];
  betas: number[];
}

/** Eigenpairs of T: values descending, vectors[i] the unit eigenvector (length m) of values[i]. */
export interface RitzPairs {
  values: number[];
  vectors: number[][];
}

/**
 * The Ritz pairs of a Lanczos tridiagonal: eigenvalues of T_m (the leading m x m part,
 * betas[m-1] excluded), descending. Ritz vectors in parameter space are Q' s.
 */
export function ritz(t: Tridiagonal): RitzPairs {
  const m = t.alphas.length;
  if (m === 0) return { values: [], vectors: [] };
  if (m === 1) return { values: [t.alphas[0]!], vectors: [[1]] };
  const T = new Matrix(m, m);
  for (let i = 0; i < m; i++) {
    T.set(i, i, t.alphas[i]!);
    if (i + 1 < m) {
      T.set(i, i + 1, t.betas[i]!);
      T.set(i + 1, i, t.betas[i]!);
    }
  }
  const e = new EigenvalueDecomposition(T, { assumeSymmetric: true });
  const V = e.eigenvectorMatrix;
  const order = e.realEigenvalues.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  return { values: order.map(([v]) => v), vectors: order.map(([, i]) => V.getColumn(i)) };
}

/** |beta_m s_m|: the residual ||H y - theta y|| of the Ritz pair (theta, y = Q s), without an HVP. */
export function ritzResidual(t: Tridiagonal, s: readonly number[]): number {
  const m = t.alphas.length;
  return Math.abs(t.betas[m - 1]! * s[m - 1]!);
}

/** Below this fraction of ||T|| a remainder counts as zero: the Krylov space is invariant. */
const BREAKDOWN = 1e-6;

export interface LanczosProcessOptions {
  /** Most steps (HVPs); fewer are taken when the space is exhausted or `stop` says so. */
  steps: number;
  /** Start vector (any nonzero norm). Not modified. */
  start: tf.Tensor1D;
  /** Orthonormal vectors the Krylov space is kept orthogonal to (deflation of eigenvectors found). */
  deflation?: OrthonormalBasis;
  /**
   * When the Krylov space becomes invariant, go on with a fresh random vector from this
   * stream (orthogonal to everything so far), so eigenvalues that the start vector could
   * not see (repeated ones) are found; without it the process stops there.
   */
  restartRng?: Rng;
  /** Called after each step with T so far; returning true stops the process. */
  stop?: (t: Tridiagonal) => boolean;
  /** Function name for error messages. */
  where: string;
}

export interface LanczosProcess extends Tridiagonal {
  /** The orthonormal basis, one row per step; the caller disposes it. */
  basis: OrthonormalBasis;
  /** Steps taken (= HVPs). */
  steps: number;
  /** Restarts with a fresh vector after an invariant subspace was found. */
  restarts: number;
  /** The last remainder was zero (the space is invariant: Ritz pairs are exact). */
  breakdown: boolean;
  /** The basis plus the deflation vectors span the whole space. */
  exhausted: boolean;
}

function randomUnit(dimension: number, rng: Rng): tf.Tensor1D {
  return tf.tensor1d(normalArray(rng, dimension));
}

/** The process on flat vectors: what lanczosEigenpairs and slq build on. */
export function lanczosProcess(op: HvpOperator, o: LanczosProcessOptions): LanczosProcess {
  const d = op.dimension;
  const deflated = o.deflation?.size ?? 0;
  const maxSteps = Math.min(o.steps, d - deflated);
  const basis = new OrthonormalBasis(d);
  const alphas: number[] = [];
  const betas: number[] = [];
  let restarts = 0;
  let breakdown = false;
  let normT = 0;
  const orthogonal = (w: tf.Tensor1D): { vector: tf.Tensor1D; own: number[] } => {
    let v = w;
    let owned = false;
    if (o.deflation && o.deflation.size > 0) {
      v = o.deflation.orthogonalise(w).vector;
      owned = true;
    }
    const r = basis.orthogonalise(v);
    if (owned) v.dispose();
    return { vector: r.vector, own: r.coefficients };
  };
  // A fresh direction orthogonal to the deflation vectors and the basis, or null when none is left.
  const freshDirection = (rng: Rng | undefined, first: tf.Tensor1D | null): tf.Tensor1D | null => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const z = first && attempt === 0 ? first.clone() : rng ? randomUnit(d, rng.fork(basis.size * 3 + attempt)) : null;
      if (!z) return null;
      const n0 = Math.sqrt(dotFlat(z, z));
      const { vector } = orthogonal(z);
      z.dispose();
      const { vector: unit, norm } = normalised(vector, o.where);
      vector.dispose();
      // A direction that Gram-Schmidt almost cancelled is rounding noise, not a new direction.
      if (norm > 1e-3 * n0) return unit;
      unit.dispose();
    }
    return null;
  };

  let q = freshDirection(o.restartRng, o.start);
  if (!q) {
    basis.dispose();
    throw new NumericError(`${o.where}: the start vector is zero or lies in the deflated subspace`);
  }
  let exhausted = false;
  try {
    for (let j = 0; j < maxSteps; j++) {
      basis.push(q);
      const hq = applyFlat(op, q);
      const alpha0 = dotFlat(q, hq);
      if (!Number.isFinite(alpha0)) {
        hq.dispose();
        throw new NumericError(`${o.where}: a Hessian-vector product is not finite (NaN or Inf) at Lanczos step ${j + 1}`);
      }
      // Three-term recurrence, then full re-orthogonalisation; the coefficients it finds on
      // q_j and q_{j-1} correct T (they are the rounding the recurrence left, or after a
      // restart the true coupling).
      const prevBeta = j > 0 ? betas[j - 1]! : 0;
      const w0 = tf.tidy(() => {
        let w = tf.sub(hq, tf.mul(q!, alpha0));
        if (j > 0 && prevBeta !== 0) {
          const prev = basis.row(j - 1);
          w = tf.sub(w, tf.mul(prev, prevBeta));
        }
        return w as tf.Tensor1D;
      });
      hq.dispose();
      const { vector: w, own } = orthogonal(w0);
      w0.dispose();
      const alpha = alpha0 + own[j]!;
      if (j > 0) betas[j - 1] = prevBeta + own[j - 1]!;
      const beta = Math.sqrt(dotFlat(w, w));
      if (!Number.isFinite(beta)) {
        w.dispose();
        throw new NumericError(`${o.where}: a Hessian-vector product is not finite (NaN or Inf) at Lanczos step ${j + 1}`);
      }
      alphas.push(alpha);
      betas.push(beta);
      normT = Math.max(normT, Math.abs(alpha) + beta + (j > 0 ? Math.abs(betas[j - 1]!) : 0));
      q.dispose();
      q = null;
      breakdown = beta <= BREAKDOWN * normT;
      if (breakdown) betas[j] = 0;
      exhausted = basis.size + deflated >= d;
      if (exhausted || j + 1 >= maxSteps || o.stop?.({ alphas, betas })) {
        w.dispose();
        break;
      }
      if (breakdown) {
        w.dispose();
        q = freshDirection(o.restartRng, null);
        if (!q) {
          // With a restart stream, no fresh direction means the space is used up.
          if (o.restartRng) exhausted = true;
          break;
        }
        restarts++;
        breakdown = false;
      } else {
        q = tf.tidy(() => tf.div(w, beta) as tf.Tensor1D);
        w.dispose();
      }
    }
  } catch (e) {
    q?.dispose();
    basis.dispose();
    throw e;
  }
  q?.dispose();
  return { alphas, betas, basis, steps: alphas.length, restarts, breakdown, exhausted };
}

export interface LanczosOptions {
  /** Steps (HVPs), >= 1; capped at the dimension. */
  steps: number;
  /** Start vector; default a Gaussian vector from `seed`. Not modified. */
  start?: ParamVector;
  seed?: number;
  /** Return the basis vectors (blocks laid out like the parameters; the caller disposes). */
  basis?: boolean;
}

export interface LanczosResult extends Tridiagonal {
  steps: number;
  breakdown: boolean;
  hvps: number;
  seed: number;
  basis?: Tensor[][];
}

/** The Lanczos process from one start vector: T (alphas, betas) and optionally the basis Q. */
export function lanczos(op: HvpOperator, opts: LanczosOptions): LanczosResult {
  const where = 'hessian';
  const steps = integerAtLeast(where, 'steps', opts.steps, 1);
  const seed = seedOf(where, opts.seed ?? 0);
  if (opts.start && pv.sizeOf(opts.start) !== op.dimension) {
    throw new UsageError(`${where}: the start vector has ${pv.sizeOf(opts.start)} values, the operator ${op.dimension}`);
  }
  const start = opts.start ? toFlat(opts.start) : randomUnit(op.dimension, createRng(seed));
  const before = op.hvps;
  try {
    const r = lanczosProcess(op, { steps, start, where });
    const out: LanczosResult = { alphas: r.alphas, betas: r.betas, steps: r.steps, breakdown: r.breakdown, hvps: op.hvps - before, seed };
    if (opts.basis) {
      out.basis = [];
      for (let i = 0; i < r.basis.size; i++) {
        const row = r.basis.row(i);
        out.basis.push(toBlocks(row, op.shapes));
        row.dispose();
      }
    }
    r.basis.dispose();
    return out;
  } finally {
    start.dispose();
  }
}
