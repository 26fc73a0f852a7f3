/**
 * The sets' operations on e: projection (feasible, idempotent, Euclidean where closed-form),
 * the set norm, uniform random points (inside; for l2 the radius has P(|z| <= s r) = s^d), and
 * the steepest-ascent step (max of <g, e>: r ||t g||_2 for l2 sets, r sum t_i |g_i| for linf / box).
 */
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { UsageError } from '../../src/errors.ts';
import {
  createPerturbationSet,
  projectToSet,
  randomPointInSet,
  setNorm,
  steepestAscent,
  type BallNorm,
} from '../../src/sharpness/perturbationSet.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

const shapes = [[2, 3], [3]];
const wValues = [0.5, -1, 2, 0, 0.25, -3, 1, -0.5, 0];
const w = () => pv.unflatten(wValues, shapes);
const cases: [BallNorm, boolean][] = [
  ['l2', false],
  ['l2', true],
  ['linf', false],
  ['linf', true],
  ['box', false],
];
const scaleOf = (norm: BallNorm, adaptive: boolean) => wValues.map((x) => (norm === 'box' ? Math.abs(x) + 1 : adaptive ? Math.abs(x) : 1));

test('projection lands in the set, is idempotent, and fixes points already inside', (t) => {
  const wv = w();
  for (const [norm, adaptive] of cases) {
    const set = createPerturbationSet(norm, wv, { adaptive });
    const e = pv.scale(5, pv.randomNormal(shapes, createRng(1)));
    const p = projectToSet(set, 0.3, e);
    t.true(setNorm(set, p) <= 0.3 * (1 + 1e-6), `${norm} ${adaptive}`);
    const pp = projectToSet(set, 0.3, p);
    t.deepEqual(pv.flatten(pp), pv.flatten(p));
    const inside = randomPointInSet(set, 0.3, createRng(2));
    const pin = projectToSet(set, 0.3, inside);
    pv.flatten(pin).forEach((x, i) => t.true(Math.abs(x - pv.flatten(inside)[i]!) <= 1e-6));
    if (adaptive) {
      // coordinates with w_i = 0 cannot move
      t.is(pv.flatten(p)[3], 0);
      t.is(pv.flatten(p)[8], 0);
    }
    if (!adaptive && norm !== 'l2') {
      // clipping to [-r t_i, r t_i] is the Euclidean projection
      const s = scaleOf(norm, adaptive);
      pv.flatten(p).forEach((x, i) => {
        const ei = pv.flatten(e)[i]!;
        t.true(Math.abs(x - Math.max(-0.3 * s[i]!, Math.min(0.3 * s[i]!, ei))) <= 1e-6);
      });
    }
    pv.dispose(e, p, pp, inside, pin);
    set.dispose();
  }
  pv.dispose(wv);
});

test('setNorm: ||e / t||_p; Infinity when a zero-scale coordinate moves', (t) => {
  const wv = w();
  const e = pv.unflatten([1, 1, 1, 0, 1, 1, 1, 1, 0], shapes);
  const l2 = createPerturbationSet('l2', wv);
  t.true(Math.abs(setNorm(l2, e) - Math.sqrt(7)) < 1e-6);
  const box = createPerturbationSet('box', wv);
  t.true(Math.abs(setNorm(box, e) - 1 / 1.25) < 1e-6);
  const al = createPerturbationSet('linf', wv, { adaptive: true });
  t.true(Math.abs(setNorm(al, e) - 1 / 0.25) < 1e-6);
  const moved = pv.unflatten([0, 0, 0, 1, 0, 0, 0, 0, 0], shapes);
  t.is(setNorm(al, moved), Infinity);
  pv.dispose(wv, e, moved);
  for (const s of [l2, box, al]) s.dispose();
});

test('random points: inside the set; l2 radii distributed as r U^(1/d); seeded', (t) => {
  const wv = w();
  for (const [norm, adaptive] of cases) {
    const set = createPerturbationSet(norm, wv, { adaptive });
    for (let j = 0; j < 20; j++) {
      const p = randomPointInSet(set, 0.7, createRng(j));
      t.true(setNorm(set, p) <= 0.7 * (1 + 1e-6));
      pv.dispose(p);
    }
    set.dispose();
  }
  const set = createPerturbationSet('l2', wv);
  const n = 2000;
  let below = 0;
  for (let j = 0; j < n; j++) {
    const p = randomPointInSet(set, 1, createRng(100 + j));
    if (pv.norm(p) <= 0.9) below++;
    pv.dispose(p);
  }
  const expected = 0.9 ** 9;
  t.true(Math.abs(below / n - expected) < 4 * Math.sqrt((expected * (1 - expected)) / n), `${below / n} vs ${expected}`);
  const [a, b] = [randomPointInSet(set, 1, createRng(5)), randomPointInSet(set, 1, createRng(5))];
  t.deepEqual(pv.flatten(a), pv.flatten(b));
  pv.dispose(a, b, wv);
  set.dispose();
});

test('steepest ascent maximises <g, e> over the set', (t) => {
  const wv = w();
  const g = pv.randomNormal(shapes, createRng(9));
  const gf = pv.flatten(g);
  for (const [norm, adaptive] of cases) {
    const set = createPerturbationSet(norm, wv, { adaptive });
    const s = scaleOf(norm, adaptive);
    const e = steepestAscent(set, 0.4, g);
    const value = pv.dot(g, e);
    const exact =
      norm === 'l2'
        ? 0.4 * Math.sqrt(gf.reduce((acc, x, i) => acc + (x * s[i]!) ** 2, 0))
        : 0.4 * gf.reduce((acc, x, i) => acc + Math.abs(x) * s[i]!, 0);
    t.true(Math.abs(value - exact) <= 1e-5 * exact, `${norm} ${adaptive}: ${value} vs ${exact}`);
    t.true(setNorm(set, e) <= 0.4 * (1 + 1e-6));
    for (let j = 0; j < 10; j++) {
      const p = randomPointInSet(set, 0.4, createRng(j));
      t.true(pv.dot(g, p) <= value);
      pv.dispose(p);
    }
    pv.dispose(e);
    set.dispose();
  }
  const zero = pv.zerosLike(g);
  const set = createPerturbationSet('l2', wv);
  const e0 = steepestAscent(set, 1, zero);
  t.is(pv.norm(e0), 0);
  pv.dispose(g, zero, e0, wv);
  set.dispose();
});

test('validation and memory', (t) => {
  const wv = w();
  t.throws(() => createPerturbationSet('box', wv, { adaptive: true }), { instanceOf: UsageError, message: /--adaptive applies to --norm l2 and linf/ });
  t.throws(() => createPerturbationSet('l3' as never, wv), { instanceOf: UsageError, message: /--norm must be one of box, l2, linf, got l3/ });
  const set = createPerturbationSet('l2', wv);
  t.throws(() => projectToSet(set, 0, wv), { instanceOf: UsageError, message: /radius must be a positive number, got 0/ });
  set.dispose();
  const n0 = tf.memory().numTensors;
  for (let k = 0; k < 10; k++) {
    for (const [norm, adaptive] of cases) {
      const s = createPerturbationSet(norm, wv, { adaptive });
      const p = randomPointInSet(s, 0.5, createRng(k));
      pv.dispose(projectToSet(s, 0.2, p), steepestAscent(s, 0.2, p), p);
      setNorm(s, wv);
      s.dispose();
    }
  }
  t.is(tf.memory().numTensors, n0);
  pv.dispose(wv);
});
