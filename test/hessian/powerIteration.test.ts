/**
 * Power iteration with deflation (PyHessian's algorithm) against closed-form quadratics.
 * With tol tiny and enough steps it converges to 1e-6 relative (float32 vectors) on a
 * separated spectrum; with PyHessian's defaults it stops on the relative change of
 * lambda, whose actual error the reported residual exposes.
 */
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { hvpOperator, operatorFromFunction } from '../../src/hessian/HvpOperator.ts';
import { powerIteration } from '../../src/hessian/powerIteration.ts';
import { Which } from '../../src/hessian/types.ts';
import { UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { assertNoLeak, maxRelativeError } from './hessianFixtures.ts';

test.before(async () => {
  await useBackend('cpu');
});

function withBulk(outliers: number[], d = 100, seed = 1): number[] {
  const rng = createRng(seed);
  return [...outliers, ...Array.from({ length: d - outliers.length }, () => -0.5 + 2 * rng.uniform())];
}

test('top-3 of a separated spectrum to 1e-6 relative; eigenvectors satisfy Hv = lambda v', (t) => {
  const q = createQuadraticObjective({ eigenvalues: withBulk([20, 14, 9]), seed: 2 });
  const op = hvpOperator(q);
  const r = powerIteration(op, { topK: 3, tol: 1e-12, maxIter: 400, seed: 5, eigenvectors: true });
  t.true(maxRelativeError(r.eigenvalues, [20, 14, 9]) < 1e-6, `${r.eigenvalues}`);
  r.eigenvectors!.forEach((v, i) => {
    const hv = op.apply(v);
    const res = pv.axpy(-r.eigenvalues[i]!, v, hv);
    t.true(pv.norm(res) < 1e-3 * r.eigenvalues[i]!, `pair ${i}: ${pv.norm(res)}`);
    t.true(Math.abs(pv.norm(res) - r.residuals[i]!) < 1e-5, 'the reported residual is ||Hv - lambda v||');
    t.true(Math.abs(pv.norm(v) - 1) < 1e-6);
    pv.dispose(hv, res, v);
  });
  t.is(r.solver, 'power');
  t.is(r.hvps, r.iterations);
});

test('deflation finds a repeated eigenvalue once per copy', (t) => {
  const q = createQuadraticObjective({ eigenvalues: withBulk([10, 10, 4]), seed: 3 });
  const r = powerIteration(hvpOperator(q), { topK: 3, tol: 1e-12, maxIter: 300 });
  t.true(maxRelativeError(r.eigenvalues, [10, 10, 4]) < 1e-6, `${r.eigenvalues}`);
});

test('PyHessian\'s stopping rule: stops once |lambda - lambda_prev| / (|lambda_prev| + 1e-6) < tol', (t) => {
  // Diagonal H: the Rayleigh quotients can be replayed in float64 from the same start.
  const diag = withBulk([10, 9, 8], 50);
  const op = operatorFromFunction({
    shapes: [[50]],
    apply: (v) => [tf.tidy(() => tf.mul(v[0]!, tf.tensor1d(diag)))],
  });
  const r = powerIteration(op, { topK: 1, tol: 1e-3, seed: 1 });
  t.true(r.converged);
  // It stops early: the relative change is about (1 - (9/10)^2) times the error.
  t.true(r.iterations < 40, `${r.iterations} steps`);
  const err = Math.abs(r.eigenvalues[0]! - 10) / 10;
  t.true(err > 1e-4 && err < 2e-2, `error ${err} after the PyHessian test passed`);
  t.true(r.residuals[0]! > 1e-3 * 10, 'the residual shows the eigenpair is not accurate yet');
});

test('out of --max-iter (per eigenvalue, as PyHessian): converged is false', (t) => {
  const q = createQuadraticObjective({ eigenvalues: withBulk([10, 9.99]), seed: 4 });
  const r = powerIteration(hvpOperator(q), { topK: 2, tol: 1e-10, maxIter: 5 });
  t.false(r.converged);
  t.deepEqual(r.convergedEach, [false, false]);
  t.is(r.iterations, 10);
  t.is(r.eigenvalues.length, 2);
});

test('finds the largest MAGNITUDE (as PyHessian): a dominant negative eigenvalue comes first by magnitude, results descending', (t) => {
  const q = createQuadraticObjective({ eigenvalues: withBulk([5, -15]), seed: 5 });
  const r = powerIteration(hvpOperator(q), { topK: 2, tol: 1e-12, maxIter: 500 });
  t.true(maxRelativeError(r.eigenvalues, [5, -15]) < 1e-6, `${r.eigenvalues}`);
});

test('H v = 0 (zero Hessian): eigenvalue 0, converged, no NaN', (t) => {
  const op = operatorFromFunction({ shapes: [[4]], apply: (v) => [tf.zerosLike(v[0]!)] });
  const r = powerIteration(op, { topK: 2 });
  t.deepEqual(r.eigenvalues, [0, 0]);
  t.true(r.converged);
});

test('same seed, same numbers', (t) => {
  const q = createQuadraticObjective({ eigenvalues: withBulk([6, 3]), seed: 6 });
  const op = hvpOperator(q);
  t.deepEqual(powerIteration(op, { seed: 9 }), powerIteration(op, { seed: 9 }));
});

test('rejects bad options (and --smallest) naming the option and value', (t) => {
  const op = hvpOperator(createQuadraticObjective({ eigenvalues: [3, 2, 1] }));
  const bad: [object, string | RegExp][] = [
    [{ topK: 0 }, 'hessian: --top-k must be an integer >= 1, got 0'],
    [{ topK: 4 }, 'hessian: --top-k must be at most the number of parameters (3), got 4'],
    [{ tol: 0 }, 'hessian: --tol must be a finite number > 0, got 0'],
    [{ maxIter: 0 }, 'hessian: --max-iter must be an integer >= 1, got 0'],
    [{ which: Which.smallest }, /hessian: --smallest needs --solver lanczos/],
  ];
  for (const [opts, message] of bad) t.throws(() => powerIteration(op, opts as never), { instanceOf: UsageError, message });
});

test('leaves no tensors behind', (t) => {
  const op = hvpOperator(createQuadraticObjective({ eigenvalues: withBulk([6, 5, 3], 40), seed: 7 }));
  assertNoLeak(t, 'powerIteration', () => void powerIteration(op, { topK: 2 }));
  assertNoLeak(t, 'powerIteration eigenvectors', () => powerIteration(op, { eigenvectors: true }).eigenvectors!.forEach((v) => tf.dispose(v)));
});
