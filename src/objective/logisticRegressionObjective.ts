import { Matrix, pseudoInverse } from 'ml-matrix';
import { UsageError } from '../errors.ts';
import { denseObjective } from './denseObjective.ts';
import type { Objective } from './Objective.ts';

export interface ClassificationData {
  /** Features, row-major [n, d]. */
  x: ArrayLike<number>;
  n: number;
  d: number;
  /** Class ids in [0, k). */
  labels: ArrayLike<number>;
  k: number;
}

export interface LogisticRegressionObjective extends Objective {
  /** The full Hessian at the build point, float64 row-major, from the closed form. */
  hessianAt(w: ArrayLike<number>): Float64Array;
  /** The point the objective was built at, float64. */
  readonly point: Float64Array;
  /** Newton iterations used to reach the optimum (0 when `at` was given). */
  readonly newtonIterations: number;
}

/**
 * Multinomial logistic regression: mean over samples of lse(z_i) - z_i[y_i] with
 * z = X W + b, plus l2 ||[W; b]||^2. Closed-form gradient (1/n) A'(P - Y) + 2 l2 w and
 * Hessian (1/n) sum_i A_i'(diag p_i - p_i p_i')A_i + 2 l2 I. Built at the optimum (Newton
 * in float64 with a pseudo-inverse, since softmax's shift symmetry makes H singular when
 * l2 = 0) unless `at` is given.
 */
export function createLogisticRegressionObjective(
  data: ClassificationData,
  opts: { l2?: number; at?: ArrayLike<number>; maxNewton?: number } = {},
): LogisticRegressionObjective {
  const { n, d, k } = data;
  const l2 = opts.l2 ?? 0;
  if (n < 1 || d < 1 || k < 2) throw new UsageError(`logistic-regression: need n, d >= 1 and k >= 2, got ${n}, ${d}, ${k}`);
  for (let i = 0; i < n; i++) {
    const y = data.labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= k) throw new UsageError(`logistic-regression: label ${i} is ${y}, outside [0, ${k})`);
  }
  const dim = d * k + k;
  const probs = (w: Float64Array): Float64Array => {
    const p = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let c = 0; c < k; c++) {
        let z = w[d * k + c]!;
        for (let j = 0; j < d; j++) z += data.x[i * d + j]! * w[j * k + c]!;
        p[i * k + c] = z;
        m = Math.max(m, z);
      }
      let s = 0;
      for (let c = 0; c < k; c++) s += (p[i * k + c] = Math.exp(p[i * k + c]! - m));
      for (let c = 0; c < k; c++) p[i * k + c] = p[i * k + c]! / s;
    }
    return p;
  };
  const value = (w: Float64Array): number => {
    const p = probs(w);
    let s = 0;
    for (let i = 0; i < n; i++) s -= Math.log(p[i * k + data.labels[i]!]!);
    let r = 0;
    for (let i = 0; i < dim; i++) r += w[i]! * w[i]!;
    return s / n + l2 * r;
  };
  const adjoint = (r: Float64Array, w: Float64Array | null, v: Float64Array | null): Float64Array => {
    const g = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        const ri = r[i * k + c]! / n;
        for (let j = 0; j < d; j++) g[j * k + c] += data.x[i * d + j]! * ri;
        g[d * k + c] += ri;
      }
    }
    const extra = w ?? v;
    if (l2 > 0 && extra) for (let i = 0; i < dim; i++) g[i] += 2 * l2 * extra[i]!;
    return g;
  };
  const gradient = (w: Float64Array): Float64Array => {
    const p = probs(w);
    for (let i = 0; i < n; i++) p[i * k + data.labels[i]!] -= 1;
    return adjoint(p, w, null);
  };
  const hessianTimes = (w: Float64Array, v: Float64Array): Float64Array => {
    const p = probs(w);
    const out = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const dz = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        let s = v[d * k + c]!;
        for (let j = 0; j < d; j++) s += data.x[i * d + j]! * v[j * k + c]!;
        dz[c] = s;
      }
      let pdz = 0;
      for (let c = 0; c < k; c++) pdz += p[i * k + c]! * dz[c]!;
      for (let c = 0; c < k; c++) out[i * k + c] = p[i * k + c]! * (dz[c]! - pdz);
    }
    return adjoint(out, null, v);
  };
  const hessianAt = (w: ArrayLike<number>): Float64Array => {
    const at = Float64Array.from(w);
    const H = new Float64Array(dim * dim);
    for (let j = 0; j < dim; j++) {
      const e = new Float64Array(dim);
      e[j] = 1;
      H.set(hessianTimes(at, e), j * dim);
    }
    return H;
  };

  let point: Float64Array;
  let newtonIterations = 0;
  if (opts.at) {
    point = Float64Array.from(opts.at);
    if (point.length !== dim) throw new UsageError(`logistic-regression: at has ${point.length} values, expected ${dim}`);
  } else {
    point = new Float64Array(dim);
    for (let it = 0; it < (opts.maxNewton ?? 100); it++) {
      const g = gradient(point);
      const gnorm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
      if (gnorm < 1e-13) break;
      const step = pseudoInverse(new Matrix([...Array(dim)].map((_, r) => Array.from(hessianAt(point).subarray(r * dim, (r + 1) * dim))))).mmul(
        Matrix.columnVector(Array.from(g)),
      );
      // backtracking keeps Newton monotone far from the optimum
      let t = 1;
      const f0 = value(point);
      let next = point.map((x, i) => x - t * step.get(i, 0));
      while (value(next) > f0 && t > 1e-8) {
        t /= 2;
        next = point.map((x, i) => x - t * step.get(i, 0));
      }
      point = next;
      newtonIterations = it + 1;
    }
  }
  const accuracy = (w: Float64Array): number => {
    const p = probs(w);
    let hits = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
      if (best === data.labels[i]) hits++;
    }
    return hits / n;
  };
  const base = denseObjective({
    kind: 'logistic-regression',
    names: ['kernel', 'bias'],
    shapes: [
      [d, k],
      [k],
    ],
    numSamples: n,
    params: point,
    value,
    gradient,
    hessianTimes,
    accuracy,
  });
  return Object.assign(base, { hessianAt, point, newtonIterations });
}
