/**
 * Small generated data sets with known structure, from a seeded generator
 * (pure-rand xoroshiro128+; same seed, same numbers everywhere):
 *
 * - `synthetic:blobs[:N]`: 2-D features, 3 classes; class c = i mod 3 is an isotropic
 *   Gaussian (std BLOBS_STD) around BLOBS_CENTERS[c]. Default N = 300.
 * - `synthetic:linreg[:N]`: X [N, 5] standard normal, y = X w* + b* + noise with
 *   w* = LINREG_W_STAR, b* = LINREG_B_STAR, noise std LINREG_NOISE_STD. Default N = 200.
 *   `linregLeastSquares` gives the exact minimiser of the mean squared error on the sample.
 *
 * The seed comes from the spec (`:seed=S`), else the options, else 0; the returned spec
 * always records N and the seed (e.g. 'synthetic:blobs:300:seed=0').
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { InputError } from '../errors.ts';
import { formatDataSpec, type SyntheticName } from './dataSpec.ts';
import { makeDataset, type Dataset } from './makeDataset.ts';

export const BLOBS_CENTERS: readonly (readonly [number, number])[] = [
  [0, 2],
  [-Math.sqrt(3), -1],
  [Math.sqrt(3), -1],
];
export const BLOBS_STD = 0.5;
export const LINREG_W_STAR: readonly number[] = [1, -2, 0.5, 3, -1];
export const LINREG_B_STAR = 0.5;
export const LINREG_NOISE_STD = 0.01;

export const SYNTHETIC_DEFAULT_N: Record<SyntheticName, number> = { blobs: 300, linreg: 200 };
/** Upper bound on N, so a typo cannot ask for gigabytes. */
export const SYNTHETIC_MAX_N = 1_000_000;

function normalSource(seed: number): () => number {
  const g = xoroshiro128plus(seed | 0);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniformFloat64(g);
    const v = uniformFloat64(g);
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Generates `synthetic:NAME[:N]` with the given seed (integer in [0, 2^32 - 1]). */
export function generateSynthetic(name: SyntheticName, n?: number, seed = 0): Dataset {
  const count = n ?? SYNTHETIC_DEFAULT_N[name];
  const spec = formatDataSpec({ kind: 'synthetic', name, n: count, seed });
  if (!Number.isSafeInteger(count) || count < 1) throw new InputError(`data: ${spec}: N must be an integer >= 1, got ${count}`);
  if (count > SYNTHETIC_MAX_N) throw new InputError(`data: ${spec} asks for ${count} samples; synthetic sets have at most ${SYNTHETIC_MAX_N}`);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InputError(`data: synthetic seed must be an integer in [0, 4294967295], got ${seed}`);
  }
  const normal = normalSource(seed);
  if (name === 'blobs') {
    const x = new Float32Array(count * 2);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const c = i % 3;
      labels[i] = c;
      x[2 * i] = BLOBS_CENTERS[c]![0] + BLOBS_STD * normal();
      x[2 * i + 1] = BLOBS_CENTERS[c]![1] + BLOBS_STD * normal();
    }
    return makeDataset(spec, [2], x, { kind: 'classes', labels, numClasses: 3 });
  }
  const d = LINREG_W_STAR.length;
  const x = new Float32Array(count * d);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let y = LINREG_B_STAR;
    for (let j = 0; j < d; j++) {
      const v = Math.fround(normal());
      x[i * d + j] = v;
      y += v * LINREG_W_STAR[j]!;
    }
    values[i] = y + LINREG_NOISE_STD * normal();
  }
  return makeDataset(spec, [d], x, { kind: 'regression', values, dim: 1 });
}

export interface LeastSquares {
  w: number[];
  b: number;
  /** Mean squared error at (w, b): the minimum of the MSE loss of a linear model on this data. */
  mse: number;
}

/**
 * The exact least-squares fit y ~ X w + b on a regression data set with dim 1 (normal
 * equations in float64, Gaussian elimination with partial pivoting): the known optimum of
 * a Dense(1) model under the `mse` loss.
 */
export function linregLeastSquares(data: Dataset): LeastSquares {
  if (data.targets.kind !== 'regression' || data.targets.dim !== 1 || data.sampleShape.length !== 1) {
    throw new InputError(`data: ${data.spec} is not a regression set with [N, d] features and one target`);
  }
  const d = data.sampleShape[0]!;
  const p = d + 1;
  const A = Array.from({ length: p }, () => new Float64Array(p + 1)); // [X 1]'[X 1] | [X 1]'y
  const row = new Float64Array(p);
  const ys = data.targets.values;
  for (let i = 0; i < data.n; i++) {
    for (let j = 0; j < d; j++) row[j] = data.x[i * d + j]!;
    row[d] = 1;
    const y = ys[i]!;
    for (let a = 0; a < p; a++) {
      const ra = row[a]!;
      const Aa = A[a]!;
      for (let b = 0; b < p; b++) Aa[b] = Aa[b]! + ra * row[b]!;
      Aa[p] = Aa[p]! + ra * y;
    }
  }
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    if (Math.abs(A[piv]![c]!) < 1e-12) throw new InputError(`data: ${data.spec}: the least-squares problem is singular`);
    [A[c], A[piv]] = [A[piv]!, A[c]!];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      if (f === 0) continue;
      for (let k = c; k <= p; k++) A[r]![k] = A[r]![k]! - f * A[c]![k]!;
    }
  }
  const sol = A.map((r, i) => r[p]! / r[i]!);
  const w = sol.slice(0, d);
  const b = sol[d]!;
  let sse = 0;
  for (let i = 0; i < data.n; i++) {
    let pred = b;
    for (let j = 0; j < d; j++) pred += w[j]! * data.x[i * d + j]!;
    sse += (pred - ys[i]!) ** 2;
  }
  return { w, b, mse: sse / data.n };
}
