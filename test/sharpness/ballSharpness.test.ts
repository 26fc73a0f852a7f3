/**
 * ball against closed forms on quadratics L = L0 + (1/2) e'He (float64 references; the
 * parameters are float32, so values agree to about 1e-6 relative):
 * - l2 ball: max = L0 + (1/2) r^2 lambda_max exactly (adaptive: lambda_max(T H T), T = diag|w|);
 * - box, linf, adaptive linf: max = brute force over the 2^d vertices (PSD H: a convex
 *   function's max over a box is at a vertex), d <= 10;
 * - average-case: E[L(w + e)] = L0 + (1/2) tr(H Sigma), Sigma = r^2/(d+2) I for a uniform
 *   point of the l2 ball in d dimensions, r^2/3 diag(t^2) for box / linf sets; checked within
 *   4 standard errors (fixed seed).
 */
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { UsageError } from '../../src/errors.ts';
import { createQuadraticObjective, type QuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { ballSharpness, parseRadii, type BallOptions } from '../../src/sharpness/ballSharpness.ts';
import { BallNorm } from '../../src/sharpness/perturbationSet.ts';
import { useBackend } from '../helpers/engine.ts';
import { bruteForceVertexMax, lambdaMaxScaled, relClose, trace } from './quadraticHelpers.ts';

test.before(async () => {
  await useBackend('cpu');
});

const L0 = 0.3;

function quadratic(d: number, seed: number): { q: QuadraticObjective; c: number[] } {
  const eig = Array.from({ length: d }, (_, i) => 4 / (i + 1) ** 1.5);
  const c = Array.from({ length: d }, (_, i) => Math.fround(Math.sin(3 * i + seed)));
  return { q: createQuadraticObjective({ eigenvalues: eig, seed, center: c, baseLoss: L0 }), c };
}

test('l2 ball on a quadratic: maxLoss = L0 + r^2 lambda_max / 2 at radius r, for several radii in one call', (t) => {
  for (const d of [3, 8, 40]) {
    const { q } = quadratic(d, d);
    const radii = [0.01, 0.1, 0.5, 2];
    const r = ballSharpness(q, { norm: 'l2', radii, samples: 0, restarts: 2, steps: 40, seed: 1 });
    t.is(r.baseLoss, L0);
    t.deepEqual(r.points.map((p) => p.radius), radii);
    for (const p of r.points) {
      const exact = 0.5 * p.radius ** 2 * q.eigenvalues![0]!;
      t.true(relClose(p.sharpness, exact, 2e-5), `d=${d} r=${p.radius}: ${p.sharpness} vs ${exact}`);
      t.true(relClose(p.maxLoss, L0 + exact, 1e-6));
      t.true(relClose(p.keskar, (100 * p.sharpness) / (1 + L0), 1e-12));
      t.true(relClose(p.perturbationNorm, p.radius, 1e-6), 'the l2 maximiser lies on the sphere');
      t.true(p.perturbationSetNorm <= p.radius * (1 + 1e-6));
      t.is(p.averageLoss, null);
      t.true(p.gradients > 0 && p.iterations > 0);
    }
    q.dispose();
  }
});

test('adaptive l2 on a quadratic: max = L0 + r^2 lambda_max(T H T) / 2 with T = diag(|w|)', (t) => {
  const d = 8;
  const { q, c } = quadratic(d, 2);
  const r = ballSharpness(q, { norm: 'l2', adaptive: true, radii: [0.05, 0.5], samples: 0, restarts: 2, steps: 40 });
  const lam = lambdaMaxScaled(q.hessian, d, c.map(Math.abs));
  for (const p of r.points) t.true(relClose(p.sharpness, 0.5 * p.radius ** 2 * lam, 2e-5), `${p.sharpness} vs ${0.5 * p.radius ** 2 * lam}`);
  q.dispose();
});

for (const [norm, adaptive] of [
  ['box', false],
  ['linf', false],
  ['linf', true],
] as const) {
  test(`${norm}${adaptive ? ' adaptive' : ''} on a quadratic: maxLoss equals brute force over the vertices (d <= 10)`, (t) => {
    for (const d of [2, 6, 10]) {
      for (const seed of [1, 2, 3]) {
        const { q, c } = quadratic(d, seed);
        const scale = c.map((x) => (norm === 'box' ? Math.abs(x) + 1 : adaptive ? Math.abs(x) : 1));
        const r = ballSharpness(q, { norm, adaptive, radii: [0.1, 1], samples: 0, restarts: 16, steps: 20, seed });
        for (const p of r.points) {
          const exact = bruteForceVertexMax(q.hessian, d, scale.map((s) => s * p.radius));
          t.true(relClose(p.sharpness, exact, 2e-6), `d=${d} seed=${seed} r=${p.radius}: ${p.sharpness} vs ${exact}`);
          t.true(p.perturbationSetNorm <= p.radius * (1 + 1e-6));
        }
        q.dispose();
      }
    }
  });
}

test('average-case value on a quadratic: L0 + r^2 tr(H) / (2 (d + 2)) for the l2 ball, (r^2/6) sum H_ii t_i^2 for box / linf', (t) => {
  const d = 12;
  const { q, c } = quadratic(d, 5);
  const tr = trace(q.hessian, d);
  for (const norm of BALL_NORM_LIST) {
    const r = ballSharpness(q, { norm, radii: [0.001, 0.3], samples: 2000, restarts: 0, steps: 0, seed: 4 });
    for (const p of r.points) {
      let expected: number;
      if (norm === 'l2') expected = (p.radius ** 2 * tr) / (2 * (d + 2));
      else {
        const s = c.map((x) => (norm === 'box' ? Math.abs(x) + 1 : 1));
        expected = 0;
        for (let i = 0; i < d; i++) expected += (q.hessian[i * d + i]! * (s[i]! * p.radius) ** 2) / 6;
      }
      t.is(p.samples, 2000);
      t.is(p.lossEvaluations, 2000);
      t.true(p.averageStderr !== null && p.averageStderr > 0);
      const z = (p.averageLoss! - L0 - expected) / p.averageStderr!;
      t.true(Math.abs(z) < 4, `${norm} r=${p.radius}: ${p.averageLoss! - L0} vs ${expected} (z=${z})`);
    }
  }
  q.dispose();
});
const BALL_NORM_LIST = Object.values(BallNorm);

test('same seed, same numbers; another seed, other random points', (t) => {
  const { q } = quadratic(6, 1);
  const opts: BallOptions = { norm: 'linf', radii: [0.1, 0.3], samples: 20, restarts: 3, steps: 5, seed: 11 };
  const a = ballSharpness(q, opts);
  const b = ballSharpness(q, opts);
  t.deepEqual(a.points, b.points);
  t.is(a.seed, 11);
  const c = ballSharpness(q, { ...opts, seed: 12 });
  t.not(a.points[0]!.averageLoss, c.points[0]!.averageLoss);
  q.dispose();
});

test('the SAM start alone: steps 0 and no restarts gives L(w + steepest ascent step)', (t) => {
  // Off the minimum the gradient is non-zero; the SAM step for l2 is r g/||g||.
  const q = createQuadraticObjective({ hessian: [[2, 0], [0, 1]], center: [0, 0] });
  const shifted: QuadraticObjective = { ...q, params: [tf.tensor1d([1, 1])] };
  const r = ballSharpness(shifted, { norm: 'l2', radii: [0.5], steps: 0, restarts: 0, samples: 0 });
  // g = (2, 1); e = 0.5 (2, 1)/sqrt 5; w + e = (1 + 1/sqrt5, 1 + 0.5/sqrt5)
  const x = [1 + 1 / Math.sqrt(5), 1 + 0.5 / Math.sqrt(5)];
  const expected = 0.5 * (2 * x[0]! ** 2 + x[1]! ** 2);
  t.true(relClose(r.points[0]!.maxLoss, expected, 1e-6));
  t.is(r.points[0]!.bestRestart, 0);
  t.is(r.points[0]!.iterations, 0);
  t.is(r.points[0]!.gradients, 1);
  t.is(r.baseLoss, 1.5);
  shifted.params[0]!.dispose();
  q.dispose();
});

test('cost: the call counts its gradients and loss evaluations', (t) => {
  const { q } = quadratic(4, 1);
  const before = { ...q.cost };
  const r = ballSharpness(q, { norm: 'l2', radii: [0.1, 0.2], samples: 7, restarts: 1, steps: 3 });
  t.is(r.cost.gradients, q.cost.gradients - before.gradients);
  t.is(r.cost.gradients, 1 + r.points.reduce((s, p) => s + p.gradients, 0));
  // one loss per ascent step tried, plus the samples
  t.is(r.cost.lossEvaluations, r.points.reduce((s, p) => s + p.lossEvaluations, 0));
  t.is(r.cost.lossEvaluations, 14 + r.points.reduce((s, p) => s + p.iterations, 0));
  q.dispose();
});

test('validation names the option and the bad value', (t) => {
  const { q } = quadratic(3, 1);
  const bad: [Partial<BallOptions>, RegExp][] = [
    [{ radii: [-0.1] }, /ball: --radius must be positive numbers, got -0.1/],
    [{ radii: [] }, /--radius must be positive numbers, got none/],
    [{ radii: [NaN] }, /--radius must be positive numbers, got NaN/],
    [{ norm: 'l1' as never }, /ball: --norm must be one of box, l2, linf, got l1/],
    [{ norm: 'box', adaptive: true }, /--adaptive applies to --norm l2 and linf/],
    [{ steps: 1.5 }, /ball: --steps must be an integer in 0..100000, got 1.5/],
    [{ restarts: -1 }, /ball: --restarts must be an integer in 0..10000, got -1/],
    [{ samples: -2 }, /ball: --samples must be an integer in 0..1000000, got -2/],
    [{ eta: -1 }, /ball: --eta must be a finite number >= 0, got -1/],
    [{ seed: -1 }, /--seed must be an integer/],
  ];
  for (const [patch, message] of bad) {
    t.throws(() => ballSharpness(q, { norm: 'l2', radii: [0.1], ...patch }), { instanceOf: UsageError, message });
  }
  t.deepEqual(parseRadii('0.01,0.05, 0.1'), [0.01, 0.05, 0.1]);
  t.deepEqual(parseRadii(['0.01', 0.5]), [0.01, 0.5]);
  t.throws(() => parseRadii('0.1,,0.2'), { instanceOf: UsageError });
  t.throws(() => parseRadii('0.1,abc'), { message: /got abc/ });
  q.dispose();
});

test('memory: tf.memory().numTensors is unchanged after many calls', (t) => {
  const { q } = quadratic(5, 1);
  ballSharpness(q, { norm: 'l2', radii: [0.1], samples: 2, restarts: 1, steps: 2 });
  const before = tf.memory().numTensors;
  for (let k = 0; k < 5; k++) {
    for (const norm of BALL_NORM_LIST) {
      ballSharpness(q, { norm, radii: [0.1, 0.5], samples: 3, restarts: 2, steps: 4, seed: k });
      if (norm !== 'box') ballSharpness(q, { norm, adaptive: true, radii: [0.1], samples: 3, restarts: 1, steps: 4, seed: k });
    }
  }
  t.is(tf.memory().numTensors, before);
  q.dispose();
});
