/**
 * The k largest (or most negative) eigenpairs by Lanczos with full re-orthogonalisation.
 *
 * The Krylov space grows one HVP at a time until the k wanted Ritz pairs pass
 * ||H y - theta y|| <= tol |theta|, the residual read off T for free (|beta_m s_m|) and
 * confirmed at the end by one explicit HVP per pair (both are reported).
 *
 * A single Krylov space holds one vector per distinct eigenvalue that its start vector
 * sees, so a repeated eigenvalue shows up once. With `verify` (default for k > 1) a new
 * run starts from a random vector orthogonal to the eigenvectors found; its extreme Ritz
 * value is the extreme eigenvalue of H on the rest of the space. If that beats the k-th
 * eigenvalue found it is added (a missed copy) and another run follows; else the top k
 * are certain. For k = 1 a copy cannot change the answer, so no run is spent on it.
 */
import { tf, type Tensor } from '../engine/tf.ts';
import { createRng, normalArray } from '../engine/rng.ts';
import { UsageError } from '../errors.ts';
import { applyFlat, toBlocks, type HvpOperator } from './HvpOperator.ts';
import { OrthonormalBasis, normFlat } from './OrthonormalBasis.ts';
import { lanczosProcess, ritz, ritzResidual, type Tridiagonal } from './lanczos.ts';
import { Solver, Which, isWhich, type EigenResult } from './types.ts';
import { integerAtLeast, positiveNumber, seedOf, topKOf } from './validate.ts';

export const LANCZOS_DEFAULTS = {
  topK: 1,
  which: Which.largest,
  tol: 1e-3,
  /** Lanczos steps in all (every run), not per eigenvalue. */
  maxIter: 200,
  seed: 0,
} as const;

export interface LanczosEigenOptions {
  topK?: number;
  which?: Which;
  /** Converged when ||H v - lambda v|| <= tol |lambda|. Below ~1e-6 float32 rounding decides. */
  tol?: number;
  /** Most Lanczos steps over all runs; must be >= topK. */
  maxIter?: number;
  seed?: number;
  /** Look for repeated eigenvalues a single run cannot see (default: topK > 1). */
  verify?: boolean;
  /** Return the unit eigenvectors (the caller disposes them). */
  eigenvectors?: boolean;
}

interface Pair {
  value: number;
  ritzResidual: number;
  residual: number;
  /** Cheap residual passed (or the space was exhausted). */
  cheapOk: boolean;
  vector: tf.Tensor1D;
}

export function lanczosEigenpairs(op: HvpOperator, opts: LanczosEigenOptions = {}): EigenResult {
  const where = 'lanczosEigenpairs';
  const d = op.dimension;
  const k = topKOf(where, opts.topK ?? LANCZOS_DEFAULTS.topK, d);
  const which = opts.which ?? LANCZOS_DEFAULTS.which;
  if (!isWhich(which)) throw new UsageError(`${where}: which must be 'largest' or 'smallest', got ${String(which)}`);
  const tol = positiveNumber(where, 'tol', opts.tol ?? LANCZOS_DEFAULTS.tol);
  const maxIter = integerAtLeast(where, 'max-iter', opts.maxIter ?? LANCZOS_DEFAULTS.maxIter, 1);
  if (maxIter < k) throw new UsageError(`${where}: --max-iter must be at least --top-k (${k}) for the lanczos solver, got ${maxIter}`);
  const seed = seedOf(where, opts.seed ?? LANCZOS_DEFAULTS.seed);
  const verify = opts.verify ?? k > 1;

  // Work with sign * value so that "wanted" is always "largest".
  const sign = which === Which.largest ? 1 : -1;
  const rng = createRng(seed);
  const before = op.hvps;
  const locked = new OrthonormalBasis(d);
  const found: Pair[] = [];
  const unconverged: Pair[] = [];
  let steps = 0;
  let runs = 0;
  let verified = !verify;
  const passes = (value: number, res: number) => res <= tol * Math.abs(value);
  const kth = () => sign * found[Math.min(k, found.length) - 1]!.value;

  const confirm = (value: number, vector: tf.Tensor1D): number => {
    const hv = applyFlat(op, vector);
    const r = tf.tidy(() => tf.sub(hv, tf.mul(vector, value)) as tf.Tensor1D);
    const res = normFlat(r);
    tf.dispose([hv, r]);
    return res;
  };

  try {
    for (;;) {
      const first = runs === 0;
      const want = first ? k : 1;
      const budget = maxIter - steps;
      if (locked.size >= d) {
        verified = true;
        break;
      }
      if (budget < (first ? k : 1)) break;
      const runRng = rng.fork(runs);
      const start = tf.tensor1d(normalArray(runRng, d));
      const stop = (t: Tridiagonal): boolean => {
        if (t.alphas.length < want) return false;
        const r = ritz(t);
        const m = r.values.length;
        for (let i = 0; i < want; i++) {
          const idx = sign > 0 ? i : m - 1 - i;
          if (!passes(r.values[idx]!, ritzResidual(t, r.vectors[idx]!))) return false;
        }
        return true;
      };
      let run;
      try {
        run = lanczosProcess(op, { steps: budget, start, deflation: locked, restartRng: runRng, stop, where });
      } finally {
        start.dispose();
      }
      steps += run.steps;
      runs++;
      try {
        const r = ritz(run);
        const m = r.values.length;
        const exact = run.exhausted || run.breakdown;
        // The first run takes its k extreme pairs; a verification run all of its converged
        // pairs (all are exact when its space became invariant) in order from the extreme.
        const count = first ? Math.min(want, m) : m;
        const picked: Pair[] = [];
        for (let i = 0; i < count; i++) {
          const idx = sign > 0 ? i : m - 1 - i;
          const value = r.values[idx]!;
          const rr = ritzResidual(run, r.vectors[idx]!);
          const cheapOk = exact || passes(value, rr);
          if (!first && !cheapOk) continue;
          picked.push({ value, ritzResidual: rr, residual: NaN, cheapOk, vector: run.basis.combine(r.vectors[idx]!) });
        }
        if (first) {
          for (const p of picked) {
            if (p.cheapOk) {
              found.push(p);
              locked.push(p.vector);
            } else unconverged.push(p);
          }
          // The whole space spanned: nothing can have been missed.
          if (run.exhausted) verified = true;
          if (unconverged.length > 0 || found.length === 0 || verified) break;
        } else {
          // Without a converged extreme pair the budget ran out before the check could
          // finish: the top k stand, unverified.
          const extremeOk = m > 0 && (exact || passes(r.values[sign > 0 ? 0 : m - 1]!, ritzResidual(run, r.vectors[sign > 0 ? 0 : m - 1]!)));
          let added = 0;
          for (const p of picked) {
            // Within tolerance of the k-th value it is a copy that leaves the top k as they are.
            if (extremeOk && sign * p.value > kth() + tol * Math.abs(kth())) {
              found.push(p);
              locked.push(p.vector);
              found.sort((a, b) => sign * (b.value - a.value));
              added++;
            } else p.vector.dispose();
          }
          if (!extremeOk) break;
          if (added === 0 || run.exhausted) {
            verified = true;
            break;
          }
        }
      } finally {
        run.basis.dispose();
      }
    }

    // The k extreme values found, topped up with the best unconverged ones if the budget ran out.
    found.sort((a, b) => sign * (b.value - a.value));
    const chosen = found.slice(0, k);
    const spare = found.slice(k);
    unconverged.sort((a, b) => sign * (b.value - a.value));
    for (const p of unconverged) {
      if (chosen.length < k) chosen.push(p);
      else spare.push(p);
    }
    chosen.sort((a, b) => sign * (b.value - a.value));
    for (const p of chosen) p.residual = confirm(p.value, p.vector);
    const convergedEach = chosen.map((p) => p.cheapOk && passes(p.value, p.residual));
    const result: EigenResult = {
      solver: Solver.lanczos,
      which,
      eigenvalues: chosen.map((p) => p.value),
      residuals: chosen.map((p) => p.residual),
      ritzResiduals: chosen.map((p) => p.ritzResidual),
      convergedEach,
      converged: chosen.length === k && convergedEach.every(Boolean) && verified,
      iterations: steps,
      hvps: op.hvps - before,
      seed,
      tol,
      maxIter,
      restarts: Math.max(0, runs - 1),
      verified,
    };
    if (opts.eigenvectors) {
      result.eigenvectors = chosen.map((p) => toBlocks(p.vector, op.shapes) as Tensor[]);
    }
    for (const p of [...chosen, ...spare]) p.vector.dispose();
    return result;
  } catch (e) {
    for (const p of [...found, ...unconverged]) if (!p.vector.isDisposed) p.vector.dispose();
    throw e;
  } finally {
    locked.dispose();
  }
}
