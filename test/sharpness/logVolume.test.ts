import test from 'ava';
import { createRng } from '../../src/engine/rng.ts';
import { bootstrapInterval, lgamma, logMeanExp, logUnitBallVolume, logVolumeFromRadii } from '../../src/sharpness/logVolume.ts';
import { meanAndStderr, quantiles } from '../../src/sharpness/summaries.ts';

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test('lgamma matches factorials, Gamma(1/2) = sqrt(pi), the reflection formula and Stirling', (t) => {
  let logFact = 0;
  for (let n = 1; n <= 30; n++) {
    t.true(close(lgamma(n), logFact, 1e-13), `lgamma(${n})`);
    logFact += Math.log(n);
  }
  t.true(close(lgamma(0.5), 0.5 * Math.log(Math.PI), 1e-14));
  t.true(close(lgamma(1.5), Math.log(Math.sqrt(Math.PI) / 2), 1e-14));
  t.true(close(lgamma(-0.5), Math.log(2 * Math.sqrt(Math.PI)), 1e-13));
  const x = 1e6 + 0.5;
  const stirling = (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x);
  t.true(close(lgamma(x), stirling, 1e-14));
  t.is(lgamma(0), Infinity);
  t.true(Number.isNaN(lgamma(NaN)));
});

test('log unit-ball volume: pi (d=2), 4 pi / 3 (d=3), pi^2 / 2 (d=4); tiny in high d', (t) => {
  t.true(close(logUnitBallVolume(1), Math.log(2), 1e-14));
  t.true(close(logUnitBallVolume(2), Math.log(Math.PI), 1e-14));
  t.true(close(logUnitBallVolume(3), Math.log((4 * Math.PI) / 3), 1e-14));
  t.true(close(logUnitBallVolume(4), Math.log(Math.PI ** 2 / 2), 1e-14));
  t.true(logUnitBallVolume(1e6) < -5e6);
});

test('logMeanExp is stable for huge and -Infinity arguments', (t) => {
  t.true(close(logMeanExp([1e6, 1e6]), 1e6, 1e-15));
  t.true(close(logMeanExp([0, Math.log(3)]), Math.log(2), 1e-15));
  t.true(close(logMeanExp([-Infinity, 0]), Math.log(0.5), 1e-15));
  t.is(logMeanExp([-Infinity]), -Infinity);
  // one radius dominates in high dimension
  t.true(close(logVolumeFromRadii([1, 2], 1000), logUnitBallVolume(1000) + 1000 * Math.log(2) - Math.log(2), 1e-12));
});

test('bootstrap interval: seeded, ordered, and near the normal interval for a mean', (t) => {
  const rng = createRng(1);
  const xs = Array.from({ length: 400 }, () => rng.normal());
  const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const a = bootstrapInterval(xs, mean, 2000, 0.95, createRng(2));
  const b = bootstrapInterval(xs, mean, 2000, 0.95, createRng(2));
  t.deepEqual(a, b);
  const s = meanAndStderr(xs);
  t.true(a.lo < s.mean && s.mean < a.hi);
  t.true(close(a.hi - a.lo, 2 * 1.96 * s.stderr!, 0.15));
});

test('quantiles (type 7) and mean with standard error', (t) => {
  t.deepEqual(quantiles([5, 1, 3, 2, 4]), { p05: 1.2, p25: 2, p50: 3, p75: 4, p95: 4.8 });
  const m = meanAndStderr([1, 2, 3, 4]);
  t.is(m.mean, 2.5);
  t.true(close(m.stderr!, Math.sqrt(5 / 3 / 4), 1e-15));
  t.is(meanAndStderr([1]).stderr, null);
});
