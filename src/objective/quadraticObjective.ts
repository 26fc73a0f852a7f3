import { Matrix, QrDecomposition } from 'ml-matrix';
import { createRng } from '../engine/rng.ts';
import { UsageError } from '../errors.ts';
import { denseObjective } from './denseObjective.ts';
import type { Objective } from './Objective.ts';

export interface QuadraticSpec {
  /** The spectrum; the Hessian is Q diag(eigenvalues) Q' with Q a seeded random rotation. */
  eigenvalues?: readonly number[];
  /** Or the Hessian itself (symmetric). */
  hessian?: readonly (readonly number[])[];
  /** Seed of the rotation Q (default 0). */
  seed?: number;
  /** The critical point c (default 0). */
  center?: readonly number[];
  /** L(c) (default 0). */
  baseLoss?: number;
  /** Parameter blocks (default one block [d]). */
  shapes?: number[][];
}

export interface QuadraticObjective extends Objective {
  /** The Hessian in float64, row-major d x d. */
  readonly hessian: Float64Array;
  /** Eigenvalues, descending, and matching unit eigenvectors (when built from a spectrum). */
  readonly eigenvalues: readonly number[] | null;
  readonly eigenvectors: readonly Float64Array[] | null;
}

/** A d x d rotation from the QR factorisation of a seeded Gaussian matrix. */
export function randomRotation(d: number, seed: number): Matrix {
  const rng = createRng(seed);
  const g = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) g.set(i, j, rng.normal());
  return new QrDecomposition(g).orthogonalMatrix;
}

/**
 * L(w) = L0 + 1/2 (w - c)' H (w - c): the closed-form fixture every Hessian and sharpness
 * measure is tested against (negative and repeated eigenvalues allowed).
 */
export function createQuadraticObjective(spec: QuadraticSpec): QuadraticObjective {
  let H: Float64Array;
  let d: number;
  let eigenvalues: number[] | null = null;
  let eigenvectors: Float64Array[] | null = null;
  if (spec.eigenvalues) {
    d = spec.eigenvalues.length;
    if (d === 0) throw new UsageError('quadratic: eigenvalues must not be empty');
    const Q = randomRotation(d, spec.seed ?? 0);
    const order = spec.eigenvalues.map((l, i) => [l, i] as const).sort((a, b) => b[0] - a[0]);
    eigenvalues = order.map(([l]) => l);
    eigenvectors = order.map(([, i]) => Float64Array.from(Q.getColumn(i)));
    H = new Float64Array(d * d);
    for (let r = 0; r < d; r++) {
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += Q.get(r, k) * spec.eigenvalues[k]! * Q.get(c, k);
        H[r * d + c] = s;
      }
    }
    // exact symmetry despite rounding
    for (let r = 0; r < d; r++) for (let c = 0; c < r; c++) H[r * d + c] = H[c * d + r]!;
  } else if (spec.hessian) {
    d = spec.hessian.length;
    H = new Float64Array(d * d);
    spec.hessian.forEach((row, r) => {
      if (row.length !== d) throw new UsageError(`quadratic: hessian row ${r} has ${row.length} entries, expected ${d}`);
      row.forEach((x, c) => (H[r * d + c] = x));
    });
    for (let r = 0; r < d; r++) {
      for (let c = 0; c < r; c++) {
        if (Math.abs(H[r * d + c]! - H[c * d + r]!) > 1e-12 * (1 + Math.abs(H[r * d + c]!))) {
          throw new UsageError(`quadratic: hessian is not symmetric at (${r},${c})`);
        }
      }
    }
  } else {
    throw new UsageError('quadratic: give eigenvalues or hessian');
  }
  const c = Float64Array.from(spec.center ?? new Array<number>(d).fill(0));
  if (c.length !== d) throw new UsageError(`quadratic: center has ${c.length} values, expected ${d}`);
  const L0 = spec.baseLoss ?? 0;
  const shapes = spec.shapes ?? [[d]];
  const times = (v: Float64Array): Float64Array => {
    const out = new Float64Array(d);
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += H[r * d + k]! * v[k]!;
      out[r] = s;
    }
    return out;
  };
  const delta = (w: Float64Array) => w.map((x, i) => x - c[i]!);
  const base = denseObjective({
    kind: 'quadratic',
    names: shapes.map((_, i) => `block${i}`),
    shapes,
    numSamples: 0,
    params: c,
    value: (w) => {
      const e = delta(w);
      const He = times(e);
      let s = 0;
      for (let i = 0; i < d; i++) s += e[i]! * He[i]!;
      return L0 + 0.5 * s;
    },
    gradient: (w) => times(delta(w)),
    hessianTimes: (_w, v) => times(v),
  });
  return Object.assign(base, { hessian: H, eigenvalues, eigenvectors });
}
