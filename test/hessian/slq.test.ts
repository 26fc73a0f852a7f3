/**
 * Stochastic Lanczos quadrature. Invariants: each run's weights sum to 1 (1e-12), the
 * density integrates to 1 on its grid (trapezoid, 1e-12), nodes lie inside the spectrum.
 * With steps >= the number of distinct eigenvalues the rule is exact: nodes are the
 * eigenvalues and weights the squared projections of the start vector (float32: 1e-5).
 * A two-cluster spectrum puts half the mass on each side (20 runs: within 0.1).
 */
import test from 'ava';
import { createRng, rademacherArray } from '../../src/engine/rng.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { hvpOperator } from '../../src/hessian/HvpOperator.ts';
import { densityFromRuns, slq, slqRuns } from '../../src/hessian/slq.ts';
import { UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { assertNoLeak } from './hessianFixtures.ts';

test.before(async () => {
  await useBackend('cpu');
});

function trapezoid(grid: readonly number[], values: readonly number[], upTo = Infinity): number {
  let s = 0;
  for (let j = 0; j + 1 < grid.length && grid[j + 1]! <= upTo; j++) s += 0.5 * (grid[j + 1]! - grid[j]!) * (values[j]! + values[j + 1]!);
  return s;
}

test('weights of each run sum to 1, nodes lie in the spectrum, the density integrates to 1', (t) => {
  const rng = createRng(1);
  const eig = Array.from({ length: 120 }, (_, i) => (i < 4 ? 30 - 5 * i : rng.normal()));
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 2 });
  const r = slq(hvpOperator(q), { runs: 3, steps: 25, seed: 4, gridPoints: 2000 });
  t.is(r.runs.length, 3);
  t.is(r.hvps, 75);
  const lo = Math.min(...eig);
  const hi = Math.max(...eig);
  for (const run of r.runs) {
    t.is(run.nodes.length, 25);
    t.true(Math.abs(run.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    t.true(run.weights.every((w) => w >= 0));
    t.true(run.nodes.every((x) => x >= lo - 1e-5 && x <= hi + 1e-5));
    for (let i = 1; i < run.nodes.length; i++) t.true(run.nodes[i]! >= run.nodes[i - 1]!, 'ascending');
  }
  t.is(r.grid.length, 2000);
  t.true(Math.abs(trapezoid(r.grid, r.values) - 1) < 1e-12);
  t.true(r.values.every((v) => v >= 0 && Number.isFinite(v)));
  t.true(r.grid[0]! < lo && r.grid[1999]! > hi);
  t.true(r.sigma > 0);
  // the top outlier (weight ~1/120 of the measure) shows as a separate peak
  const near30 = r.values.filter((_, j) => Math.abs(r.grid[j]! - 30) < 3 * r.sigma);
  t.true(Math.max(...near30) > 0);
});

test('steps >= distinct eigenvalues: the rule is exact (nodes = eigenvalues, weights = squared projections of the start)', (t) => {
  const eig = [4, 2.5, 1, -0.5, -2, 3.3];
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 3 });
  const [run] = slqRuns(hvpOperator(q), { steps: 10, seed: 7 }, [0]);
  t.is(run!.steps, 6);
  const sorted = [...eig].sort((a, b) => a - b);
  run!.nodes.forEach((x, i) => t.true(Math.abs(x - sorted[i]!) < 1e-5, `${x} vs ${sorted[i]}`));
  // the start is the Rademacher vector of rng.fork(0), normalised
  const v = rademacherArray(createRng(7).fork(0), 6).map((x) => x / Math.sqrt(6));
  const ascending = q.eigenvectors!.slice().reverse();
  ascending.forEach((u, i) => {
    const proj = u.reduce((s, x, j) => s + x * v[j]!, 0);
    t.true(Math.abs(run!.weights[i]! - proj * proj) < 1e-5, `weight ${i}: ${run!.weights[i]} vs ${proj * proj}`);
  });
});

test('two clusters of equal size: half the mass on each side', (t) => {
  const rng = createRng(5);
  const d = 200;
  const eig = Array.from({ length: d }, (_, i) => (i < d / 2 ? -1 : 2) + 0.1 * rng.normal());
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 6 });
  const r = slq(hvpOperator(q), { runs: 20, steps: 20, seed: 1, gridPoints: 3000 });
  const below = trapezoid(r.grid, r.values, 0.5);
  t.true(Math.abs(below - 0.5) < 0.1, `mass below 0.5: ${below}`);
  const weightBelow = r.runs.reduce((s, run) => s + run.nodes.reduce((a, x, i) => a + (x < 0.5 ? run.weights[i]! : 0), 0), 0) / r.runs.length;
  t.true(Math.abs(weightBelow - 0.5) < 0.1, `quadrature weight below 0.5: ${weightBelow}`);
});

test('runs depend only on (seed, index): sharded runs merge to the same density', (t) => {
  const q = createQuadraticObjective({ eigenvalues: Array.from({ length: 40 }, (_, i) => Math.sin(i) * 3), seed: 7 });
  const op = hvpOperator(q);
  const whole = slq(op, { runs: 4, steps: 8, seed: 9, gridPoints: 500 });
  const shards = [...slqRuns(op, { steps: 8, seed: 9 }, [3, 1]), ...slqRuns(op, { steps: 8, seed: 9 }, [2, 0])];
  const merged = densityFromRuns(shards, { gridPoints: 500 });
  t.deepEqual(merged.values, whole.values);
  t.deepEqual(merged.grid, whole.grid);
  t.throws(() => densityFromRuns([...shards, shards[0]!]), { instanceOf: UsageError, message: 'hessian: run 3 appears twice' });
});

test('the kernel width: PyHessian\'s sqrt(1e-5 max(1, range)) by default, or as given', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], seed: 1 });
  const op = hvpOperator(q);
  const r = slq(op, { steps: 10 });
  t.true(Math.abs(r.sigma - Math.sqrt(1e-5 * (9 + 0.02))) < 1e-9, `${r.sigma}`);
  const wide = slq(op, { steps: 10, sigma: 0.5, gridPoints: 300 });
  t.is(wide.sigma, 0.5);
  t.true(Math.abs(trapezoid(wide.grid, wide.values) - 1) < 1e-12);
  t.true(wide.grid[0]! <= -2.5 + 1e-5, 'the grid extends 5 sigma beyond the extreme nodes');
});

test('rejects bad options naming the option and value', (t) => {
  const op = hvpOperator(createQuadraticObjective({ eigenvalues: [1, 2, 3] }));
  t.throws(() => slq(op, { steps: 1 }), { instanceOf: UsageError, message: 'hessian: --steps must be an integer >= 2, got 1' });
  t.throws(() => slq(op, { runs: 0 }), { instanceOf: UsageError, message: 'hessian: --runs must be an integer >= 1, got 0' });
  t.throws(() => slq(op, { sigma: 0 }), { instanceOf: UsageError, message: 'hessian: --sigma must be a finite number > 0, got 0' });
  t.throws(() => slq(op, { gridPoints: 1 }), { instanceOf: UsageError, message: 'hessian: --grid-points must be an integer >= 2, got 1' });
  t.throws(() => densityFromRuns([]), { instanceOf: UsageError });
});

test('leaves no tensors behind', (t) => {
  const op = hvpOperator(createQuadraticObjective({ eigenvalues: Array.from({ length: 30 }, (_, i) => i / 3), seed: 8 }));
  assertNoLeak(t, 'slq', () => void slq(op, { runs: 2, steps: 12, gridPoints: 100 }));
});
