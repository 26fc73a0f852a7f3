/**
 * ONNX-imported networks against the same networks as TensorFlow.js layers models (wasm):
 * loss, gradient and HVP time over the same data with the same chunks. The built-in MLP
 * (Dense 784-128-10) and CNN (Conv 3x3x8, BatchNorm, ReLU, MaxPool 2, Dense 10) are built
 * as layers models, then written as ONNX graphs with the same weights (NCHW, as PyTorch
 * exports them), so both compute one function; the script checks that first.
 *
 *   node --import=tsx bench/onnx.bench.ts [--samples 1000] [--reps 5]
 */
import { parseArgs } from 'node:util';
import { tf } from '../src/engine/tf.ts';
import { initEngine } from '../src/engine/backend.ts';
import * as pv from '../src/engine/paramVector.ts';
import { createRng } from '../src/engine/rng.ts';
import { loadDataset, type Dataset } from '../src/io/dataset.ts';
import { buildBuiltinModel } from '../src/models/builtinModels.ts';
import { createModelObjective } from '../src/objective/modelObjective.ts';
import { Loss } from '../src/objective/losses.ts';
import type { Objective } from '../src/objective/Objective.ts';
import { createOnnxModel } from '../src/formats/onnx/loadOnnx.ts';
import { onnxNetwork } from '../src/formats/onnx/onnxNetwork.ts';
import { buildModel, node, type InitSpec } from '../test/formats/onnx/buildOnnx.ts';

const { values: a } = parseArgs({ options: { samples: { type: 'string', default: '1000' }, reps: { type: 'string', default: '5' } } });
const samples = Number(a.samples);
const reps = Number(a.reps);

await initEngine({ backend: 'wasm' });
const data = await loadDataset(`mnist:train:${samples}`);
// One channel: NHWC [28,28,1] and NCHW [1,28,28] hold the same bytes.
const nchw: Dataset = { ...data, sampleShape: [1, 28, 28] };

const arr = (t: tf.Tensor) => t.dataSync() as Float32Array;

function mlpOnnx(w: tf.Tensor[]): Uint8Array {
  const [k1, b1, k2, b2] = w as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const inits: InitSpec[] = [
    { name: 'fc1.weight', shape: [k1.shape[1]!, k1.shape[0]!], data: arr(tf.transpose(k1)) },
    { name: 'fc1.bias', shape: [...b1.shape], data: arr(b1) },
    { name: 'fc2.weight', shape: [k2.shape[1]!, k2.shape[0]!], data: arr(tf.transpose(k2)) },
    { name: 'fc2.bias', shape: [...b2.shape], data: arr(b2) },
  ];
  return buildModel({
    opset: 14,
    inputs: [{ name: 'x', shape: ['n', 1, 28, 28] }],
    outputs: [{ name: 'p', shape: ['n', 10] }],
    initializers: inits,
    nodes: [
      node('Flatten', ['x'], ['f'], { axis: { i: 1 } }),
      node('Gemm', ['f', 'fc1.weight', 'fc1.bias'], ['h'], { transB: { i: 1 } }),
      node('Relu', ['h'], ['r']),
      node('Gemm', ['r', 'fc2.weight', 'fc2.bias'], ['z'], { transB: { i: 1 } }),
      node('Softmax', ['z'], ['p'], { axis: { i: 1 } }),
    ],
  });
}

function cnnOnnx(w: tf.Tensor[], eps: number): Uint8Array {
  // getWeights order: trainable first (conv kernel [3,3,1,8], gamma, beta, dense kernel [13*13*8, 10], dense bias), then moving mean and variance
  const [k, gamma, beta, dk, db, mean, variance] = w as tf.Tensor[];
  const [H, W, C] = [13, 13, 8];
  const d = arr(dk!);
  const units = dk!.shape[1]!;
  // Flatten order differs: layers (h, w, c), ONNX (c, h, w); Gemm with transB takes [units, features].
  const fc = new Float32Array(units * C * H * W);
  for (let c = 0; c < C; c++)
    for (let h = 0; h < H; h++)
      for (let x = 0; x < W; x++)
        for (let u = 0; u < units; u++) fc[u * C * H * W + c * H * W + h * W + x] = d[((h * W + x) * C + c) * units + u]!;
  return buildModel({
    opset: 14,
    inputs: [{ name: 'x', shape: ['n', 1, 28, 28] }],
    outputs: [{ name: 'p', shape: ['n', 10] }],
    initializers: [
      { name: 'conv1.weight', shape: [8, 1, 3, 3], data: arr(tf.transpose(k!, [3, 2, 0, 1])) },
      { name: 'bn1.weight', shape: [8], data: arr(gamma!) },
      { name: 'bn1.bias', shape: [8], data: arr(beta!) },
      { name: 'bn1.running_mean', shape: [8], data: arr(mean!) },
      { name: 'bn1.running_var', shape: [8], data: arr(variance!) },
      { name: 'fc.weight', shape: [units, C * H * W], data: fc },
      { name: 'fc.bias', shape: [units], data: arr(db!) },
    ],
    nodes: [
      node('Conv', ['x', 'conv1.weight'], ['c'], { kernel_shape: { ints: [3, 3] } }),
      node('BatchNormalization', ['c', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var'], ['b'], { epsilon: { f: eps } }),
      node('Relu', ['b'], ['r']),
      node('MaxPool', ['r'], ['m'], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }),
      node('Flatten', ['m'], ['f'], { axis: { i: 1 } }),
      node('Gemm', ['f', 'fc.weight', 'fc.bias'], ['z'], { transB: { i: 1 } }),
      node('Softmax', ['z'], ['p'], { axis: { i: 1 } }),
    ],
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void): number {
  fn(); // warm-up: kernels and shaders
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

function measure(o: Objective): { loss: number; grad: number; hvp: number } {
  const v = pv.randomNormal(o.shapes, createRng(1));
  const out = {
    loss: time(() => o.loss(o.params)),
    grad: time(() => pv.dispose(o.grad(o.params).grad)),
    hvp: time(() => pv.dispose(o.hvp(o.params, v))),
  };
  pv.dispose(v);
  return out;
}

const rows: string[] = [];
for (const name of ['mlp', 'cnn'] as const) {
  const model = buildBuiltinModel(name, data.sampleShape, 10, 0);
  const weights = model.getWeights();
  const bytes = name === 'mlp' ? mlpOnnx(weights) : cnnOnnx(weights, (model.getLayer('bn1').getConfig() as { epsilon: number }).epsilon);
  const onnx = createOnnxModel(bytes, `${name}.onnx`);
  const opts = { loss: Loss.ce, batchSize: Math.min(1000, samples) };
  const lo = await createModelObjective(model, data, opts);
  const oo = await createModelObjective(onnxNetwork(onnx), nchw, opts);
  const l1 = lo.loss(lo.params);
  const l2 = oo.loss(oo.params);
  if (Math.abs(l1 - l2) > 1e-5 * Math.max(1, Math.abs(l1))) throw new Error(`${name}: layers loss ${l1} but ONNX ${l2}: not the same function`);
  const tl = measure(lo);
  const to = measure(oo);
  for (const op of ['loss', 'grad', 'hvp'] as const) {
    rows.push(`| ${name} | ${op} | ${tl[op].toFixed(1)} | ${to[op].toFixed(1)} | ${(to[op] / tl[op]).toFixed(2)} |`);
  }
  lo.dispose();
  oo.dispose();
  onnx.dispose();
  model.dispose();
}
console.log(`ONNX vs layers model, wasm, ${samples} MNIST samples in chunks of ${Math.min(1000, samples)}, median of ${reps} (ms)\n`);
console.log('| model | pass | layers | onnx | onnx / layers |\n|---|---|---|---|---|');
console.log(rows.join('\n'));
