/**
 * The closed-form objectives against independent computations: dense Hessians built
 * by hand (float64), eigen-decompositions by ml-matrix, and float64 finite differences.
 * Tolerances: float32 round trip of outputs, about 1e-6 relative.
 */
import test from 'ava';
import { Matrix, EigenvalueDecomposition } from 'ml-matrix';
import { tf } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { createLinearRegressionObjective } from '../../src/objective/linearRegressionObjective.ts';
import { createLogisticRegressionObjective } from '../../src/objective/logisticRegressionObjective.ts';
import type { Objective } from '../../src/objective/Objective.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

const vec = (xs: number[], o: Objective) => pv.unflatten(xs, o.shapes);
const close = (a: number, b: number, rel = 1e-5) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

function denseFromHvps(o: Objective): number[][] {
  const cols: number[][] = [];
  for (let j = 0; j < o.dimension; j++) {
    const e = new Array<number>(o.dimension).fill(0);
    e[j] = 1;
    const ej = vec(e, o);
    const hv = o.hvp(o.params, ej);
    cols.push(Array.from(pv.flatten(hv)));
    pv.dispose(ej, hv);
  }
  return cols;
}

test('quadratic: eigenpairs satisfy H q = lambda q; gradient H(w - c); HVP Hv; loss value', (t) => {
  const eig = [5, 2, 2, 0.5, -1, -3];
  const c = [1, -1, 0.5, 0, 2, -0.5];
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 3, center: c, baseLoss: 0.25 });
  t.deepEqual(q.eigenvalues, [...eig].sort((a, b) => b - a));
  const d = eig.length;
  for (let i = 0; i < d; i++) {
    const v = q.eigenvectors![i]!;
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += q.hessian[r * d + k]! * v[k]!;
      t.true(Math.abs(s - q.eigenvalues![i]! * v[r]!) < 1e-12);
    }
  }
  const w = [0.3, 0.1, -0.2, 1, 1.5, 0];
  const e = w.map((x, i) => x - c[i]!);
  const He = e.map((_, r) => e.reduce((s, ek, k) => s + q.hessian[r * d + k]! * ek, 0));
  const wt = vec(w, q);
  const { value, grad } = q.grad(wt);
  // w is rounded to float32 on the way in: relative 1e-6
  t.true(close(value, 0.25 + 0.5 * e.reduce((s, x, i) => s + x * He[i]!, 0), 1e-6));
  pv.flatten(grad).forEach((g, i) => t.true(close(g, He[i]!, 1e-6)));
  t.true(close(q.loss(q.params), 0.25, 1e-12));
  t.deepEqual(q.cost, { lossEvaluations: 1, gradients: 1, hvps: 0 });
  pv.dispose(wt, grad);
});

test('linear regression: built at the least-squares optimum (zero gradient); Hessian (2/(nk)) A\'A per output; eigenvalues', (t) => {
  const rng = createRng(11);
  const n = 30;
  const d = 3;
  const k = 2;
  const x = Array.from({ length: n * d }, () => rng.normal());
  const y = Array.from({ length: n * k }, () => rng.normal());
  const o = createLinearRegressionObjective({ x, n, d, y, k });
  const { grad } = o.grad(o.params);
  t.true(pv.norm(grad) < 1e-5, `gradient at optimum ${pv.norm(grad)}`);
  // independent dense Hessian: parameters (W row-major [d,k], b [k])
  const A = new Matrix(n, d + 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) A.set(i, j, x[i * d + j]!);
    A.set(i, d, 1);
  }
  const AtA = A.transpose().mmul(A);
  const idx = (j: number, c: number) => (j < d ? j * k + c : d * k + c);
  const H = denseFromHvps(o);
  for (let j = 0; j <= d; j++)
    for (let c = 0; c < k; c++)
      for (let j2 = 0; j2 <= d; j2++)
        for (let c2 = 0; c2 < k; c2++) {
          const expected = c === c2 ? (2 / (n * k)) * AtA.get(j, j2) : 0;
          t.true(close(H[idx(j2, c2)]![idx(j, c)]!, expected, 1e-5));
        }
  const ev = new EigenvalueDecomposition(new Matrix(H), { assumeSymmetric: true }).realEigenvalues.sort((a, b) => b - a);
  ev.forEach((l, i) => t.true(close(l, o.eigenvalues[i]!, 1e-5), `${l} vs ${o.eigenvalues[i]}`));
  pv.dispose(grad);
  o.dispose();
});

test('logistic regression: Newton reaches the optimum; HVP equals float64 central differences of the gradient; H symmetric PSD', (t) => {
  const rng = createRng(5);
  const n = 40;
  const d = 2;
  const k = 3;
  const x = Array.from({ length: n * d }, () => rng.normal());
  const labels = Array.from({ length: n }, () => rng.int(0, k - 1));
  const o = createLogisticRegressionObjective({ x, n, d, labels, k }, { l2: 1e-3 });
  t.true(o.newtonIterations > 0);
  const { grad } = o.grad(o.params);
  t.true(pv.norm(grad) < 1e-5, `gradient at optimum ${pv.norm(grad)}`);
  // float64 FD via a second objective evaluated through its own closed-form gradient at shifted points
  const dim = o.dimension;
  const H = o.hessianAt(o.point);
  const eps = 1e-5;
  for (let j = 0; j < dim; j++) {
    const plus = createLogisticRegressionObjective({ x, n, d, labels, k }, { l2: 1e-3, at: o.point.map((v, i) => (i === j ? v + eps : v)) });
    const minus = createLogisticRegressionObjective({ x, n, d, labels, k }, { l2: 1e-3, at: o.point.map((v, i) => (i === j ? v - eps : v)) });
    const gp = plus.grad(plus.params).grad;
    const gm = minus.grad(minus.params).grad;
    const fp = pv.flatten(gp);
    const fm = pv.flatten(gm);
    for (let i = 0; i < dim; i++) t.true(Math.abs((fp[i]! - fm[i]!) / (2 * eps) - H[i * dim + j]!) < 2e-3, `H[${i},${j}]`);
    pv.dispose(gp, gm);
    plus.dispose();
    minus.dispose();
  }
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) t.true(Math.abs(H[i * dim + j]! - H[j * dim + i]!) < 1e-12);
  const ev = new EigenvalueDecomposition(new Matrix(Array.from({ length: dim }, (_, r) => Array.from(H.subarray(r * dim, (r + 1) * dim)))), { assumeSymmetric: true }).realEigenvalues;
  t.true(Math.min(...ev) >= 2e-3 - 1e-9, 'l2 makes H >= 2 l2 I');
  const acc = o.lossAndAccuracy(o.params).accuracy!;
  t.true(acc > 0 && acc <= 1);
  pv.dispose(grad);
  o.dispose();
  t.is(tf.memory().numTensors >= 0, true);
});
