/**
 * The Lanczos process and its Ritz helper, against their defining invariants:
 * Q'Q = I and Q'HQ = T (float32 vectors: 2e-6), the Ritz residual |beta_m s_m| equals
 * ||H y - theta y|| computed with an explicit HVP, ritz() equals ml-matrix on dense T,
 * and an invariant Krylov space (breakdown) yields the exact distinct eigenvalues.
 */
import test from 'ava';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { tf } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { hvpOperator } from '../../src/hessian/HvpOperator.ts';
import { lanczos, ritz, ritzResidual } from '../../src/hessian/lanczos.ts';
import { UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { assertNoLeak } from './hessianFixtures.ts';

test.before(async () => {
  await useBackend('cpu');
});

const spectrum = (d: number) => Array.from({ length: d }, (_, i) => 5 * Math.exp(-i / 6) - 0.4 * (i % 3));

test('ritz: values descending and vectors equal ml-matrix on the dense tridiagonal', (t) => {
  const rng = createRng(2);
  const m = 9;
  const alphas = Array.from({ length: m }, () => rng.normal());
  const betas = Array.from({ length: m }, () => Math.abs(rng.normal()));
  const r = ritz({ alphas, betas });
  const T = Matrix.zeros(m, m);
  for (let i = 0; i < m; i++) {
    T.set(i, i, alphas[i]!);
    if (i + 1 < m) T.set(i, i + 1, betas[i]!), T.set(i + 1, i, betas[i]!);
  }
  const ref = new EigenvalueDecomposition(T, { assumeSymmetric: true }).realEigenvalues.sort((a, b) => b - a);
  r.values.forEach((v, i) => t.true(Math.abs(v - ref[i]!) < 1e-12));
  for (let i = 1; i < m; i++) t.true(r.values[i - 1]! >= r.values[i]!);
  // T s = theta s, ||s|| = 1
  r.vectors.forEach((s, i) => {
    const Ts = T.mmul(Matrix.columnVector(s)).getColumn(0);
    Ts.forEach((x, j) => t.true(Math.abs(x - r.values[i]! * s[j]!) < 1e-12));
    t.true(Math.abs(s.reduce((a, x) => a + x * x, 0) - 1) < 1e-12);
  });
  t.deepEqual(ritz({ alphas: [3], betas: [1] }), { values: [3], vectors: [[1]] });
});

test('lanczos: the basis is orthonormal and Q\'HQ = T (float32: 2e-6 of ||H||)', (t) => {
  const d = 40;
  const q = createQuadraticObjective({ eigenvalues: spectrum(d), seed: 4 });
  const op = hvpOperator(q);
  const m = 15;
  const r = lanczos(op, { steps: m, seed: 9, basis: true });
  t.is(r.steps, m);
  t.is(r.hvps, m);
  t.is(r.alphas.length, m);
  const Q = r.basis!.map((b) => Array.from(pv.flatten(b)));
  const H = q.hessian;
  const normH = 5.4;
  for (let i = 0; i < m; i++) {
    const hqi = Array.from({ length: d }, (_, a) => Q[i]!.reduce((s, x, b) => s + H[a * d + b]! * x, 0));
    for (let j = 0; j < m; j++) {
      const qq = Q[i]!.reduce((s, x, a) => s + x * Q[j]![a]!, 0);
      t.true(Math.abs(qq - (i === j ? 1 : 0)) < 2e-6, `Q'Q[${i}][${j}] = ${qq}`);
      const qhq = Q[j]!.reduce((s, x, a) => s + x * hqi[a]!, 0);
      const tij = i === j ? r.alphas[i]! : Math.abs(i - j) === 1 ? r.betas[Math.min(i, j)]! : 0;
      t.true(Math.abs(qhq - tij) < 2e-6 * normH, `Q'HQ[${i}][${j}] = ${qhq}, T = ${tij}`);
    }
  }
  r.basis!.forEach((b) => pv.dispose(b));
});

test('lanczos: |beta_m s_m| equals the explicit residual ||H y - theta y|| of each Ritz pair', (t) => {
  const d = 60;
  const q = createQuadraticObjective({ eigenvalues: spectrum(d), seed: 5 });
  const op = hvpOperator(q);
  const r = lanczos(op, { steps: 8, seed: 1, basis: true });
  const pairs = ritz(r);
  for (const [i, s] of pairs.vectors.entries()) {
    const y = pv.linearCombination(s, r.basis!);
    const hy = q.hvp(q.params, y);
    const res = pv.axpy(-pairs.values[i]!, y, hy);
    const explicit = pv.norm(res);
    const cheap = ritzResidual(r, s);
    t.true(Math.abs(explicit - cheap) < 1e-5 * 5 + 1e-3 * cheap, `pair ${i}: explicit ${explicit}, |beta s_m| ${cheap}`);
    pv.dispose(y, hy, res);
  }
  r.basis!.forEach((b) => pv.dispose(b));
});

test('lanczos: an invariant Krylov space (4 distinct eigenvalues, d = 12) breaks down at step 4 with those eigenvalues exactly', (t) => {
  const eig = [3, 3, 3, 1, 1, 1, -2, -2, -2, 0.5, 0.5, 0.5];
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 6 });
  const r = lanczos(hvpOperator(q), { steps: 12, seed: 2 });
  t.true(r.breakdown);
  t.is(r.steps, 4);
  t.is(r.hvps, 4);
  const values = ritz(r).values;
  [3, 1, 0.5, -2].forEach((v, i) => t.true(Math.abs(values[i]! - v) < 1e-6 * 3, `${values[i]} vs ${v}`));
});

test('lanczos: the start vector is used as given (not modified) and steps are capped at the dimension', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [4, 3, 2, 1, 0.5], seed: 1 });
  const start = pv.unflatten([1, 2, 3, 4, 5], q.shapes);
  const copy = pv.flatten(start).slice();
  const r = lanczos(hvpOperator(q), { steps: 50, start });
  t.is(r.steps, 5);
  t.deepEqual(Array.from(pv.flatten(start)), Array.from(copy));
  pv.dispose(start);
});

test('lanczos: rejects bad arguments with messages that name the option and value', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [1, 2] });
  const op = hvpOperator(q);
  t.throws(() => lanczos(op, { steps: 0 }), { instanceOf: UsageError, message: 'hessian: --steps must be an integer >= 1, got 0' });
  t.throws(() => lanczos(op, { steps: 3, seed: -1 }), { instanceOf: UsageError, message: /hessian: --seed must be an integer/ });
  const wrong = [tf.zeros([3])];
  t.throws(() => lanczos(op, { steps: 3, start: wrong }), { instanceOf: UsageError, message: /start vector has 3 values, the operator 2/ });
  pv.dispose(wrong);
});

test('lanczos: leaves no tensors behind', (t) => {
  const q = createQuadraticObjective({ eigenvalues: spectrum(30), seed: 2 });
  const op = hvpOperator(q);
  assertNoLeak(t, 'lanczos', () => {
    const r = lanczos(op, { steps: 10, seed: 3, basis: true });
    r.basis!.forEach((b) => pv.dispose(b));
  });
  assertNoLeak(t, 'lanczos with breakdown', () => void lanczos(op, { steps: 40 }));
});
