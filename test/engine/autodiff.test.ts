import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { valueAndGrad, hessianVectorProduct } from '../../src/engine/autodiff.ts';
import { EngineError } from '../../src/errors.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { seedWeights, makeBatch, type LayerCase } from '../helpers/layerCases.ts';
import { problemFromModel } from '../helpers/derivatives.ts';
import { useBackend } from '../helpers/engine.ts';

test.serial.before(async () => {
  await useBackend('cpu');
});

test.serial('valueAndGrad and hvp of a quadratic 1/2 x\'Ax + b\'x equal Ax + b and Av exactly', (t) => {
  const A = tf.tensor2d([
    [3, 1, 0],
    [1, 2, -1],
    [0, -1, 4],
  ]);
  const b = tf.tensor1d([1, -2, 0.5]);
  const x = tf.variable(tf.tensor1d([0.5, -1, 2]));
  const f = () =>
    tf.add(tf.mul(0.5, tf.sum(tf.mul(x, tf.squeeze(tf.matMul(A, tf.reshape(x, [3, 1])))))), tf.sum(tf.mul(b, x))) as tf.Scalar;
  const { value, grads } = valueAndGrad(f, [x]);
  // at x = (0.5, -1, 2): Ax = (0.5, -3.5, 9), x'Ax = 0.25 + 3.5 + 18 = 21.75, b'x = 0.5 + 2 + 1 = 3.5
  t.true(Math.abs(value - (21.75 / 2 + 3.5)) < 1e-5);
  t.deepEqual(Array.from(grads[0]!.dataSync()), [1.5, -5.5, 9.5]);
  const v = tf.tensor1d([1, 0, -1]);
  const hv = hessianVectorProduct(f, [x], [v]);
  t.deepEqual(Array.from(hv[0]!.dataSync()), [3, 2, -4]);
  tf.dispose([A, b, x, v, ...grads, ...hv]);
});

test.serial('a weight the loss does not use has gradient zero', (t) => {
  const a = tf.variable(tf.scalar(2));
  const unused = tf.variable(tf.tensor1d([1, 2]));
  const { grads } = valueAndGrad(() => tf.square(a) as tf.Scalar, [a, unused]);
  t.deepEqual(Array.from(grads[1]!.dataSync()), [0, 0]);
  tf.dispose([a, unused, ...grads]);
});

test.serial('an HVP with a missing block is an EngineError naming the block, never a silent zero', (t) => {
  const a = tf.variable(tf.scalar(2));
  const linear = tf.variable(tf.scalar(3));
  // d/d(linear) of <grad f, v> is zero with no path: tfjs leaves it undefined.
  const f = () => tf.add(tf.square(a), linear) as tf.Scalar;
  const v = [tf.scalar(1), tf.scalar(1)];
  const err = t.throws(() => hessianVectorProduct(f, [a, linear], v, ['a', 'linear']), { instanceOf: EngineError });
  t.regex(err!.message, /no second derivative for linear/);
  tf.dispose([a, linear, ...v]);
});

test.serial('tf.memory().numTensors is unchanged after 100 gradients and 100 HVPs', (t) => {
  const c: LayerCase = {
    name: 'mem',
    kinked: true,
    loss: 'ce',
    inputShape: [6, 6, 1],
    outputs: 3,
    build: () =>
      tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }),
          tfl.layers.batchNormalization({}),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      }),
  };
  const model = c.build();
  seedWeights(model, createRng(3));
  const { x, y } = makeBatch(c, 4, 1);
  const p = problemFromModel(model, x, y, 'ce');
  const v = pv.randomNormal(pv.shapesOf(p.vars), createRng(5));
  pv.dispose(hessianVectorProduct(p.loss, p.vars, v), valueAndGrad(p.loss, p.vars).grads); // warm-up
  const before = tf.memory().numTensors;
  for (let i = 0; i < 100; i++) {
    pv.dispose(valueAndGrad(p.loss, p.vars).grads);
    pv.dispose(hessianVectorProduct(p.loss, p.vars, v));
  }
  t.is(tf.memory().numTensors, before);
  pv.dispose(v);
  model.dispose();
});
