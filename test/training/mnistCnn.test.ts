/**
 * Catches broken gradients on wasm (its Conv2DBackpropFilter is ours): the built-in CNN,
 * 1 epoch on 5,000 MNIST samples (batch 64, lr 0.05, momentum 0.9, seed 0), reaches at
 * least 87% on mnist:test:1000. Measured: 90.3% on wasm, about 2 s.
 */
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { loadDataset } from '../../src/io/dataset.ts';
import { cnn } from '../../src/models/cnn.ts';
import { Trainer } from '../../src/training/trainLoop.ts';
import { resolveTrainConfig } from '../../src/training/trainConfig.ts';
import { buildTrainingNetwork } from '../../src/training/trainingModel.ts';
import { scoreModel } from '../../src/training/evaluateModel.ts';
import { useBackend } from '../helpers/engine.ts';

test('cnn, 1 epoch of mnist:train:5000 on wasm: test accuracy >= 0.87 on mnist:test:1000', async (t) => {
  await useBackend('wasm');
  const data = await loadDataset('mnist:train:5000');
  const test1000 = await loadDataset('mnist:test:1000');
  const model = cnn([28, 28, 1], 10, 0);
  const net = await buildTrainingNetwork(model, 'ce');
  const trainer = new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig({ epochs: 1, batchSize: 64, lr: 0.05, momentum: 0.9, seed: 0 }) });
  const started = performance.now();
  const stats = await trainer.runEpoch();
  model.setWeights(net.getWeights());
  const r = await scoreModel(model, test1000, 'ce');
  t.log(`train acc ${stats.trainAccuracy}, test acc ${r.accuracy}, loss ${r.loss.toFixed(4)}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  t.true(r.accuracy! >= 0.87, `test accuracy ${r.accuracy}`);
  t.true(Number.isFinite(r.loss));
  trainer.dispose();
  net.dispose();
  model.dispose();
  t.is(tf.getBackend(), 'wasm');
});
