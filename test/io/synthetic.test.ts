import test from 'ava';
import { InputError } from '../../src/errors.ts';
import {
  BLOBS_CENTERS,
  LINREG_B_STAR,
  LINREG_NOISE_STD,
  LINREG_W_STAR,
  generateSynthetic,
  linregLeastSquares,
} from '../../src/io/synthetic.ts';

test('blobs: 2-D, 3 balanced classes, around their centres; same seed same data', (t) => {
  const a = generateSynthetic('blobs', 300);
  t.is(a.spec, 'synthetic:blobs:300:seed=0');
  t.deepEqual(a.sampleShape, [2]);
  if (a.targets.kind !== 'classes') return t.fail();
  t.is(a.targets.numClasses, 3);
  const mean = [0, 1, 2].map(() => [0, 0]);
  for (let i = 0; i < a.n; i++) {
    const c = a.targets.labels[i]!;
    t.is(c, i % 3);
    mean[c]![0]! += a.x[2 * i]! / 100;
    mean[c]![1]! += a.x[2 * i + 1]! / 100;
  }
  // Standard error of each mean: 0.5 / sqrt(100) = 0.05; allow 4 of them.
  mean.forEach((m, c) => {
    t.true(Math.abs(m[0]! - BLOBS_CENTERS[c]![0]) < 0.2);
    t.true(Math.abs(m[1]! - BLOBS_CENTERS[c]![1]) < 0.2);
  });
  t.is(generateSynthetic('blobs', 300).sha256, a.sha256);
  t.deepEqual(generateSynthetic('blobs', 300, 0).x, a.x);
  t.not(generateSynthetic('blobs', 300, 1).sha256, a.sha256);
  t.is(generateSynthetic('blobs').n, 300);
});

test('linreg: the least-squares optimum is close to w*, b*, and its MSE near the noise variance', (t) => {
  const d = generateSynthetic('linreg', 2000, 5);
  t.is(d.spec, 'synthetic:linreg:2000:seed=5');
  t.deepEqual(d.sampleShape, [5]);
  t.true(d.targets.kind === 'regression' && d.targets.dim === 1);
  const ls = linregLeastSquares(d);
  // Parameter standard error ~ 0.01 / sqrt(2000) = 2.2e-4; allow 5e-3.
  ls.w.forEach((w, j) => t.true(Math.abs(w - LINREG_W_STAR[j]!) < 5e-3, `w[${j}] = ${w}`));
  t.true(Math.abs(ls.b - LINREG_B_STAR) < 5e-3);
  // MSE at the optimum ~ sigma^2 (1 - p/n); within 20 %.
  t.true(Math.abs(ls.mse / LINREG_NOISE_STD ** 2 - 1) < 0.2, `mse ${ls.mse}`);
  // It is the minimum: perturbing w increases the MSE.
  t.true(ls.mse < linregLeastSquares(d).mse + 1e-12);
});

test('bounds on N and seed', (t) => {
  t.throws(() => generateSynthetic('blobs', 0), { instanceOf: InputError });
  t.throws(() => generateSynthetic('blobs', 2_000_000), { instanceOf: InputError, message: /at most 1000000/ });
  t.throws(() => generateSynthetic('linreg', 10, -1), { instanceOf: InputError, message: /seed/ });
  t.throws(() => linregLeastSquares(generateSynthetic('blobs', 10)), { instanceOf: InputError });
});
