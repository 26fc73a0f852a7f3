/**
 * The facade and the report the `hessian` command writes: the JSON shape (eigenvalues
 * descending or ascending as stated, residuals, converged, iterations, trace {estimate,
 * stderr, samples}, density {nodes, weights, grid, values}), costs that add up, option
 * checks before the first HVP, and determinism under a seed.
 */
import test from 'ava';
import { createRng } from '../../src/engine/rng.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { hvpOperator } from '../../src/hessian/HvpOperator.ts';
import { Hessian, eigenpairs } from '../../src/hessian/Hessian.ts';
import { DEFAULT_MAX_ITER, HESSIAN_DEFAULTS, hessianReport, resolveHessianOptions } from '../../src/hessian/hessianReport.ts';
import { Solver, TraceMethod, Which, isSolver, isTraceMethod, isWhich } from '../../src/hessian/types.ts';
import { UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { assertNoLeak, maxRelativeError } from './hessianFixtures.ts';

test.before(async () => {
  await useBackend('cpu');
});

function quadratic(seed = 1) {
  const rng = createRng(seed);
  const eig = [12, 9, 7, -6, ...Array.from({ length: 76 }, () => rng.normal())];
  return { q: createQuadraticObjective({ eigenvalues: eig, seed: 2, shapes: [[10, 4], [40]], center: new Array(80).fill(0.1) }), eig };
}

test('Hessian facade: eigenvalues (both solvers), trace (both methods), density, per-layer; objective untouched', (t) => {
  const { q, eig } = quadratic();
  const h = Hessian.fromObjective(q);
  t.is(h.dimension, 80);
  const top = h.eigenvalues({ topK: 3, tol: 1e-5 });
  t.is(top.solver, Solver.lanczos);
  t.true(maxRelativeError(top.eigenvalues, [12, 9, 7]) < 1e-6);
  const pw = h.eigenvalues({ solver: Solver.power, topK: 1, tol: 1e-10, maxIter: 500 });
  t.true(Math.abs(pw.eigenvalues[0]! - 12) < 1e-5 * 12);
  const bottom = h.eigenvalues({ topK: 1, which: Which.smallest, tol: 1e-5 });
  t.true(Math.abs(bottom.eigenvalues[0]! + 6) < 1e-5 * 6);
  const tr = h.trace({ probes: 50, seed: 1 });
  const exact = eig.reduce((a, b) => a + b, 0);
  t.true(Math.abs(tr.estimate - exact) < 3 * tr.stderr!);
  t.is(h.trace({ method: TraceMethod.hutchPlusPlus, probes: 30 }).method, TraceMethod.hutchPlusPlus);
  const den = h.density({ runs: 2, steps: 20, gridPoints: 200 });
  t.is(den.runs.length, 2);
  const pl = h.perLayer({ probes: 5 });
  t.deepEqual(pl.layers.map((l) => l.layer), ['block0', 'block1']);
  t.is(h.hvps, q.cost.hvps, 'every HVP went through the objective');
  t.true(Math.abs(q.loss(q.params)) < 1e-12, 'the objective is still at its minimum');
  t.throws(() => eigenpairs(h.operator, { solver: 'newton' as never }), { instanceOf: UsageError, message: 'hessian: --solver must be one of lanczos, power, got newton' });
  t.throws(() => h.trace({ method: 'exact' as never }), { instanceOf: UsageError });
});

test('hessianReport: JSON-ready, with the fields the command writes', (t) => {
  const { q } = quadratic(3);
  const op = hvpOperator(q);
  const r = hessianReport(op, { topK: 2, trace: true, probes: 20, density: true, runs: 2, steps: 15, gridPoints: 100, perLayer: true, seed: 7 });
  const json = JSON.parse(JSON.stringify(r));
  t.deepEqual(json, r, 'survives a JSON round trip (no tensors, no undefined, no NaN)');
  t.is(r.order, 'descending');
  t.is(r.eigenvalues.length, 2);
  t.true(r.eigenvalues[0]! >= r.eigenvalues[1]!);
  t.is(r.residuals.length, 2);
  t.true(r.converged);
  t.true(r.iterations > 0);
  t.is(r.seed, 7);
  t.deepEqual(Object.keys(r.trace!).sort(), ['estimate', 'hvps', 'method', 'samples', 'stderr']);
  t.is(r.trace!.samples, 20);
  t.is(r.density!.nodes.length, 2);
  t.is(r.density!.weights.length, 2);
  t.is(r.density!.grid.length, 100);
  t.is(r.density!.values.length, 100);
  t.is(r.perLayer!.length, 2);
  t.is(r.totalHvps, r.hvps + r.trace!.hvps + r.density!.hvps + r.perLayer!.reduce((s, l) => s + l.hvps, 0));
  t.is(r.totalHvps, op.hvps);
  const s = hessianReport(op, { topK: 2, smallest: true });
  t.is(s.order, 'ascending');
  t.is(s.which, Which.smallest);
  t.true(s.eigenvalues[0]! <= s.eigenvalues[1]!);
  t.is(s.trace, undefined);
  t.is(s.density, undefined);
});

test('hessianReport: same seed, same report', (t) => {
  const { q } = quadratic(4);
  const op = hvpOperator(q);
  const opts = { topK: 2, trace: true, probes: 10, density: true, steps: 10, gridPoints: 50, seed: 3 };
  t.deepEqual(hessianReport(op, opts), hessianReport(op, opts));
});

test('resolveHessianOptions: defaults, and every bad option named with its value before any HVP', (t) => {
  const o = resolveHessianOptions({});
  t.is(o.solver, Solver.lanczos);
  t.is(o.maxIter, DEFAULT_MAX_ITER.lanczos);
  t.is(resolveHessianOptions({ solver: Solver.power }).maxIter, DEFAULT_MAX_ITER.power);
  t.is(resolveHessianOptions({ maxIter: undefined }).maxIter, DEFAULT_MAX_ITER.lanczos, 'undefined means default');
  t.is(HESSIAN_DEFAULTS.topK, 1);
  const { q } = quadratic(5);
  const op = hvpOperator(q);
  const bad: [object, string][] = [
    [{ topK: 0 }, 'hessian: --top-k must be an integer in 1..10000, got 0'],
    [{ topK: 81 }, 'hessian: --top-k must be at most the number of parameters (80), got 81'],
    [{ tol: 0 }, 'hessian: --tol must be a finite number > 0, got 0'],
    [{ maxIter: 0 }, 'hessian: --max-iter must be an integer in 1..1000000, got 0'],
    [{ topK: 5, maxIter: 4 }, 'hessian: --max-iter must be at least --top-k (5) for the lanczos solver, got 4'],
    [{ probes: 0 }, 'hessian: --probes must be an integer in 1..100000, got 0'],
    [{ traceMethod: TraceMethod.hutchPlusPlus, probes: 2 }, 'hessian: --probes must be an integer in 3..100000, got 2'],
    [{ steps: 1 }, 'hessian: --steps must be an integer in 2..100000, got 1'],
    [{ runs: 0 }, 'hessian: --runs must be an integer in 1..10000, got 0'],
    [{ gridPoints: 1 }, 'hessian: --grid-points must be an integer in 2..100000, got 1'],
    [{ sigma: -1 }, 'hessian: --sigma must be a finite number > 0, got -1'],
    [{ solver: 'newton' }, 'hessian: --solver must be one of lanczos, power, got newton'],
    [{ traceMethod: 'exact' }, 'hessian: --trace-method must be one of hutchinson, hutch++, got exact'],
    [{ solver: Solver.power, smallest: true }, 'hessian: --smallest needs --solver lanczos (power iteration finds the largest-magnitude eigenvalues)'],
    [{ seed: -3 }, 'hessian: --seed must be an integer in [0, 4294967295], got -3'],
  ];
  for (const [opts, message] of bad) t.throws(() => hessianReport(op, opts as never), { instanceOf: UsageError, message });
  t.is(op.hvps, 0);
});

test('vocabularies have type guards', (t) => {
  t.true(isSolver('power') && !isSolver('x'));
  t.true(isWhich('smallest') && !isWhich('x'));
  t.true(isTraceMethod('hutch++') && !isTraceMethod('x'));
});

test('hessianReport leaves no tensors behind', (t) => {
  const { q } = quadratic(6);
  const op = hvpOperator(q);
  assertNoLeak(t, 'hessianReport', () => void hessianReport(op, { topK: 2, trace: true, probes: 6, density: true, steps: 6, gridPoints: 20, perLayer: true }));
});
