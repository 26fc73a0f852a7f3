/**
 * Guards on the tfjs internals our fixes depend on. If a tfjs upgrade fixes a defect or
 * changes an internal we rely on, one of these fails and tells us to revisit
 * src/engine/secondOrderGradients.ts rather than carry a stale patch.
 */
import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { ORIGINAL_GRADIENTS, PATCHED_GRADIENTS } from '../../src/engine/secondOrderGradients.ts';
import { createRng } from '../../src/engine/rng.ts';
import { seedWeights, makeBatch, type LayerCase } from '../helpers/layerCases.ts';
import { problemFromModel, hvp, hvpFD, relativeError, unitDirection } from '../helpers/derivatives.ts';
import { useBackend } from '../helpers/engine.ts';
import * as pv from '../../src/engine/paramVector.ts';

test.serial.before(async () => {
  await useBackend('cpu');
});

test.serial('the fixes are written for tfjs-core 4.22.0', (t) => {
  t.is(tf.version_core, '4.22.0');
});

test.serial('every patched kernel has our gradient registered', (t) => {
  for (const k of PATCHED_GRADIENTS) {
    const g = tf.getGradient(k);
    t.truthy(g, k);
    t.not(g, ORIGINAL_GRADIENTS.get(k), `${k} still has tfjs's gradient`);
  }
});

test.serial('internal API relied on: engine().gradients(f, xs, dy, allowNoGradients) leaves unrelated blocks undefined', (t) => {
  const a = tf.scalar(2);
  const b = tf.scalar(3);
  const { grads, value } = tf.engine().gradients(() => tf.mul(a, a) as tf.Scalar, [a, b], undefined as unknown as tf.Tensor, true);
  t.is(value.dataSync()[0], 4);
  t.is(grads[0]!.dataSync()[0], 4);
  t.true(grads[1] === undefined);
});

function sigmoidCase(): LayerCase {
  return {
    name: 'sigmoid canary',
    kinked: false,
    loss: 'mse',
    inputShape: [3],
    outputs: 2,
    build: () =>
      tfl.sequential({
        layers: [tfl.layers.dense({ units: 3, inputShape: [3], activation: 'sigmoid' }), tfl.layers.dense({ units: 2 })],
      }),
  };
}

test.serial("canary: tfjs 4.22's own Sigmoid gradient still gives a silently wrong HVP", (t) => {
  const c = sigmoidCase();
  const model = c.build();
  seedWeights(model, createRng(1));
  const { x, y } = makeBatch(c, 4, 2);
  const p = problemFromModel(model, x, y, 'mse');
  const v = unitDirection(p, 3);
  const fd = hvpFD(p, v, 1e-2);
  const ours = tf.getGradient('Sigmoid')!;
  tf.registerGradient(ORIGINAL_GRADIENTS.get('Sigmoid')!);
  let wrong: number;
  try {
    const hv = hvp(p, v);
    wrong = relativeError(hv, fd);
    pv.dispose(hv);
  } finally {
    tf.registerGradient(ours);
  }
  const hv = hvp(p, v);
  const right = relativeError(hv, fd);
  t.true(wrong > 0.05, `tfjs's Sigmoid gradient now gives a correct HVP (error ${wrong}): drop the patch?`);
  t.true(right < 2e-3, `patched: ${right}`);
  pv.dispose(hv, v, fd);
  model.dispose();
});

test.serial("canary: tfjs 4.22 has no gradient for Conv2DBackpropFilter, MaxPoolGrad or comparisons", (t) => {
  for (const k of ['Conv2DBackpropFilter', 'MaxPoolGrad', 'Equal', 'Greater', 'LogicalAnd']) {
    t.is(ORIGINAL_GRADIENTS.get(k), undefined, `${k} now has a gradient in tfjs: review our registration`);
  }
});

test.serial('Tile gradient: one BatchNorm-CNN HVP issues a bounded number of kernels (tfjs issued ~86,000)', async (t) => {
  const L = tfl.layers;
  const model = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [12, 12, 1], filters: 8, kernelSize: 3 }),
      L.batchNormalization({}),
      L.activation({ activation: 'relu' }),
      L.flatten(),
      L.dense({ units: 3 }),
    ],
  });
  seedWeights(model, createRng(2));
  const c = { name: '', kinked: true, loss: 'ce' as const, inputShape: [12, 12, 1], outputs: 3, build: () => model };
  const { x, y } = makeBatch(c, 16, 3);
  const p = problemFromModel(model, x, y, 'ce', { training: true });
  const v = unitDirection(p, 1);
  const info = await tf.profile(() => {
    pv.dispose(hvp(p, v));
  });
  t.true(info.kernels.length < 1500, `${info.kernels.length} kernels for one HVP`);
  pv.dispose(v);
  model.dispose();
});
