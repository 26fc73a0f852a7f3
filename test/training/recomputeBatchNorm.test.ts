import test from 'ava';
import { tf, tfl, type Tensor } from '../../src/engine/tf.ts';
import { loadDataset } from '../../src/io/dataset.ts';
import { cnn } from '../../src/models/cnn.ts';
import { resnet } from '../../src/models/resnet.ts';
import { mlp } from '../../src/models/mlp.ts';
import { batchNormLayers, recomputeBatchNormInPlace } from '../../src/training/recomputeBatchNorm.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

/** Mean and population variance per channel, naive two-pass float64, of [N, ..., C] values. */
function channelStats(values: ArrayLike<number>, c: number): { mean: number[]; variance: number[] } {
  const rows = values.length / c;
  const mean = new Array<number>(c).fill(0);
  for (let k = 0; k < values.length; k++) mean[k % c] += values[k]!;
  for (let j = 0; j < c; j++) mean[j] /= rows;
  const variance = new Array<number>(c).fill(0);
  for (let k = 0; k < values.length; k++) variance[k % c] += (values[k]! - mean[k % c]!) ** 2;
  for (let j = 0; j < c; j++) variance[j] /= rows;
  return { mean, variance };
}

function weightOf(layer: tfl.layers.Layer, suffix: string): Float32Array {
  return layer.weights.find((w) => w.originalName.endsWith(suffix))!.read().dataSync() as Float32Array;
}

test.serial('cnn: moving_mean / moving_variance become exactly the mean and population variance of the pre-BN activations over the data, whatever the batch size', async (t) => {
  const data = await loadDataset('mnist:train:300');
  const model = cnn([28, 28, 1], 10, 4);
  // Independently: apply the conv layer (the BN input) to all samples at once.
  const conv = model.getLayer('conv1');
  const pre = tf.tidy(() => conv.apply(tf.tensor(data.x, [data.n, 28, 28, 1])) as Tensor);
  const expected = channelStats(pre.dataSync(), 8);
  pre.dispose();
  const before = tf.memory().numTensors;
  for (const batchSize of [64, 300, 7]) {
    const stats = await recomputeBatchNormInPlace(model, data, { batchSize });
    t.is(stats.length, 1);
    t.is(stats[0]!.count, 300 * 26 * 26);
    const bn = model.getLayer('bn1');
    const mm = weightOf(bn, 'moving_mean');
    const mv = weightOf(bn, 'moving_variance');
    for (let j = 0; j < 8; j++) {
      t.true(Math.abs(stats[0]!.mean[j]! - expected.mean[j]!) <= 1e-9 * (1 + Math.abs(expected.mean[j]!)), `mean ${j} (batch ${batchSize})`);
      t.true(Math.abs(stats[0]!.variance[j]! - expected.variance[j]!) <= 1e-9 * expected.variance[j]!, `variance ${j} (batch ${batchSize})`);
      t.is(mm[j], Math.fround(stats[0]!.mean[j]!), 'moving_mean is the float64 mean rounded once');
      t.true(Math.abs(mv[j]! - expected.variance[j]!) <= 1e-6 * expected.variance[j]!);
    }
  }
  t.is(tf.memory().numTensors, before, 'no tensor leaks');
  model.dispose();
});

test.serial('resnet: every BN layer is recomputed; the stem\'s statistics equal those of its input computed independently', async (t) => {
  const data = await loadDataset('mnist:train:64');
  const model = resnet([28, 28, 1], 10, 2);
  const bns = batchNormLayers(model);
  t.is(bns.length, 6); // stem, block1 a/b, block2 a/b/projection
  const before = bns.map((l) => Array.from(weightOf(l, 'moving_mean')));
  const stem = tfl.model({ inputs: model.inputs, outputs: model.getLayer('stem_conv').output as tfl.SymbolicTensor });
  const pre = tf.tidy(() => stem.predict(tf.tensor(data.x, [data.n, 28, 28, 1])) as Tensor);
  const expected = channelStats(pre.dataSync(), pre.shape[3]!);
  pre.dispose();
  const stats = await recomputeBatchNormInPlace(model, data, { batchSize: 64 });
  t.deepEqual(stats.map((s) => s.layer), bns.map((l) => l.name));
  bns.forEach((l, i) => t.notDeepEqual(Array.from(weightOf(l, 'moving_mean')), before[i], l.name));
  const s0 = stats[0]!;
  t.is(s0.layer, 'stem_bn');
  expected.mean.forEach((m, j) => t.true(Math.abs(s0.mean[j]! - m) < 1e-9 * (1 + Math.abs(m))));
  expected.variance.forEach((v, j) => t.true(Math.abs(s0.variance[j]! - v) < 1e-9 * v));
  model.dispose();
});

test('a model without BatchNorm is left alone', async (t) => {
  const data = await loadDataset('mnist:train:10');
  const model = mlp([28, 28, 1], 10, 0);
  t.deepEqual(await recomputeBatchNormInPlace(model, data, { batchSize: 4 }), []);
  model.dispose();
});
