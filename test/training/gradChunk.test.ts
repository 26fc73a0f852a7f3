/**
 * --grad-chunk in this thread: the option's checks; the chunked gradient of a minibatch
 * equals the whole minibatch's (float32 tolerance) and is EXACTLY the weighted sum of the
 * chunks' gradients added in chunk order (float32, by hand here); without --grad-chunk the
 * Trainer's numbers are those of the code before chunks existed (golden hashes); a model
 * with BatchNorm is refused for chunks smaller than the minibatch and accepted otherwise.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { tf, tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { generateSynthetic } from '../../src/io/synthetic.ts';
import { isSharpnessError, UsageError } from '../../src/errors.ts';
import { chunkedGradient, chunkSizes, localChunks } from '../../src/training/chunkedGradient.ts';
import { layersTrainableNet } from '../../src/training/layersTrainableNet.ts';
import { MinibatchLoss } from '../../src/training/MinibatchLoss.ts';
import { hyperparameters, resolveTrainConfig, type TrainOptions } from '../../src/training/trainConfig.ts';
import { Trainer } from '../../src/training/trainLoop.ts';
import { buildTrainingNetwork } from '../../src/training/trainingModel.ts';
import { createOnnxModel } from '../../src/formats/onnx/loadOnnx.ts';
import { onnxTrainableNet } from '../../src/training/onnxTrainableNet.ts';
import { useBackend } from '../helpers/engine.ts';
import { buildModel, node, values } from '../formats/onnx/buildOnnx.ts';

test.before(async () => {
  await useBackend('cpu');
});

function tinyMlp(seed: number, batchNorm = false): tfl.LayersModel {
  const L = tfl.layers;
  const m = tfl.sequential({
    layers: [
      L.dense({ inputShape: [2], units: 8, activation: 'relu', name: 'h' }),
      ...(batchNorm ? [L.batchNormalization({ name: 'bn' })] : []),
      L.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ],
  });
  const rng = createRng(seed);
  m.setWeights(m.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => (w.shape.length === 1 && batchNorm ? 1 : 0.5 * rng.normal())), w.shape)));
  return m;
}

const sha = (...arrays: ArrayLike<number>[]): string => {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(Float64Array.from(a).buffer));
  return h.digest('hex').slice(0, 16);
};

test('--grad-chunk must be an integer in [1, 1000000]: one-line UsageErrors naming the option and value; recorded only when given', (t) => {
  for (const [bad, shown] of [
    [0, '0'],
    [-1, '-1'],
    [1.5, '1.5'],
    ['abc', 'abc'],
    [1e12, '1000000000000'],
  ] as const) {
    const e = t.throws(() => resolveTrainConfig({ gradChunk: bad as unknown as number }));
    t.true(e instanceof UsageError);
    t.is(e!.message, `train: --grad-chunk must be an integer in [1, 1000000], got ${shown}`);
  }
  t.is(resolveTrainConfig({}).gradChunk, null);
  t.false('gradChunk' in hyperparameters(resolveTrainConfig({})));
  t.is(hyperparameters(resolveTrainConfig({ gradChunk: 16 }))['gradChunk'], 16);
  t.deepEqual(chunkSizes(40, 16), [16, 16, 8]);
  t.deepEqual(chunkSizes(16, 16), [16]);
  t.deepEqual(chunkSizes(5, 100), [5]);
});

test.serial('the chunked gradient equals the whole minibatch gradient (float32 tolerance) and is exactly the weighted chunk sum in chunk order', async (t) => {
  const data = generateSynthetic('blobs', 40, 2);
  const model = tinyMlp(1);
  const layers = await buildTrainingNetwork(model, 'ce');
  const net = layersTrainableNet(layers);
  const mb = new MinibatchLoss(net, data, 'ce');
  const indices = Int32Array.from({ length: 40 }, (_, i) => (i * 7) % 40);
  const before = tf.memory().numTensors;
  const whole = mb.chunkGradient(indices, 0, 40, 0, true);
  const chunked = chunkedGradient(localChunks(mb), { indices, chunk: 16, seeds: [1, 2, 3], withHits: true }, whole.grad.length);
  t.is(tf.memory().numTensors, before, 'no tensor leaks');
  // against the whole minibatch: the same function up to float32 rounding
  t.true(Math.abs(chunked.value - whole.value) < 1e-6 * Math.max(1, whole.value), `${chunked.value} vs ${whole.value}`);
  t.is(chunked.hits, whole.hits);
  let scale = 0;
  for (const g of whole.grad) scale = Math.max(scale, Math.abs(g));
  t.true(scale > 1e-3, 'a gradient worth comparing');
  let worst = 0;
  whole.grad.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - chunked.grad[i]!))));
  t.true(worst < 1e-5 * scale, `max difference ${worst} of ${scale}`);
  // against the explicit sum: each chunk alone, weights 16/40, 16/40, 8/40, float32 in order
  const parts = [0, 16, 32].map((s, c) => mb.chunkGradient(indices, s, [16, 16, 8][c]!, c + 1, true));
  const weights = [16 / 40, 16 / 40, 8 / 40];
  const sum = new Float32Array(whole.grad.length);
  for (let i = 0; i < sum.length; i++) {
    let acc = Math.fround(Math.fround(weights[0]!) * parts[0]!.grad[i]!);
    for (let c = 1; c < 3; c++) acc = Math.fround(acc + Math.fround(Math.fround(weights[c]!) * parts[c]!.grad[i]!));
    sum[i] = acc;
  }
  t.deepEqual(chunked.grad, sum);
  t.is(chunked.value, weights[0]! * parts[0]!.value + weights[1]! * parts[1]!.value + weights[2]! * parts[2]!.value);
  t.is(chunked.hits, parts[0]!.hits! + parts[1]!.hits! + parts[2]!.hits!);
  layers.dispose();
  model.dispose();
});

async function trainTiny(options: TrainOptions, epochs = 2): Promise<{ weights: Float32Array; losses: number[]; gradients: number }> {
  const data = generateSynthetic('blobs', 60, 1);
  const model = tinyMlp(1);
  const net = await buildTrainingNetwork(model, 'ce');
  const trainer = new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig({ epochs, batchSize: 16, lr: 0.1, momentum: 0.9, l2: 0.001, seed: 5, ...options }) });
  const losses: number[] = [];
  for (let e = 0; e < epochs; e++) losses.push(...(await trainer.runEpoch()).iterations.loss);
  const weights = trainer.net.flatWeights();
  const gradients = trainer.gradients;
  trainer.dispose();
  net.dispose();
  model.dispose();
  return { weights, losses, gradients };
}

// Computed by this same training with the code before --grad-chunk existed (commit 68b14e5, cpu backend).
const GOLDEN = { sgd: '2fbaee36407d7dac', sam: '6f1ec9f3f4e1a076' };

test.serial('without --grad-chunk the Trainer gives the bits it gave before chunks existed (sgd and sam)', async (t) => {
  const sgd = await trainTiny({});
  t.is(sha(sgd.weights, sgd.losses), GOLDEN.sgd);
  const sam = await trainTiny({ method: 'sam', rho: 0.05 });
  t.is(sha(sam.weights, sam.losses), GOLDEN.sam);
});

test.serial('with --grad-chunk the run is close to the unchunked one (no dropout: the same function), and SAM counts two gradients per step', async (t) => {
  for (const method of ['sgd', 'sam'] as const) {
    const extra: TrainOptions = method === 'sam' ? { method, rho: 0.05 } : {};
    const plain = await trainTiny(extra, 1);
    const chunked = await trainTiny({ ...extra, gradChunk: 5 }, 1);
    t.is(chunked.gradients, plain.gradients);
    t.is(chunked.losses.length, plain.losses.length);
    plain.losses.forEach((l, i) => t.true(Math.abs(l - chunked.losses[i]!) < 1e-4, `${method} step ${i}: ${l} vs ${chunked.losses[i]}`));
    plain.weights.forEach((w, i) => t.true(Math.abs(w - chunked.weights[i]!) < 1e-4));
    t.notDeepEqual(plain.weights, chunked.weights, 'chunks are a different float32 sum');
    // and it is reproducible
    t.deepEqual((await trainTiny({ ...extra, gradChunk: 5 }, 1)).weights, chunked.weights);
  }
});

test.serial('BatchNorm: --grad-chunk smaller than --batch-size is refused in one line; chunks of the whole minibatch train', async (t) => {
  const data = generateSynthetic('blobs', 40, 1);
  const model = tinyMlp(2, true);
  const net = await buildTrainingNetwork(model, 'ce');
  const e = t.throws(() => new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig({ epochs: 1, batchSize: 16, gradChunk: 8 }) }));
  t.true(isSharpnessError(e) && e instanceof UsageError);
  t.false(e!.message.includes('\n'));
  t.regex(e!.message, /^train: --grad-chunk 8 is smaller than --batch-size 16, but the model has BatchNorm.*use --grad-chunk >= 16 or leave it out$/);
  const trainer = new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig({ epochs: 1, batchSize: 16, gradChunk: 16 }) });
  const before = net.getWeights()[4]!.dataSync().slice();
  const stats = await trainer.runEpoch();
  t.true(Number.isFinite(stats.trainLoss));
  t.notDeepEqual(net.getWeights()[4]!.dataSync(), before, 'the moving mean was updated');
  trainer.dispose();
  net.dispose();
  model.dispose();
});

test.serial('one chunk per minibatch (--grad-chunk >= --batch-size) is exactly the unchunked step, BatchNorm and SAM included', async (t) => {
  const data = generateSynthetic('blobs', 40, 1);
  const run = async (options: TrainOptions) => {
    const model = tinyMlp(3, true);
    const net = await buildTrainingNetwork(model, 'ce');
    const trainer = new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig({ epochs: 2, batchSize: 16, lr: 0.1, l2: 0.01, seed: 2, ...options }) });
    const losses: number[] = [];
    for (let e = 0; e < 2; e++) losses.push(...(await trainer.runEpoch()).iterations.loss);
    const weights = trainer.net.flatWeights(); // the BatchNorm moving statistics included
    trainer.dispose();
    net.dispose();
    model.dispose();
    return { weights, losses };
  };
  for (const method of [{}, { method: 'sam', rho: 0.1 }] as TrainOptions[]) {
    const plain = await run(method);
    for (const gradChunk of [16, 100]) {
      const chunked = await run({ ...method, gradChunk });
      t.deepEqual(chunked.weights, plain.weights, `${method.method ?? 'sgd'} --grad-chunk ${gradChunk}`);
      t.deepEqual(chunked.losses, plain.losses);
    }
  }
});

test.serial('an ONNX graph with BatchNormalization is refused too', async (t) => {
  const bytes = buildModel({
    opset: 14,
    inputs: [{ name: 'x', shape: ['N', 2] }],
    outputs: [{ name: 'logits' }],
    nodes: [
      node('Gemm', ['x', 'W', 'b'], ['h'], { transB: { i: 1 } }),
      node('BatchNormalization', ['h', 'g', 'beta', 'mean', 'var'], ['z']),
      node('Gemm', ['z', 'V', 'c'], ['logits'], { transB: { i: 1 } }),
    ],
    initializers: [
      { name: 'W', shape: [4, 2], data: values(8, 1) },
      { name: 'b', shape: [4], data: values(4, 2) },
      { name: 'g', shape: [4], data: values(4, 3, 0.5, 1.5) },
      { name: 'beta', shape: [4], data: values(4, 4) },
      { name: 'mean', shape: [4], data: values(4, 5) },
      { name: 'var', shape: [4], data: values(4, 6, 0.5, 2) },
      { name: 'V', shape: [3, 4], data: values(12, 7) },
      { name: 'c', shape: [3], data: values(3, 8) },
    ],
  });
  const m = createOnnxModel(bytes, 'bn.onnx');
  const net = onnxTrainableNet(m, null);
  t.true(net.batchNorm);
  const data = generateSynthetic('blobs', 20, 1);
  t.throws(() => new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig({ batchSize: 8, gradChunk: 4 }) }), { message: /--grad-chunk 4 is smaller than --batch-size 8, but the model has BatchNorm/ });
  net.dispose();
  m.dispose();
});
