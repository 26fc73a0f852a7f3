/**
 * volume against closed forms on quadratics L = L0 + (1/2) e'He:
 * - along every sampled unit direction u, r(u) = sqrt(2 delta / u'Hu), to the bisection's
 *   relative tolerance (1e-3; the midpoint is within tol/2);
 * - the region {e : e'He / 2 < delta} is an ellipsoid of log volume
 *   log V_d + sum_i (1/2) log(2 delta / lambda_i); for small d the estimate's bootstrap
 *   interval contains it (fixed seed);
 * - censoring at maxRadius, per-layer dimensions, seeds, validation, memory.
 */
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { UsageError } from '../../src/errors.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { flatVolume, radiusAlong, volumeDirection, volumeDirectionRng, type VolumeOptions } from '../../src/sharpness/flatVolume.ts';
import { logUnitBallVolume } from '../../src/sharpness/logVolume.ts';
import { useBackend } from '../helpers/engine.ts';
import { quadForm, relClose } from './quadraticHelpers.ts';

test.before(async () => {
  await useBackend('cpu');
});

test('r(u) = sqrt(2 delta / u\'Hu) for every sampled direction', (t) => {
  const eig = [3, 1, 0.5, 0.2, 0.05];
  const d = eig.length;
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 2, center: [0.3, -0.2, 1, 0, 2], baseLoss: 0.7 });
  const delta = 0.1;
  const r = flatVolume(q, { delta, directions: 30, seed: 5, bootstrap: 100 });
  t.is(r.dimension, d);
  t.is(r.radii.length, 30);
  t.is(r.censored.count, 0);
  t.is(r.baseLoss, 0.7);
  for (let i = 0; i < 30; i++) {
    const u = volumeDirection(q.params, { norm: 'none', ignore: [], names: q.names }, volumeDirectionRng(5, i));
    const uf = pv.flatten(u);
    t.true(Math.abs(pv.norm(u) - 1) < 1e-6);
    const exact = Math.sqrt((2 * delta) / quadForm(q.hessian, d, uf));
    t.true(relClose(r.radii[i]!, exact, 1e-3), `direction ${i}: ${r.radii[i]} vs ${exact}`);
    pv.dispose(u);
  }
  const sorted = [...r.radii].sort((a, b) => a - b);
  t.true(r.quantiles.p05 <= r.quantiles.p25 && r.quantiles.p25 <= r.quantiles.p50 && r.quantiles.p50 <= r.quantiles.p75);
  t.true(r.quantiles.p95 <= sorted[29]! && r.quantiles.p05 >= sorted[0]!);
  const gm = Math.exp(r.radii.reduce((s, x) => s + Math.log(x), 0) / 30);
  t.true(relClose(r.geometricMeanRadius, gm, 1e-12));
  q.dispose();
});

test('radiusAlong: bracketing from above (halving) and from below (doubling) meet the same crossing', (t) => {
  const q = createQuadraticObjective({ hessian: [[2]], center: [0] });
  const u = [tf.tensor1d([1])];
  // (1/2) 2 r^2 = delta  =>  r = sqrt(delta)
  for (const initialRadius of [1e-4, 0.3, 50]) {
    const s = radiusAlong(q, q.params, u, 0, 0.25, { initialRadius, maxRadius: 100, tolerance: 1e-6 });
    t.true(relClose(s.radius, 0.5, 1e-6), `${initialRadius}: ${s.radius}`);
    t.false(s.censored);
    t.true(s.lo < s.hi && s.hi - s.lo <= 1e-6 * s.hi && relClose(s.lo, 0.5, 1e-6));
  }
  const c = radiusAlong(q, q.params, u, 0, 0.25, { initialRadius: 0.01, maxRadius: 0.3, tolerance: 1e-3 });
  t.deepEqual([c.radius, c.censored], [0.3, true]);
  pv.dispose(u);
  q.dispose();
});

test('log-volume: the bootstrap interval contains the ellipsoid volume log V_d + sum (1/2) log(2 delta / lambda_i)', (t) => {
  for (const eig of [[1.5, 1, 0.7], [2, 1.2, 1, 0.6]]) {
    const d = eig.length;
    const delta = 0.05;
    const q = createQuadraticObjective({ eigenvalues: eig, seed: 1 });
    const r = flatVolume(q, { delta, directions: 400, seed: 3 });
    const exact = logUnitBallVolume(d) + eig.reduce((s, l) => s + 0.5 * Math.log((2 * delta) / l), 0);
    const [lo, hi] = r.logVolumeCI;
    t.true(lo <= exact && exact <= hi, `d=${d}: ${exact} not in [${lo}, ${hi}] (estimate ${r.logVolume})`);
    t.true(lo <= r.logVolume && r.logVolume <= hi);
    t.true(hi - lo < 0.5, 'the interval is informative');
    t.is(r.confidence, 0.95);
    t.false(r.lowerBound);
    q.dispose();
  }
});

test('censored radii enter at maxRadius and mark the estimate as a lower bound', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [1, 1e-6], seed: 4 });
  const r = flatVolume(q, { delta: 0.5, directions: 40, maxRadius: 3, seed: 1, bootstrap: 200 });
  t.true(r.censored.count > 0 && r.censored.count < 40);
  t.true(r.lowerBound);
  for (const i of r.censored.indices) t.is(r.radii[i], 3);
  t.true(r.radii.every((x) => x <= 3));
  q.dispose();
});

test('per layer: directions within one layer, d = that layer\'s size; radii match the restricted Hessian', (t) => {
  const q = createQuadraticObjective({
    eigenvalues: [2, 1, 0.5, 0.3, 0.1],
    seed: 6,
    shapes: [[2], [3]],
  });
  // names are block0, block1: one layer each
  const delta = 0.2;
  const r = flatVolume(q, { delta, directions: 10, perLayer: true, seed: 2, bootstrap: 100 });
  t.is(r.dimension, 5);
  t.deepEqual(r.perLayer!.map((l) => [l.layer, l.dimension, l.blocks]), [
    ['block0', 2, [0]],
    ['block1', 3, [1]],
  ]);
  r.perLayer!.forEach((layer, k) => {
    for (let i = 0; i < 10; i++) {
      const u = volumeDirection(q.params, { norm: 'none', ignore: [], names: q.names, blocks: layer.blocks }, volumeDirectionRng(2, i, k));
      const uf = pv.flatten(u);
      const other = k === 0 ? uf.slice(2) : uf.slice(0, 2);
      t.true(other.every((x) => x === 0), 'the direction stays in its layer');
      t.true(relClose(layer.radii[i]!, Math.sqrt((2 * delta) / quadForm(q.hessian, 5, uf)), 1e-3));
      pv.dispose(u);
    }
  });
  q.dispose();
});

test('same seed, same numbers', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [1, 0.5, 0.25], seed: 1 });
  const opts: VolumeOptions = { delta: 0.1, directions: 8, seed: 9, bootstrap: 50, perLayer: true };
  const a = flatVolume(q, opts);
  const b = flatVolume(q, opts);
  t.deepEqual({ ...a, cost: null }, { ...b, cost: null });
  t.is(a.seed, 9);
  t.notDeepEqual(a.radii, flatVolume(q, { ...opts, seed: 10 }).radii);
  q.dispose();
});

test('validation names the option and the bad value', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [1, 0.5], seed: 1 });
  const bad: [Partial<VolumeOptions>, RegExp][] = [
    [{ delta: 0 }, /volume: --delta must be a positive number, got 0/],
    [{ delta: -1 }, /--delta must be a positive number, got -1/],
    [{ directions: 0 }, /volume: --directions must be an integer in 1..100000, got 0/],
    [{ directions: 2.5 }, /--directions must be an integer in 1..100000, got 2.5/],
    [{ maxRadius: 0 }, /volume: --max-radius must be a positive number, got 0/],
    [{ tolerance: 1 }, /volume: --tolerance must be in \(0, 1\), got 1/],
    [{ confidence: 0 }, /--confidence must be in \(0, 1\), got 0/],
    [{ bootstrap: 0 }, /--bootstrap must be an integer in 1..100000, got 0/],
    [{ norm: 'unit' as never }, /volume: --norm must be one of none, layer, filter, got unit/],
    [{ ignore: ['weights' as never] }, /--ignore must be a list of bias, bn, got weights/],
  ];
  for (const [patch, message] of bad) {
    t.throws(() => flatVolume(q, { delta: 0.1, directions: 2, ...patch }), { instanceOf: UsageError, message });
  }
  q.dispose();
});

test('memory: tf.memory().numTensors is unchanged after many calls', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [1, 0.5, 0.2], seed: 1, shapes: [[1], [2]] });
  flatVolume(q, { delta: 0.1, directions: 2, bootstrap: 10 });
  const before = tf.memory().numTensors;
  for (let k = 0; k < 5; k++) {
    for (const norm of ['none', 'layer', 'filter'] as const) {
      flatVolume(q, { delta: 0.1, directions: 3, bootstrap: 10, norm, perLayer: true, seed: k, maxRadius: k + 1 });
    }
  }
  t.is(tf.memory().numTensors, before);
  q.dispose();
});
