/**
 * The k largest (or most negative) eigenpairs by Lanczos with full re-orthogonalisation.
 *
 * The Krylov space grows one HVP at a time until the k wanted Ritz pairs pass
 * ||H y - theta y|| <= tol |theta|, the residual read off T for free (|beta_m s_m|) and
 * confirmed at the end by one explicit HVP per pair (both are reported). Each eigenvalue
 * also gets an error bound (eigenvalueErrorBound: the residual, or residual^2 / gap where the
 * gap is known, plus float32 rounding), and it has converged when that bound is at most
 * tol |lambda|: --tol bounds the relative error of the eigenvalue. (The explicit float32
 * residual stalls near 1e-6 ||H||; the eigenvalue's error, about residual^2 / gap, is far
 * smaller, so a residual test would call accurate eigenvalues unconverged.)
 *
 * A single Krylov space holds one vector per distinct eigenvalue that its start vector
 * sees, so a repeated eigenvalue shows up once. With `verify` (default for k > 1) a new
 * run starts from a random vector orthogonal to the eigenvectors found; its extreme Ritz
 * value is the extreme eigenvalue of H on the rest of the space. If that beats the k-th
 * eigenvalue found it is added (a missed copy) and another run follows; else the top k
 * are certain. For k = 1 a copy cannot change the answer, so no run is spent on it.
 */
import { tf, type Tensor } from '../engine/tf.ts';
import { createRng, normalArray, DEFAULT_SEED } from '../engine/rng.ts';
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
  seed: DEFAULT_SEED,
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

/**
 * The error bound of a Ritz value theta with residual r = ||H y - theta y|| (y a unit vector,
 * H symmetric): some eigenvalue lies within r of theta (the residual bound), and within
 * r^2 / gap when the rest of the spectrum is at least `gap` away from theta (Kato-Temple).
 * The gap is estimated from the neighbouring Ritz values, each less its own residual (null:
 * unknown). Plus the float32 rounding of the products themselves, ROUNDING * scale (scale: the
 * largest |Ritz value| seen, a lower estimate of ||H||), which no number of steps removes.
 */
export function eigenvalueErrorBound(residual: number, gap: number | null, scale: number): number {
  const kato = gap !== null && gap > 0 ? (residual * residual) / gap : Infinity;
  return Math.min(residual, kato) + ROUNDING * scale;
}

/** Relative rounding of a float32 Hessian-vector product, as an eigenvalue error (a few units of float32's 2^-24). */
export const ROUNDING = 4 * 2 ** -24;

/** The gap of Ritz value `value` to the others (each less its residual), or null when none is apart from it. */
function gapOf(value: number, others: readonly { value: number; residual: number }[]): number | null {
  let gap = Infinity;
  for (const o of others) gap = Math.min(gap, Math.abs(o.value - value) - o.residual);
  return Number.isFinite(gap) && gap > 0 ? gap : null;
}

interface Pair {
  value: number;
  ritzResidual: number;
  residual: number;
  /** Distance to the rest of the spectrum as seen by the run (see gapOf). */
  gap: number | null;
  /** Largest |Ritz value| of its run. */
  scale: number;
  /** Cheap residual passed (or the space was exhausted). */
  cheapOk: boolean;
  vector: tf.Tensor1D;
}

export function lanczosEigenpairs(op: HvpOperator, opts: LanczosEigenOptions = {}): EigenResult {
  const where = 'hessian';
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
        const ritzAll = r.values.map((value, j) => ({ value, residual: ritzResidual(run, r.vectors[j]!) }));
        const scale = Math.max(0, ...r.values.map(Math.abs), ...found.map((p) => Math.abs(p.value)));
        for (let i = 0; i < count; i++) {
          const idx = sign > 0 ? i : m - 1 - i;
          const value = r.values[idx]!;
          const rr = ritzAll[idx]!.residual;
          const cheapOk = exact || passes(value, rr);
          if (!first && !cheapOk) continue;
          const others = [...ritzAll.filter((_, j) => j !== idx), ...found.map((p) => ({ value: p.value, residual: p.ritzResidual }))];
          picked.push({ value, ritzResidual: rr, residual: NaN, gap: gapOf(value, others), scale, cheapOk, vector: run.basis.combine(r.vectors[idx]!) });
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
    // The gap to the other eigenvalues found, too (a later run may have found a closer one).
    for (const p of chosen) {
      const others = [...found, ...unconverged].filter((o) => o !== p).map((o) => ({ value: o.value, residual: Number.isNaN(o.residual) ? o.ritzResidual : o.residual }));
      const g = gapOf(p.value, others);
      if (g !== null) p.gap = p.gap === null ? g : Math.min(p.gap, g);
    }
    const scale = Math.max(0, ...chosen.map((p) => p.scale));
    const errorBounds = chosen.map((p) => eigenvalueErrorBound(p.residual, p.gap, scale));
    // Converged: the eigenvalue is as accurate as asked (error bound <= tol |lambda|).
    const convergedEach = chosen.map((p, i) => errorBounds[i]! <= tol * Math.abs(p.value));
    const result: EigenResult = {
      solver: Solver.lanczos,
      which,
      eigenvalues: chosen.map((p) => p.value),
      residuals: chosen.map((p) => p.residual),
      ritzResiduals: chosen.map((p) => p.ritzResidual),
      errorBounds,
      gaps: chosen.map((p) => p.gap),
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
