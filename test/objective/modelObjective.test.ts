/**
 * The model objective: exact full-dataset values whatever the chunk size, a hand-computed
 * loss and accuracy, weights restored bit-exactly, BatchNorm running statistics untouched,
 * and the HVP of the whole dataset equal to a central difference of its gradient.
 */
import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { makeDataset } from '../../src/io/makeDataset.ts';
import { createModelObjective } from '../../src/objective/modelObjective.ts';
import { Loss } from '../../src/objective/losses.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

const L = tfl.layers;

function cnn() {
  const m = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3 }),
      L.batchNormalization({}),
      L.activation({ activation: 'tanh' }),
      L.flatten(),
      L.dropout({ rate: 0.3 }),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(m, createRng(4));
  return m;
}

function blobsData(n: number, seed: number) {
  const rng = createRng(seed);
  const x = Float32Array.from({ length: n * 25 }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.int(0, 2));
  return makeDataset(`test:${n}`, [5, 5, 1], x, { kind: 'classes', labels, numClasses: 3 });
}

test.serial('loss, gradient and HVP are the same for chunk sizes 1, 7 and N (to float32 rounding)', async (t) => {
  const model = cnn();
  const data = blobsData(23, 1);
  const results = [];
  for (const batchSize of [1, 7, 23]) {
    const o = await createModelObjective(model, data, { loss: Loss.ce, batchSize, l2: 0.01 });
    const v = pv.randomNormal(o.shapes, createRng(9));
    const { value, grad } = o.grad(o.params);
    const hv = o.hvp(o.params, v);
    results.push({ loss: o.loss(o.params), value, grad: pv.flatten(grad), hv: pv.flatten(hv) });
    pv.dispose(v, grad, hv);
    o.dispose();
  }
  const [a, ...rest] = results;
  for (const r of rest) {
    t.true(Math.abs(r.loss - a!.loss) < 1e-6 * Math.abs(a!.loss));
    t.true(Math.abs(r.value - a!.loss) < 1e-6 * Math.abs(a!.loss));
    const rel = (x: Float32Array, y: Float32Array) =>
      Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0) / y.reduce((s, v) => s + v * v, 0));
    t.true(rel(r.grad, a!.grad) < 1e-5, `grad ${rel(r.grad, a!.grad)}`);
    t.true(rel(r.hv, a!.hv) < 1e-5, `hvp ${rel(r.hv, a!.hv)}`);
  }
  model.dispose();
});

test.serial('loss and accuracy of a known linear model equal a hand computation (softmax folded into ce)', async (t) => {
  const model = tfl.sequential({ layers: [L.dense({ inputShape: [2], units: 2, activation: 'softmax' })] });
  model.setWeights([tf.tensor2d([[1, 0], [0, 1]]), tf.tensor1d([0, 0])]);
  const x = Float32Array.from([2, 0, 0, 1, 1, 3]); // three samples
  const labels = Int32Array.from([0, 0, 1]);
  const data = makeDataset('hand', [2], x, { kind: 'classes', labels, numClasses: 2 });
  const o = await createModelObjective(model, data, { loss: Loss.ce, batchSize: 2 });
  // logits = x; ce_i = log(e^a + e^b) - z_y
  const ce = (a: number, b: number, y: number) => Math.log(Math.exp(a) + Math.exp(b)) - (y === 0 ? a : b);
  const expected = (ce(2, 0, 0) + ce(0, 1, 0) + ce(1, 3, 1)) / 3;
  const { loss, accuracy } = o.lossAndAccuracy(o.params);
  t.true(Math.abs(loss - expected) < 1e-6, `${loss} vs ${expected}`);
  t.is(accuracy, 2 / 3); // sample 2 predicts class 1 but is labelled 0
  o.dispose();
  model.dispose();
});

test.serial('evaluating at w + d restores the weights bit-exactly and never touches the caller\'s model', async (t) => {
  const model = cnn();
  const before = model.getWeights().map((w) => w.dataSync().slice());
  const data = blobsData(10, 2);
  const o = await createModelObjective(model, data, { loss: Loss.ce, bn: 'train' });
  const params0 = pv.flatten(o.params);
  const d = pv.randomNormal(o.shapes, createRng(1));
  const w = pv.axpy(0.1, d, o.params);
  const l0 = o.loss(o.params);
  o.loss(w);
  pv.dispose(o.grad(w).grad, o.hvp(w, d));
  t.is(o.loss(o.params), l0);
  t.deepEqual(pv.flatten(o.params), params0);
  model.getWeights().forEach((x, i) => t.deepEqual(x.dataSync(), before[i]));
  t.deepEqual(o.cost, { lossEvaluations: 3, gradients: 1, hvps: 1 });
  pv.dispose(d, w);
  o.dispose();
  model.dispose();
});

test.serial('--bn train uses batch statistics, leaves running statistics unchanged, and is deterministic despite dropout', async (t) => {
  const model = cnn();
  const data = blobsData(12, 3);
  const evalObj = await createModelObjective(model, data, { loss: Loss.ce, bn: 'eval' });
  const trainObj = await createModelObjective(model, data, { loss: Loss.ce, bn: 'train', batchSize: 12 });
  const a = trainObj.loss(trainObj.params);
  const b = trainObj.loss(trainObj.params);
  t.is(a, b);
  t.not(a, evalObj.loss(evalObj.params));
  // running statistics: compare the analysis copy's loss in eval mode before and after train-mode passes
  const again = await createModelObjective(model, data, { loss: Loss.ce, bn: 'eval' });
  t.is(again.loss(again.params), evalObj.loss(evalObj.params));
  evalObj.dispose();
  trainObj.dispose();
  again.dispose();
  model.dispose();
});

test.serial('full-dataset HVP equals a central difference of full-dataset gradients', async (t) => {
  const model = cnn();
  const data = blobsData(9, 5);
  const o = await createModelObjective(model, data, { loss: Loss.ce, batchSize: 4 });
  const v0 = pv.randomNormal(o.shapes, createRng(2));
  const v = pv.scale(1 / pv.norm(v0), v0);
  const eps = 1e-2;
  const wp = pv.axpy(eps, v, o.params);
  const wm = pv.axpy(-eps, v, o.params);
  const gp = o.grad(wp).grad;
  const gm = o.grad(wm).grad;
  const fd = pv.scale(1 / (2 * eps), pv.sub(gp, gm));
  const hv = o.hvp(o.params, v);
  const err = pv.norm(pv.sub(hv, fd)) / pv.norm(fd);
  t.true(err < 2e-3, `${err}`);
  o.dispose();
  model.dispose();
});

test.serial('no tensors leak across repeated loss / grad / hvp calls', async (t) => {
  const model = cnn();
  const data = blobsData(8, 6);
  const o = await createModelObjective(model, data, { loss: Loss.ce, batchSize: 3 });
  const v = pv.randomNormal(o.shapes, createRng(2));
  pv.dispose(o.hvp(o.params, v), o.grad(o.params).grad);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) {
    o.lossAndAccuracy(o.params);
    pv.dispose(o.grad(o.params).grad, o.hvp(o.params, v));
  }
  t.is(tf.memory().numTensors, before);
  pv.dispose(v);
  o.dispose();
  model.dispose();
});

test.serial('a non-finite loss stops the measurement with a NumericError naming the evaluation and the distance', async (t) => {
  const { NumericError } = await import('../../src/errors.ts');
  const model = tfl.sequential({ layers: [L.dense({ inputShape: [2], units: 2 })] });
  model.setWeights([tf.tensor2d([[1, 0], [0, 1]]), tf.tensor1d([0, 0])]);
  const data = makeDataset('hand', [2], Float32Array.from([1, 2]), { kind: 'regression', values: Float32Array.from([0, 0]), dim: 2 });
  const o = await createModelObjective(model, data, { loss: Loss.mse });
  t.true(Number.isFinite(o.loss(o.params)));
  const far = pv.unflatten([1e30, 0, 0, 1e30, 0, 0], o.shapes); // outputs ~1e30: their square overflows float32
  const e = t.throws(() => o.loss(far), { instanceOf: NumericError });
  t.regex(e!.message, /the loss is Infinity at loss evaluation #2 \(distance 1\.41e\+30 from the checkpoint/);
  t.throws(() => o.grad(far), { instanceOf: NumericError, message: /gradient evaluation #1/ });
  t.is(e!.message.includes('\n'), false);
  pv.dispose(far);
  o.dispose();
  model.dispose();
});
