import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { NumericError } from '../../src/errors.ts';
import { blockGroups, blockKind, layerOf, restrictToBlocks } from '../../src/directions/blockGroups.ts';
import { orthogonalize } from '../../src/directions/orthogonalize.ts';
import { randomDirection, randomUnitDirection } from '../../src/directions/randomDirection.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

const shapes = [[3, 4], [4], [5, 2]];

test('random directions: Gaussian over the shapes, same seed same values, unit variant has norm 1', (t) => {
  const a = randomDirection(shapes, createRng(1));
  const b = randomDirection(shapes, createRng(1));
  const c = randomDirection(shapes, createRng(2));
  t.deepEqual(pv.shapesOf(a), shapes);
  t.deepEqual(pv.flatten(a), pv.flatten(b));
  t.notDeepEqual(pv.flatten(a), pv.flatten(c));
  const u = randomUnitDirection(shapes, createRng(1));
  t.true(Math.abs(pv.norm(u) - 1) < 1e-6);
  const ratio = pv.flatten(u).map((x, i) => x / pv.flatten(a)[i]!);
  t.true(ratio.every((r) => Math.abs(r - ratio[0]!) < 1e-5 * Math.abs(ratio[0]!)), 'the unit direction is the Gaussian one scaled');
  const big = pv.flatten(randomDirection([[100, 100]], createRng(3)));
  const mean = big.reduce((s, x) => s + x, 0) / big.length;
  const variance = big.reduce((s, x) => s + (x - mean) ** 2, 0) / big.length;
  t.true(Math.abs(mean) < 0.04 && Math.abs(variance - 1) < 0.05);
  pv.dispose(a, b, c, u);
});

test('blockGroups: layers from names, kinds from names and shapes', (t) => {
  const names = [
    'conv2d_Conv2D1/kernel',
    'conv2d_Conv2D1/bias',
    'batch_normalization_BatchNormalization1/gamma',
    'batch_normalization_BatchNormalization1/beta',
    'dense_Dense1/kernel',
    'dense_Dense1/bias',
  ];
  const s = [[3, 3, 2, 4], [4], [4], [4], [64, 3], [3]];
  const g = blockGroups(names, s);
  t.deepEqual(
    g.map((x) => [x.layer, x.blocks, x.kinds, x.size]),
    [
      ['conv2d_Conv2D1', [0, 1], ['weight', 'bias'], 76],
      ['batch_normalization_BatchNormalization1', [2, 3], ['bn', 'bn'], 8],
      ['dense_Dense1', [4, 5], ['weight', 'bias'], 195],
    ],
  );
  t.is(layerOf('block0'), 'block0');
  t.is(blockKind('block0', [5]), 'bias');
  t.is(blockKind('bn/moving_mean', [4]), 'bn');
  t.is(t.throws(() => blockGroups(['a'], []))?.constructor, Error, 'our bug, not the user\'s: a plain Error (exit 1)');
});

test('restrictToBlocks zeroes the other blocks and keeps the listed ones', (t) => {
  const v = randomDirection(shapes, createRng(4));
  const r = restrictToBlocks(v, [1]);
  t.true(pv.flatten([r[0]!, r[2]!]).every((x) => x === 0));
  t.deepEqual(pv.flatten([r[1]!]), pv.flatten([v[1]!]));
  t.is(t.throws(() => restrictToBlocks(v, [3]), { message: /block index 3/ })?.constructor, Error);
  pv.dispose(v, r);
});

test('orthogonalize: V\'V = I (unit), original norms kept (original), inputs unchanged, dependence detected', (t) => {
  const vs = [0, 1, 2, 3].map((i) => randomDirection(shapes, createRng(10 + i)));
  const before = vs.map((v) => pv.flatten(v));
  const q = orthogonalize(vs, { rescale: 'unit' });
  for (let i = 0; i < q.length; i++) {
    for (let j = 0; j < q.length; j++) {
      const d = pv.dot(q[i]!, q[j]!);
      t.true(Math.abs(d - (i === j ? 1 : 0)) < 1e-6, `<q${i}, q${j}> = ${d}`);
    }
  }
  t.deepEqual(vs.map((v) => pv.flatten(v)), before);
  const o = orthogonalize(vs, { rescale: 'original' });
  o.forEach((x, i) => t.true(Math.abs(pv.norm(x) - pv.norm(vs[i]!)) < 1e-5 * pv.norm(vs[i]!)));
  t.true(Math.abs(pv.dot(o[0]!, o[1]!)) < 1e-5 * pv.norm(o[0]!) * pv.norm(o[1]!));
  const raw = orthogonalize(vs.slice(0, 2));
  t.deepEqual(pv.flatten(raw[0]!), pv.flatten(vs[0]!), 'the first vector is kept as is');
  const dep = pv.linearCombination([2, -3], [vs[0]!, vs[1]!]);
  t.throws(() => orthogonalize([vs[0]!, vs[1]!, dep]), { instanceOf: NumericError, message: /direction 2 is linearly dependent/ });
  const n0 = tf.memory().numTensors;
  for (let k = 0; k < 10; k++) {
    for (const x of orthogonalize(vs, { rescale: 'unit' })) pv.dispose(x);
    t.throws(() => orthogonalize([vs[0]!, vs[1]!, dep]));
  }
  t.is(tf.memory().numTensors, n0);
  for (const x of [...vs, ...q, ...o, ...raw]) pv.dispose(x);
  pv.dispose(dep);
});
