import test from 'ava';
import { dualExponent, parseP, pNorm, samPerturbation } from '../../src/training/samPerturbation.ts';

const g = [3, -4, 0, 1];
const rho = 0.5;
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-14) =>
  a.length === b.length && Array.from(a).every((x, i) => Math.abs(x - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)));

test('p = 2: e = rho g / ||g||_2, by hand', (t) => {
  const n = Math.sqrt(9 + 16 + 0 + 1);
  const e = samPerturbation(g, { rho, p: 2 });
  t.true(close(e, g.map((x) => (rho * x) / n)));
  t.true(Math.abs(pNorm(e, 2) - rho) < 1e-15);
});

test('p = inf: e = rho sign(g), by hand', (t) => {
  t.deepEqual(Array.from(samPerturbation(g, { rho, p: Infinity })), [rho, -rho, 0, rho]);
  t.is(parseP('inf'), Infinity);
  t.is(dualExponent(Infinity), 1);
});

test('p = 3: e = rho sign(g) |g|^(q-1) / (||g||_q^q)^(1/p), q = 3/2, by hand; ||e||_3 = rho', (t) => {
  const q = 1.5;
  const s = g.reduce((a, x) => a + Math.abs(x) ** q, 0);
  const hand = g.map((x) => (rho * Math.sign(x) * Math.abs(x) ** (q - 1)) / s ** (1 / 3));
  const e = samPerturbation(g, { rho, p: 3 });
  t.true(close(e, hand, 1e-13));
  t.true(Math.abs(pNorm(e, 3) - rho) < 1e-13);
});

test('adaptive (ASAM), p = 2: e = rho T_w^2 g / ||T_w g||_2 with T_w = |w| (+ eta)', (t) => {
  const w = [0.5, -2, 1, 0];
  for (const eta of [0, 0.01]) {
    const T = w.map((x) => Math.abs(x) + eta);
    const tg = g.map((x, i) => T[i]! * x);
    const n = Math.sqrt(tg.reduce((a, x) => a + x * x, 0));
    const hand = g.map((x, i) => (rho * T[i]! * T[i]! * x) / n);
    t.true(close(samPerturbation(g, { rho, p: 2, adaptive: true, eta }, w), hand, 1e-14));
  }
  // p = inf: rho T_w sign(g)
  t.true(close(samPerturbation(g, { rho, p: Infinity, adaptive: true }, w), [0.25, -1, 0, 0]));
});

test('invariant to the scale of g (numerically stable for p near 1); zero gradient gives zero', (t) => {
  const a = samPerturbation(g, { rho, p: 1.1 });
  const b = samPerturbation(g.map((x) => x * 1e-30), { rho, p: 1.1 });
  t.true(close(a, b, 1e-12));
  t.true(Math.abs(pNorm(a, 1.1) - rho) < 1e-12);
  t.deepEqual(Array.from(samPerturbation([0, 0], { rho, p: 2 })), [0, 0]);
  t.deepEqual(Array.from(samPerturbation([0, 0], { rho, p: 3 })), [0, 0]);
});

test('--p <= 1, a non-number, a negative rho, and adaptive without weights are refused naming the option', (t) => {
  t.throws(() => parseP(1), { message: /--p must be a number > 1 or inf, got 1/ });
  t.throws(() => parseP('0.5'), { message: /--p .* got 0.5/ });
  t.throws(() => parseP('two'), { message: /--p .* got two/ });
  t.throws(() => samPerturbation(g, { rho: -1, p: 2 }), { message: /--rho must be a finite number >= 0, got -1/ });
  t.throws(() => samPerturbation(g, { rho, p: 2, adaptive: true }), { message: /adaptive SAM needs the weights/ });
});
