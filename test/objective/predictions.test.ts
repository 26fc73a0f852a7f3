import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { makeDataset } from '../../src/io/makeDataset.ts';
import { predictOutputs, averageOutputs, scoreOutputs } from '../../src/objective/predictions.ts';
import { Loss } from '../../src/objective/losses.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

function linear(w: number[][], b: number[]) {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })] });
  m.setWeights([tf.tensor2d(w), tf.tensor1d(b)]);
  return m;
}

test('the FGE ensemble equals the mean of the members\' softmax outputs, scored by hand', async (t) => {
  const data = makeDataset('hand', [2], Float32Array.from([1, 0, 0, 2]), { kind: 'classes', labels: Int32Array.from([0, 1]), numClasses: 2 });
  const m1 = linear([[1, 0], [0, 1]], [0, 0]);
  const m2 = linear([[0, 1], [1, 0]], [0.5, 0]);
  const o1 = await predictOutputs(m1, data, Loss.ce, { batchSize: 1 });
  const o2 = await predictOutputs(m2, data, Loss.ce);
  const softmax = (z: number[]) => {
    const e = z.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  // member logits: m1: x; m2: swap(x) + [0.5, 0]
  const p1 = [softmax([1, 0]), softmax([0, 2])];
  const p2 = [softmax([0 + 0.5, 1]), softmax([2 + 0.5, 0])];
  const mean = p1.map((r, i) => r.map((v, c) => (v + p2[i]![c]!) / 2));
  const avg = averageOutputs([o1, o2]);
  mean.flat().forEach((v, i) => t.true(Math.abs(avg.values[i]! - v) < 1e-6));
  const s = scoreOutputs(avg, data, Loss.ce);
  const expectedLoss = -(Math.log(mean[0]![0]!) + Math.log(mean[1]![1]!)) / 2;
  t.true(Math.abs(s.loss - expectedLoss) < 1e-6);
  const hits = (mean[0]![0]! > mean[0]![1]! ? 1 : 0) + (mean[1]![1]! > mean[1]![0]! ? 1 : 0);
  t.is(s.accuracy, hits / 2);
  m1.dispose();
  m2.dispose();
});
