/** Dense float64 helpers for checking sharpness measures on quadratic objectives. */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export function quadForm(H: Float64Array, d: number, e: ArrayLike<number>): number {
  let s = 0;
  for (let r = 0; r < d; r++) {
    let hr = 0;
    for (let c = 0; c < d; c++) hr += H[r * d + c]! * e[c]!;
    s += e[r]! * hr;
  }
  return s;
}

/** max of (1/2) e'He over the vertices e_i = +-b_i (the box max for PSD H). */
export function bruteForceVertexMax(H: Float64Array, d: number, b: readonly number[]): number {
  let best = -Infinity;
  const e = new Float64Array(d);
  for (let mask = 0; mask < 1 << d; mask++) {
    for (let i = 0; i < d; i++) e[i] = (mask >> i) & 1 ? b[i]! : -b[i]!;
    best = Math.max(best, 0.5 * quadForm(H, d, e));
  }
  return best;
}

/** Largest eigenvalue of diag(t) H diag(t). */
export function lambdaMaxScaled(H: Float64Array, d: number, t: readonly number[]): number {
  const m = new Matrix(d, d);
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) m.set(r, c, t[r]! * H[r * d + c]! * t[c]!);
  return Math.max(...new EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues);
}

export function trace(H: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += H[i * d + i]!;
  return s;
}

export function relClose(a: number, b: number, rel: number): boolean {
  return Number.isFinite(a) && Math.abs(a - b) <= rel * Math.abs(b);
}
