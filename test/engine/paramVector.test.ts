import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

const shapes = [[2, 3], [3], [1, 1, 2]];
const a = () => pv.unflatten(Float32Array.from({ length: 11 }, (_, i) => i + 1), shapes);
const b = () => pv.unflatten(Float32Array.from({ length: 11 }, (_, i) => (i % 3) - 1), shapes);

test('dot, norm, axpy, add, sub, scale equal their elementwise definitions', (t) => {
  const x = a();
  const y = b();
  const fx = pv.flatten(x);
  const fy = pv.flatten(y);
  let d = 0;
  for (let i = 0; i < 11; i++) d += fx[i]! * fy[i]!;
  t.is(pv.dot(x, y), d);
  t.true(Math.abs(pv.norm(x) - Math.sqrt(Array.from(fx).reduce((s, v) => s + v * v, 0))) < 1e-9);
  t.deepEqual(Array.from(pv.flatten(pv.axpy(2, x, y))), Array.from(fx, (v, i) => 2 * v + fy[i]!));
  t.deepEqual(Array.from(pv.flatten(pv.add(x, y))), Array.from(fx, (v, i) => v + fy[i]!));
  t.deepEqual(Array.from(pv.flatten(pv.sub(x, y))), Array.from(fx, (v, i) => v - fy[i]!));
  t.deepEqual(Array.from(pv.flatten(pv.scale(-0.5, x))), Array.from(fx, (v) => -0.5 * v));
  t.deepEqual(Array.from(pv.flatten(pv.linearCombination([2, -1], [x, y]))), Array.from(fx, (v, i) => 2 * v - fy[i]!));
});

test('operations never change their arguments', (t) => {
  const x = a();
  const y = b();
  const before = [pv.flatten(x), pv.flatten(y)];
  pv.dispose(pv.axpy(3, x, y), pv.add(x, y), pv.sub(x, y), pv.scale(2, x), pv.linearCombination([1, 1], [x, y]));
  t.deepEqual(pv.flatten(x), before[0]);
  t.deepEqual(pv.flatten(y), before[1]);
});

test('flatten and unflatten round-trip shapes and values', (t) => {
  const x = a();
  const back = pv.unflatten(pv.flatten(x), pv.shapesOf(x));
  t.deepEqual(pv.shapesOf(back), shapes);
  t.deepEqual(pv.flatten(back), pv.flatten(x));
  t.is(pv.sizeOf(shapes), 11);
  t.throws(() => pv.unflatten(new Float32Array(10), shapes), { message: /expected 11 values/ });
});

test('mismatched layouts are refused', (t) => {
  const x = a();
  const z = pv.unflatten(new Float32Array(11), [[11]]);
  t.throws(() => pv.dot(x, z), { message: /different layouts/ });
});

test('seeded random vectors: same seed same values, Rademacher entries are +-1, normal moments', (t) => {
  const big = [[200, 50]];
  const r1 = pv.flatten(pv.randomNormal(big, createRng(3)));
  const r2 = pv.flatten(pv.randomNormal(big, createRng(3)));
  const r3 = pv.flatten(pv.randomNormal(big, createRng(4)));
  t.deepEqual(r1, r2);
  t.notDeepEqual(r1, r3);
  const mean = r1.reduce((s, v) => s + v, 0) / r1.length;
  const variance = r1.reduce((s, v) => s + (v - mean) ** 2, 0) / r1.length;
  // 10,000 samples: stderr of the mean is 0.01, of the variance about 0.014; bands are 4 sigma.
  t.true(Math.abs(mean) < 0.04, `mean ${mean}`);
  t.true(Math.abs(variance - 1) < 0.06, `variance ${variance}`);
  const rad = pv.flatten(pv.rademacher(big, createRng(3)));
  t.true(rad.every((v) => v === 1 || v === -1));
  const radMean = rad.reduce((s, v) => s + v, 0) / rad.length;
  t.true(Math.abs(radMean) < 0.04);
});

test('no tensors leak from 1,000 operations', (t) => {
  const x = a();
  const y = b();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 1000; i++) {
    pv.dot(x, y);
    pv.norm(x);
    pv.dispose(pv.axpy(0.1, x, y));
  }
  t.is(tf.memory().numTensors, before);
});
