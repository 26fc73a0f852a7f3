/**
 * Top-k and bottom-k eigenpairs by Lanczos against closed forms: quadratics with known
 * spectra (separated, clustered, repeated, negative) and linear regression.
 *
 * Tolerances: eigenvalues to 1e-6 relative. The solver runs with tol = 1e-5: a Ritz value
 * with residual r is within r^2 / gap of an eigenvalue, far below 1e-6 here, so what is
 * left is float32 rounding of the vectors and HVPs, about 1e-7 ||H|| (so the eigenvalues
 * tested are within a factor 20 of ||H||). Explicit residuals ||Hv - lambda v|| are
 * checked against 1e-5 |lambda| for the same reason.
 */
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { createLinearRegressionObjective } from '../../src/objective/linearRegressionObjective.ts';
import { hvpOperator } from '../../src/hessian/HvpOperator.ts';
import { lanczosEigenpairs } from '../../src/hessian/lanczosEigenpairs.ts';
import { Which } from '../../src/hessian/types.ts';
import { UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { assertNoLeak, maxRelativeError } from './hessianFixtures.ts';

test.before(async () => {
  await useBackend('cpu');
});

/** A bulk of small eigenvalues in [-0.5, 1.5] plus the given outliers; d = 200. */
function withBulk(outliers: number[], d = 200, seed = 1): number[] {
  const rng = createRng(seed);
  const bulk = Array.from({ length: d - outliers.length }, () => -0.5 + 2 * rng.uniform());
  return [...outliers, ...bulk];
}

const CASES: { name: string; eig: number[]; k: number; which: Which }[] = [
  { name: 'separated, top-5', eig: withBulk([20, 17, 15, 12, 10, 8]), k: 5, which: Which.largest },
  { name: 'clustered (gaps 1e-2), top-4', eig: withBulk([10, 9.99, 9.98, 9.97, 6]), k: 4, which: Which.largest },
  { name: 'repeated (10 three times), top-4', eig: withBulk([10, 10, 10, 8, 7]), k: 4, which: Which.largest },
  { name: 'negative, bottom-3 (saddle)', eig: withBulk([12, 9, -8, -6, -5]), k: 3, which: Which.smallest },
  { name: 'repeated negative (-7 twice), bottom-3', eig: withBulk([9, -7, -7, -4]), k: 3, which: Which.smallest },
  { name: 'negative eigenvalue of largest magnitude, top-2', eig: withBulk([5, 4, -15]), k: 2, which: Which.largest },
];

for (const c of CASES) {
  test(`quadratic d=200, ${c.name}: eigenvalues to 1e-6 relative, Hv = lambda v, orthonormal vectors`, (t) => {
    const q = createQuadraticObjective({ eigenvalues: c.eig, seed: 3 });
    const op = hvpOperator(q);
    const r = lanczosEigenpairs(op, { topK: c.k, which: c.which, tol: 1e-5, seed: 11, eigenvectors: true });
    const sorted = q.eigenvalues!; // descending
    const expected = c.which === Which.largest ? sorted.slice(0, c.k) : sorted.slice(-c.k).reverse();
    t.true(r.converged, JSON.stringify({ ...r, eigenvectors: undefined }));
    t.true(maxRelativeError(r.eigenvalues, expected) < 1e-6, `${r.eigenvalues} vs ${expected}`);
    t.is(r.eigenvalues.length, c.k);
    t.is(r.which, c.which);
    const vs = r.eigenvectors!;
    vs.forEach((v, i) => {
      const hv = op.apply(v);
      const res = pv.axpy(-r.eigenvalues[i]!, v, hv);
      const explicit = pv.norm(res);
      t.true(explicit <= 1e-5 * Math.abs(r.eigenvalues[i]!), `pair ${i}: ||Hv - lambda v|| = ${explicit}`);
      t.true(Math.abs(explicit - r.residuals[i]!) < 1e-6 * 20, 'reported residual is the explicit one');
      t.true(r.ritzResiduals[i]! <= 1e-5 * Math.abs(r.eigenvalues[i]!));
      vs.forEach((u, j) => t.true(Math.abs(pv.dot(u, v) - (i === j ? 1 : 0)) < 1e-5, `v${i}.v${j}`));
      pv.dispose(hv, res);
    });
    t.is(r.hvps, r.iterations + c.k, 'one confirming HVP per eigenpair');
    vs.forEach((v) => pv.dispose(v));
  });
}

test('a separated top eigenvector equals the closed-form one up to sign', (t) => {
  const q = createQuadraticObjective({ eigenvalues: withBulk([20, 17, 15]), seed: 4 });
  const r = lanczosEigenpairs(hvpOperator(q), { topK: 2, tol: 1e-5, eigenvectors: true });
  r.eigenvectors!.forEach((v, i) => {
    const u = pv.unflatten(q.eigenvectors![i]!, q.shapes);
    t.true(Math.abs(Math.abs(pv.dot(u, v)) - 1) < 1e-6);
    pv.dispose(u, v);
  });
});

test('repeated top eigenvalue: the verification restart finds the copies a single Krylov space cannot see', (t) => {
  const q = createQuadraticObjective({ eigenvalues: withBulk([10, 10, 10, 8]), seed: 5 });
  const r = lanczosEigenpairs(hvpOperator(q), { topK: 3, tol: 1e-5, seed: 2 });
  t.true(r.converged && r.verified!);
  t.true(r.restarts! >= 1);
  t.true(maxRelativeError(r.eigenvalues, [10, 10, 10]) < 1e-6, `${r.eigenvalues}`);
});

test('linear regression (2 outputs: every eigenvalue twice): top-4 and all 8 equal the closed form', (t) => {
  const rng = createRng(11);
  const n = 30;
  const d = 3;
  const k = 2;
  const x = Array.from({ length: n * d }, () => rng.normal());
  const y = Array.from({ length: n * k }, () => rng.normal());
  const o = createLinearRegressionObjective({ x, n, d, y, k });
  const op = hvpOperator(o);
  const top = lanczosEigenpairs(op, { topK: 4, tol: 1e-5 });
  t.true(top.converged);
  t.true(maxRelativeError(top.eigenvalues, o.eigenvalues.slice(0, 4)) < 1e-6, `${top.eigenvalues} vs ${o.eigenvalues}`);
  const all = lanczosEigenpairs(op, { topK: 8, tol: 1e-5 });
  t.true(maxRelativeError(all.eigenvalues, o.eigenvalues) < 1e-6, `${all.eigenvalues} vs ${o.eigenvalues}`);
  const bottom = lanczosEigenpairs(op, { topK: 2, which: Which.smallest, tol: 1e-5 });
  t.true(maxRelativeError(bottom.eigenvalues, o.eigenvalues.slice(-2).reverse()) < 1e-6);
});

test('a quadratic smaller than the Krylov space (d = 6): exact after breakdown, nothing left to verify', (t) => {
  const eig = [5, 2, 2, 0.5, -1, -3];
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 3 });
  const r = lanczosEigenpairs(hvpOperator(q), { topK: 6, tol: 1e-5 });
  t.true(r.converged);
  t.true(r.iterations <= 6 + 6, `${r.iterations} steps`);
  t.true(maxRelativeError(r.eigenvalues, [5, 2, 2, 0.5, -1, -3]) < 1e-6, `${r.eigenvalues}`);
});

test('out of --max-iter: converged is false, and k estimates are still reported', (t) => {
  const q = createQuadraticObjective({ eigenvalues: withBulk([10, 9.9, 9.8]), seed: 6 });
  const r = lanczosEigenpairs(hvpOperator(q), { topK: 2, tol: 1e-6, maxIter: 4 });
  t.false(r.converged);
  t.is(r.iterations, 4);
  t.is(r.eigenvalues.length, 2);
  t.true(r.convergedEach.some((c) => !c));
  t.true(r.residuals.every((x) => Number.isFinite(x) && x > 0));
  t.true(r.eigenvalues[0]! <= 10 + 1e-5, 'Ritz values never overshoot');
});

test('same seed, same numbers; the seed is recorded', (t) => {
  const q = createQuadraticObjective({ eigenvalues: withBulk([7, 6, 5]), seed: 7 });
  const op = hvpOperator(q);
  const a = lanczosEigenpairs(op, { topK: 2, seed: 42 });
  const b = lanczosEigenpairs(op, { topK: 2, seed: 42 });
  t.deepEqual(a, b);
  t.is(a.seed, 42);
  const c = lanczosEigenpairs(op, { topK: 2, seed: 43 });
  t.true(maxRelativeError(c.eigenvalues, a.eigenvalues) < 1e-5);
});

test('rejects bad options with messages naming the function, option and value', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [3, 2, 1] });
  const op = hvpOperator(q);
  const bad: [object, string | RegExp][] = [
    [{ topK: 0 }, 'hessian: --top-k must be an integer >= 1, got 0'],
    [{ topK: 1.5 }, 'hessian: --top-k must be an integer >= 1, got 1.5'],
    [{ topK: 4 }, 'hessian: --top-k must be at most the number of parameters (3), got 4'],
    [{ tol: 0 }, 'hessian: --tol must be a finite number > 0, got 0'],
    [{ tol: -1 }, 'hessian: --tol must be a finite number > 0, got -1'],
    [{ maxIter: 0 }, 'hessian: --max-iter must be an integer >= 1, got 0'],
    [{ topK: 3, maxIter: 2 }, 'hessian: --max-iter must be at least --top-k (3) for the lanczos solver, got 2'],
    [{ which: 'middle' }, /which must be 'largest' or 'smallest', got middle/],
    [{ seed: 1.5 }, /hessian: --seed must be an integer/],
  ];
  for (const [opts, message] of bad) t.throws(() => lanczosEigenpairs(op, opts as never), { instanceOf: UsageError, message });
  t.is(op.hvps, 0, 'no HVP before the options are checked');
});

test('leaves no tensors behind (with and without eigenvectors, largest and smallest)', (t) => {
  const q = createQuadraticObjective({ eigenvalues: withBulk([6, 6, 4, -5], 60), seed: 8 });
  const op = hvpOperator(q);
  assertNoLeak(t, 'lanczosEigenpairs', () => void lanczosEigenpairs(op, { topK: 3 }));
  assertNoLeak(t, 'lanczosEigenpairs smallest', () => void lanczosEigenpairs(op, { topK: 2, which: Which.smallest }));
  assertNoLeak(t, 'lanczosEigenpairs out of budget', () => void lanczosEigenpairs(op, { topK: 2, maxIter: 3 }));
  assertNoLeak(t, 'lanczosEigenpairs eigenvectors', () => {
    const r = lanczosEigenpairs(op, { topK: 2, eigenvectors: true });
    r.eigenvectors!.forEach((v) => tf.dispose(v));
  });
});
