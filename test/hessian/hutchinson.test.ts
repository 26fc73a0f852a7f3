/**
 * Trace estimators. Hutchinson with Rademacher probes is exact on a diagonal Hessian
 * (v_i^2 = 1; float32: 1e-6 relative) and within 3 standard errors on dense ones (fixed
 * seeds). Hutch++ is exact when the Hessian's rank fits in its sketch, and on a decaying
 * spectrum its error at the same HVP budget is several times smaller.
 */
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { hvpOperator, operatorFromFunction } from '../../src/hessian/HvpOperator.ts';
import { hutchinson, hutchinsonProbes, hutchPlusPlus, summariseTrace, traceEstimate } from '../../src/hessian/hutchinson.ts';
import { TraceMethod } from '../../src/hessian/types.ts';
import { UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { assertNoLeak } from './hessianFixtures.ts';

test.before(async () => {
  await useBackend('cpu');
});

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function decaying(d: number, seed = 1): number[] {
  const rng = createRng(seed);
  return Array.from({ length: d }, (_, i) => 50 * Math.pow(0.7, i) + 0.2 * rng.normal());
}

test('Hutchinson is exact on a diagonal Hessian (blocks of several shapes), standard error 0', (t) => {
  const diag = [3, -1, 0.5, 2, 7, -4, 1.5];
  const shapes = [[3], [2, 2]];
  const op = operatorFromFunction({
    shapes,
    apply: (v) => {
      const d0 = tf.tensor1d(diag.slice(0, 3));
      const d1 = tf.tensor2d(diag.slice(3), [2, 2]);
      const out = [tf.mul(v[0]!, d0), tf.mul(v[1]!, d1)];
      tf.dispose([d0, d1]);
      return out;
    },
  });
  const r = hutchinson(op, { probes: 10, seed: 3 });
  t.true(Math.abs(r.estimate - sum(diag)) < 1e-6 * Math.abs(sum(diag)), `${r.estimate} vs ${sum(diag)}`);
  t.true(r.stderr! < 1e-6);
  t.is(r.samples, 10);
  t.is(r.hvps, 10);
  t.is(r.method, TraceMethod.hutchinson);
  t.is(r.seed, 3);
});

test('Hutchinson is within 3 standard errors on dense Hessians (5 fixed seeds)', (t) => {
  const eig = decaying(80).map((x, i) => (i % 4 === 0 ? -x : x));
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 2 });
  const op = hvpOperator(q);
  for (let seed = 0; seed < 5; seed++) {
    const r = hutchinson(op, { probes: 40, seed });
    t.true(r.stderr! > 0);
    t.true(Math.abs(r.estimate - sum(eig)) < 3 * r.stderr!, `seed ${seed}: ${r.estimate} +- ${r.stderr} vs ${sum(eig)}`);
  }
});

test('probes depend only on (seed, index): any sharding merges to the same estimate; duplicates are rejected', (t) => {
  const q = createQuadraticObjective({ eigenvalues: decaying(30), seed: 3 });
  const op = hvpOperator(q);
  const whole = hutchinson(op, { probes: 10, seed: 5 });
  const a = hutchinsonProbes(op, 5, [7, 2, 9, 0, 4]);
  const b = hutchinsonProbes(op, 5, [1, 3, 5, 6, 8]);
  const merged = summariseTrace([...b, ...a]);
  t.is(merged.estimate, whole.estimate);
  t.is(merged.stderr, whole.stderr);
  t.is(merged.samples, 10);
  t.throws(() => summariseTrace([...a, a[0]!]), { instanceOf: UsageError, message: 'hessian: probe 7 appears twice' });
  t.is(summariseTrace(a.slice(0, 1)).stderr, null, 'one sample has no standard error');
});

test('Hutch++ is exact when the Hessian has rank <= its sketch (rank 5, budget 30)', (t) => {
  const eig = [9, -4, 3, 2, 1, ...new Array<number>(45).fill(0)];
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 4 });
  const r = hutchPlusPlus(hvpOperator(q), { probes: 30, seed: 1 });
  t.true(Math.abs(r.estimate - sum(eig)) < 1e-5 * 9, `${r.estimate} vs ${sum(eig)}`);
  t.true(r.hvps <= 30);
  t.is(r.method, TraceMethod.hutchPlusPlus);
});

test('Hutch++ beats Hutchinson at the same HVP budget on a decaying spectrum (RMS error over 12 seeds)', (t) => {
  const eig = decaying(300);
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 5 });
  const op = hvpOperator(q);
  const truth = sum(eig);
  let e1 = 0;
  let e2 = 0;
  const budget = 30;
  for (let seed = 0; seed < 12; seed++) {
    const h = hutchinson(op, { probes: budget, seed });
    const p = hutchPlusPlus(op, { probes: budget, seed });
    t.is(h.hvps, budget);
    t.is(p.hvps, budget);
    e1 += (h.estimate - truth) ** 2;
    e2 += (p.estimate - truth) ** 2;
    t.true(Math.abs(p.estimate - truth) < 4 * p.stderr! + 1e-6, `seed ${seed}: Hutch++ ${p.estimate} +- ${p.stderr} vs ${truth}`);
  }
  const rms1 = Math.sqrt(e1 / 12);
  const rms2 = Math.sqrt(e2 / 12);
  t.log(`RMS error at ${budget} HVPs: Hutchinson ${rms1.toFixed(3)}, Hutch++ ${rms2.toFixed(3)} (trace ${truth.toFixed(2)})`);
  t.true(rms2 < rms1 / 3, `Hutch++ ${rms2} vs Hutchinson ${rms1}`);
});

test('rejects bad options naming the option and value', (t) => {
  const op = hvpOperator(createQuadraticObjective({ eigenvalues: [1, 2, 3] }));
  t.throws(() => hutchinson(op, { probes: 0 }), { instanceOf: UsageError, message: 'hessian: --probes must be an integer >= 1, got 0' });
  t.throws(() => hutchPlusPlus(op, { probes: 2 }), { instanceOf: UsageError, message: 'hessian: --probes must be an integer >= 3, got 2' });
  t.throws(() => hutchinsonProbes(op, 0, [-1]), { instanceOf: UsageError, message: 'hessian: probe index must be an integer >= 0, got -1' });
  t.throws(() => traceEstimate(op, 'exact' as never), { instanceOf: UsageError, message: /--trace-method must be one of hutchinson, hutch\+\+, got exact/ });
  t.throws(() => summariseTrace([]), { instanceOf: UsageError });
});

test('leaves no tensors behind', (t) => {
  const op = hvpOperator(createQuadraticObjective({ eigenvalues: decaying(40), seed: 6 }));
  assertNoLeak(t, 'hutchinson', () => void hutchinson(op, { probes: 5 }));
  assertNoLeak(t, 'hutchPlusPlus', () => void hutchPlusPlus(op, { probes: 12 }));
});
