import test from 'ava';
import { tf, tfl, type Scalar, type Variable } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { crossEntropyFromLogits, l2Penalty } from '../../src/objective/losses.ts';
import { heavyBallStep, HeavyBall } from '../../src/training/sgdStep.ts';
import { Trainer, permutation } from '../../src/training/trainLoop.ts';
import { resolveTrainConfig } from '../../src/training/trainConfig.ts';
import { buildTrainingNetwork } from '../../src/training/trainingModel.ts';
import { flatWeights } from '../../src/training/modelWeights.ts';
import { generateSynthetic } from '../../src/io/synthetic.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

test.serial('heavy ball: m <- mu m + g, w <- w - lr m, step for step against plain arithmetic; no tensor leaks', (t) => {
  const before = tf.memory().numTensors;
  const init = [tf.tensor1d([1, -2]), tf.tensor2d([[0.5]])];
  const v = init.map((x) => tf.variable(x));
  tf.dispose(init);
  const opt = new HeavyBall(v as Variable[], 0.9);
  let w = [1, -2, 0.5];
  let m = [0, 0, 0];
  for (let k = 0; k < 5; k++) {
    const g = w.map((x, i) => 2 * x + i - k); // any gradient sequence
    const gt = [tf.tensor1d(g.slice(0, 2)), tf.tensor2d([[g[2]!]])];
    opt.stepInPlace(gt, 0.1);
    tf.dispose(gt);
    m = m.map((mi, i) => 0.9 * mi + g[i]!);
    w = w.map((x, i) => x - 0.1 * m[i]!);
  }
  const got = [...v[0]!.dataSync(), ...v[1]!.dataSync()];
  got.forEach((x, i) => t.true(Math.abs(x - w[i]!) < 1e-5));
  t.deepEqual(Array.from(opt.bufferValues().flatMap((b) => Array.from(b))).map((x) => Math.round(x * 1e4)), m.map((x) => Math.round(x * 1e4)));
  opt.dispose();
  tf.dispose(v);
  t.is(tf.memory().numTensors, before);
  // the pure form agrees and leaves its inputs alone
  const a = tf.tensor1d([1]);
  const r = heavyBallStep([a], [tf.tensor1d([2])], [tf.tensor1d([3])], 0.5, 0.5);
  t.deepEqual(Array.from(r.w[0]!.dataSync()), [1 - 0.5 * (0.5 * 2 + 3)]);
  t.deepEqual(Array.from(a.dataSync()), [1]);
});

function tinyMlp(seed: number): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [2], units: 8, activation: 'relu', name: 'h' }), tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out' })],
  });
  const rng = createRng(seed);
  m.setWeights(m.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => 0.5 * rng.normal()), w.shape)));
  return m;
}

test('SGD with momentum and L2 through the Trainer equals a hand-rolled reference (L2 as a term of the loss) for a few steps', async (t) => {
  const data = generateSynthetic('blobs', 60, 1);
  const seed = 7;
  const config = resolveTrainConfig({ method: 'sgd', epochs: 2, batchSize: 16, lr: 0.1, momentum: 0.9, l2: 0.001, seed });
  const model = tinyMlp(1);
  const net = await buildTrainingNetwork(model, 'ce');
  const trainer = new Trainer({ net, data, loss: 'ce', config });
  await trainer.runEpoch();
  await trainer.runEpoch();

  // Reference: same initial weights, same batches, gradient of CE + l2 ||w||^2, heavy ball by hand.
  const ref = await buildTrainingNetwork(model, 'ce');
  const vars = ref.trainableWeights.map((w) => w.read() as Variable);
  const mom = vars.map((v) => new Float64Array(v.size));
  const labels = (data.targets as { labels: Int32Array }).labels;
  for (let e = 0; e < 2; e++) {
    const order = permutation(data.n, createRng(seed).fork(e).fork(0));
    for (let s = 0; s < data.n; s += 16) {
      const idx = Array.from(order.subarray(s, Math.min(s + 16, data.n)));
      const x = tf.tensor2d(idx.flatMap((i) => [data.x[2 * i]!, data.x[2 * i + 1]!]), [idx.length, 2]);
      const y = tf.tensor1d(idx.map((i) => labels[i]!), 'int32');
      const f = (): Scalar => tf.add(crossEntropyFromLogits(ref.apply(x) as tf.Tensor, y), l2Penalty(vars, 0.001)) as Scalar;
      const { grads } = tf.variableGrads(f, vars);
      vars.forEach((v, i) => {
        const g = grads[v.name]!.dataSync();
        const w = Float64Array.from(v.dataSync());
        for (let j = 0; j < w.length; j++) {
          mom[i]![j] = 0.9 * mom[i]![j]! + g[j]!;
          w[j] = w[j]! - 0.1 * mom[i]![j]!;
        }
        v.assign(tf.tensor(Float32Array.from(w), v.shape));
      });
      tf.dispose([x, y, ...Object.values(grads)]);
    }
  }
  const a = flatWeights(net);
  const b = flatWeights(ref);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  t.true(worst < 1e-5, `max difference ${worst}`);
  t.true(a.some((x, i) => x !== flatWeights(model)[i]), 'the weights moved');
  trainer.dispose();
  net.dispose();
  ref.dispose();
  model.dispose();
});

test('same seed, same weights; another seed, other weights (shuffling)', async (t) => {
  const data = generateSynthetic('blobs', 50, 2);
  const run = async (seed: number) => {
    const model = tinyMlp(3);
    const net = await buildTrainingNetwork(model, 'ce');
    const trainer = new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig({ epochs: 2, batchSize: 8, lr: 0.05, seed }) });
    await trainer.runEpoch();
    await trainer.runEpoch();
    const w = flatWeights(net);
    trainer.dispose();
    net.dispose();
    model.dispose();
    return w;
  };
  const a = await run(5);
  const b = await run(5);
  const c = await run(6);
  t.deepEqual(a, b);
  t.notDeepEqual(a, c);
});

test.serial('the Trainer leaks no tensors over epochs (sgd and sam)', async (t) => {
  const data = generateSynthetic('blobs', 40, 2);
  for (const method of ['sgd', 'sam']) {
    const model = tinyMlp(3);
    const net = await buildTrainingNetwork(model, 'ce');
    const trainer = new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig({ method, epochs: 3, batchSize: 8 }) });
    await trainer.runEpoch();
    const before = tf.memory().numTensors;
    await trainer.runEpoch();
    await trainer.runEpoch();
    t.is(tf.memory().numTensors, before, method);
    trainer.dispose();
    net.dispose();
    model.dispose();
  }
});
