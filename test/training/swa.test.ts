import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { generateSynthetic } from '../../src/io/synthetic.ts';
import { Trainer } from '../../src/training/trainLoop.ts';
import { resolveTrainConfig } from '../../src/training/trainConfig.ts';
import { buildTrainingNetwork } from '../../src/training/trainingModel.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

function tinyMlp(): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [2], units: 6, activation: 'relu', name: 'h' }), tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out' })],
  });
  const rng = createRng(11);
  m.setWeights(m.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => 0.5 * rng.normal()), w.shape)));
  return m;
}

const a1 = 0.08;
const a2 = 0.01;
const paper = (i: number, c: number) => {
  const t = (((i - 1) % c) + 1) / c;
  return (1 - t) * a1 + t * a2;
};

for (const cycle of [1, 4]) {
  test.serial(`swa, C = ${cycle}: the LR of every iteration after swa-start is a(i); w_swa is the exact mean of the averaged iterates`, async (t) => {
    const data = generateSynthetic('blobs', 50, 3); // 7 batches of 8 per epoch
    const config = resolveTrainConfig({ method: 'swa', epochs: 4, batchSize: 8, lr: a1, swaStart: 2, swaLr: a2, cycle, seed: 1 });
    const model = tinyMlp();
    const net = await buildTrainingNetwork(model, 'ce');
    const trainer = new Trainer({ net, data, loss: 'ce', config });
    const averaged: { w: Float32Array; count: number; iteration: number }[] = [];
    const lrs: number[] = [];
    for (let e = 0; e < 4; e++) {
      const s = await trainer.runEpoch({ onAverage: (w, count, iteration) => averaged.push({ w: w.slice(), count, iteration }) });
      lrs.push(...s.iterations.lr);
    }
    const start = 2 * 7;
    t.is(lrs.length, 28);
    for (let i = 1; i <= start; i++) t.is(lrs[i - 1], a1, `constant base schedule at ${i}`);
    for (let i = start + 1; i <= 28; i++) t.is(lrs[i - 1], paper(i - start, cycle), `iteration ${i}`);
    // Averaged: the weights at swa-start (Algorithm 1's w_swa <- w^), then every C iterations.
    const expectedIterations = [start];
    for (let i = start + 1; i <= 28; i++) if ((i - start) % cycle === 0) expectedIterations.push(i);
    t.deepEqual(averaged.map((a) => a.iteration), expectedIterations);
    t.deepEqual(averaged.map((a) => a.count), expectedIterations.map((_, k) => k + 1));
    const swa = trainer.swaWeights()!;
    let worst = 0;
    for (let j = 0; j < swa.length; j++) {
      const exact = averaged.reduce((s, a) => s + a.w[j]!, 0) / averaged.length;
      worst = Math.max(worst, Math.abs(swa[j]! - exact));
    }
    t.true(worst < 1e-12, `max |w_swa - mean| = ${worst}`);
    trainer.dispose();
    net.dispose();
    model.dispose();
  });
}
