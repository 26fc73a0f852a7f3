import { Matrix, EigenvalueDecomposition, solve } from 'ml-matrix';
import { UsageError } from '../errors.ts';
import { denseObjective } from './denseObjective.ts';
import type { Objective } from './Objective.ts';

export interface RegressionData {
  /** Features, row-major [n, d]. */
  x: ArrayLike<number>;
  n: number;
  d: number;
  /** Targets, row-major [n, k]. */
  y: ArrayLike<number>;
  k: number;
}

export interface LinearRegressionObjective extends Objective {
  /** Closed-form Hessian eigenvalues, descending: those of (2/(nk)) A'A, A = [X 1], each k times. */
  readonly eigenvalues: readonly number[];
  /** The least-squares solution [W (d x k, row-major); b (k)] in float64. */
  readonly optimum: Float64Array;
}

/** A = [X 1] as an ml-matrix. */
function designMatrix(data: RegressionData): Matrix {
  const A = new Matrix(data.n, data.d + 1);
  for (let i = 0; i < data.n; i++) {
    for (let j = 0; j < data.d; j++) A.set(i, j, data.x[i * data.d + j]!);
    A.set(i, data.d, 1);
  }
  return A;
}

/**
 * MSE (mean over n k elements) of y ~ X W + b: a model objective with a closed-form
 * optimum and Hessian (2/(n k)) [X 1]'[X 1] per output. Parameters: W [d, k], b [k],
 * the layout of a Dense layer, built at the least-squares optimum unless `at` is given.
 */
export function createLinearRegressionObjective(data: RegressionData, at?: ArrayLike<number>): LinearRegressionObjective {
  const { n, d, k } = data;
  if (n < 1 || d < 1 || k < 1) throw new UsageError(`linear-regression: need n, d, k >= 1, got ${n}, ${d}, ${k}`);
  if (data.x.length !== n * d || data.y.length !== n * k) {
    throw new UsageError(`linear-regression: x must hold n*d = ${n * d} and y n*k = ${n * k} values, got ${data.x.length} and ${data.y.length}`);
  }
  const A = designMatrix(data);
  const AtA = A.transpose().mmul(A);
  const Y = new Matrix(n, k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) Y.set(i, j, data.y[i * k + j]!);
  const theta = solve(AtA, A.transpose().mmul(Y)); // (d+1) x k
  const optimum = new Float64Array(d * k + k);
  for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) optimum[j * k + c] = theta.get(j, c);
  for (let c = 0; c < k; c++) optimum[d * k + c] = theta.get(d, c);
  const scale = 2 / (n * k);
  const eig = new EigenvalueDecomposition(AtA, { assumeSymmetric: true }).realEigenvalues.map((l) => l * scale);
  const eigenvalues = eig.flatMap((l) => new Array<number>(k).fill(l)).sort((a, b) => b - a);

  // Z = X W + 1 b'
  const predict = (w: Float64Array): Float64Array => {
    const z = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let s = w[d * k + c]!;
        for (let j = 0; j < d; j++) s += data.x[i * d + j]! * w[j * k + c]!;
        z[i * k + c] = s;
      }
    }
    return z;
  };
  // (X' R, 1' R) scaled: the adjoint of predict (bias excluded).
  const adjoint = (r: Float64Array): Float64Array => {
    const g = new Float64Array(d * k + k);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        const ri = r[i * k + c]!;
        for (let j = 0; j < d; j++) g[j * k + c] += data.x[i * d + j]! * ri;
        g[d * k + c] += ri;
      }
    }
    return g.map((v) => v * scale);
  };
  const base = denseObjective({
    kind: 'linear-regression',
    names: ['kernel', 'bias'],
    shapes: [
      [d, k],
      [k],
    ],
    numSamples: n,
    params: at ? Float64Array.from(at) : optimum,
    value: (w) => {
      const z = predict(w);
      let s = 0;
      for (let i = 0; i < n * k; i++) s += (z[i]! - data.y[i]!) ** 2;
      return s / (n * k);
    },
    gradient: (w) => {
      const z = predict(w);
      for (let i = 0; i < n * k; i++) z[i] = z[i]! - data.y[i]!;
      return adjoint(z);
    },
    hessianTimes: (_w, v) => adjoint(predict(v)),
  });
  return Object.assign(base, { eigenvalues, optimum });
}
