/**
 * Filter and layer normalisation (Li et al. 2018) on a real tfjs-layers model's weights
 * (conv kernel [kh, kw, in, out], BatchNorm gamma / beta, dense kernel [in, out], biases):
 * each filter (a slice along the last, output axis) of the direction has the norm of the
 * matching weight filter; 1-D blocks are zeroed when ignored, else set to the weights.
 */
import test from 'ava';
import { tf, tfl, type Tensor } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { UsageError } from '../../src/errors.ts';
import { randomDirection } from '../../src/directions/randomDirection.ts';
import { isNorm, NORMS, normalizeDirection, parseIgnore, validateNorm } from '../../src/directions/normalizeDirection.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

function cnn(): { weights: Tensor[]; names: string[]; model: tfl.LayersModel } {
  const L = tfl.layers;
  const model = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3 }),
      L.batchNormalization({}),
      L.flatten(),
      L.dense({ units: 3 }),
    ],
  });
  seedWeights(model, createRng(1));
  const weights = model.trainableWeights.map((w) => w.read().clone());
  const names = model.trainableWeights.map((w) => w.originalName);
  return { weights, names, model };
}

/** Norms of the slices along the last axis. */
function filterNorms(x: Tensor): number[] {
  const out = x.shape[x.shape.length - 1]!;
  const n = tf.tidy(() => tf.norm(tf.reshape(x, [-1, out]), 'euclidean', 0));
  const v = Array.from(n.dataSync());
  n.dispose();
  return v;
}

test('the model has the layout the test expects', (t) => {
  const { names, weights, model } = cnn();
  t.deepEqual(
    names.map((n) => n.slice(n.lastIndexOf('/') + 1)),
    ['kernel', 'bias', 'gamma', 'beta', 'kernel', 'bias'],
  );
  t.deepEqual(pv.shapesOf(weights), [[3, 3, 2, 4], [4], [4], [4], [64, 3], [3]]);
  pv.dispose(weights);
  model.dispose();
});

test('filter normalisation: each filter of the direction has the norm of the matching weight filter', (t) => {
  const { names, weights, model } = cnn();
  const d = randomDirection(pv.shapesOf(weights), createRng(5));
  const f = normalizeDirection(d, weights, { norm: 'filter', ignore: ['bias', 'bn'], names });
  for (const i of [0, 4]) {
    const got = filterNorms(f[i]!);
    const want = filterNorms(weights[i]!);
    t.is(got.length, weights[i]!.shape[weights[i]!.shape.length - 1]);
    got.forEach((g, k) => t.true(Math.abs(g - want[k]!) <= 1e-5 * want[k]!, `block ${i} filter ${k}: ${g} vs ${want[k]}`));
    // within a filter the direction is the random one, only rescaled: f / d is constant per column
    const out = weights[i]!.shape.at(-1)!;
    const [fv, dv] = [pv.flatten([f[i]!]), pv.flatten([d[i]!])];
    for (let k = 0; k < out; k++) {
      const r0 = fv[k]! / dv[k]!;
      for (let j = k; j < fv.length; j += out) t.true(Math.abs(fv[j]! / dv[j]! - r0) <= 1e-5 * Math.abs(r0));
    }
  }
  for (const i of [1, 2, 3, 5]) t.true(pv.flatten([f[i]!]).every((x) => x === 0), `1-D block ${names[i]} is ignored`);
  pv.dispose(d, f, weights);
  model.dispose();
});

test('not ignored, 1-D blocks are set to the weights themselves (reference: d.copy_(w)); ignore bn only zeroes gamma and beta', (t) => {
  const { names, weights, model } = cnn();
  const d = randomDirection(pv.shapesOf(weights), createRng(6));
  const f = normalizeDirection(d, weights, { norm: 'filter', ignore: ['bn'], names });
  t.deepEqual(pv.flatten([f[1]!]), pv.flatten([weights[1]!]));
  t.deepEqual(pv.flatten([f[5]!]), pv.flatten([weights[5]!]));
  t.true(pv.flatten([f[2]!, f[3]!]).every((x) => x === 0));
  const none = normalizeDirection(d, weights, { norm: 'filter', names });
  t.deepEqual(pv.flatten([none[2]!]), pv.flatten([weights[2]!]));
  pv.dispose(d, f, none, weights);
  model.dispose();
});

test('layer normalisation: each block has the norm of the matching weight block; none leaves the direction as drawn', (t) => {
  const { names, weights, model } = cnn();
  const d = randomDirection(pv.shapesOf(weights), createRng(7));
  const l = normalizeDirection(d, weights, { norm: 'layer', ignore: ['bias', 'bn'], names });
  for (const i of [0, 4]) {
    const [a, b] = [pv.norm([l[i]!]), pv.norm([weights[i]!])];
    t.true(Math.abs(a - b) <= 1e-5 * b);
  }
  const n = normalizeDirection(d, weights, { norm: 'none', names });
  t.deepEqual(pv.flatten(n), pv.flatten(d));
  const nb = normalizeDirection(d, weights, { norm: 'none', ignore: ['bias'], names });
  t.true(pv.flatten([nb[1]!, nb[5]!]).every((x) => x === 0));
  t.deepEqual(pv.flatten([nb[2]!]), pv.flatten([d[2]!]), 'bn blocks kept when only bias is ignored');
  pv.dispose(d, l, n, nb, weights);
  model.dispose();
});

test('inputs are not changed; results are owned; memory is flat', (t) => {
  const { names, weights, model } = cnn();
  const d = randomDirection(pv.shapesOf(weights), createRng(8));
  const before = [pv.flatten(d), pv.flatten(weights)];
  pv.dispose(normalizeDirection(d, weights, { norm: 'filter', names }));
  t.deepEqual([pv.flatten(d), pv.flatten(weights)], before);
  const n0 = tf.memory().numTensors;
  for (let k = 0; k < 20; k++) {
    for (const norm of NORMS) pv.dispose(normalizeDirection(d, weights, { norm, ignore: k % 2 ? ['bias', 'bn'] : [], names }));
  }
  t.is(tf.memory().numTensors, n0);
  pv.dispose(d, weights);
  model.dispose();
});

test('vocabulary: Norm and --ignore parsing', (t) => {
  t.deepEqual(NORMS, ['none', 'layer', 'filter']);
  t.true(isNorm('filter'));
  t.false(isNorm('weight'));
  t.throws(() => validateNorm('weight', 'landscape'), { instanceOf: UsageError, message: 'landscape: --norm must be one of none, layer, filter, got weight' });
  t.deepEqual(parseIgnore('bias,bn'), ['bias', 'bn']);
  t.deepEqual(parseIgnore(['bn', 'bias', 'bn']), ['bias', 'bn']);
  t.deepEqual(parseIgnore('none'), []);
  t.deepEqual(parseIgnore(''), []);
  t.deepEqual(parseIgnore(undefined), []);
  t.throws(() => parseIgnore('bias,weights'), { instanceOf: UsageError, message: /--ignore must be a list of bias, bn \(or none\), got weights/ });
  const w = [tf.zeros([2, 2])];
  const bad = [tf.zeros([4])];
  t.throws(() => normalizeDirection(bad, w, { norm: 'filter' }), { instanceOf: Error, message: /different layouts/ });
  pv.dispose(w, bad);
});
