/**
 * Post-hoc SWA of ONNX checkpoints: the float64 mean of the initializers, and BatchNorm
 * statistics recomputed on data equal to an independent float64 computation (a tiny graph
 * by hand; the cnn_bn fixture through its graph truncated at each BN node's input).
 */
import test from 'ava';
import onnxProto from 'onnx-proto';
import { tf } from '../../src/engine/tf.ts';
import { createOnnxModel, loadOnnx } from '../../src/formats/onnx/loadOnnx.ts';
import type { OnnxModel } from '../../src/formats/onnx/OnnxModel.ts';
import { makeDataset } from '../../src/io/makeDataset.ts';
import { averageOnnxCheckpoints, averageOnnxWeights } from '../../src/training/averageOnnxCheckpoints.ts';
import { recomputeOnnxBatchNorm } from '../../src/training/recomputeOnnxBatchNorm.ts';
import { InputError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { buildModel, node, values, type GraphSpec } from '../formats/onnx/buildOnnx.ts';

test.before(async () => {
  await useBackend('cpu');
});

const N = 10;
const IN = 3;
const H = 2;

/** x [N,3] -> Gemm(W [2,3], b) -> BatchNormalization -> Relu -> Gemm(V [2,2]) -> logits. */
function tiny(seed: number): GraphSpec {
  return {
    opset: 14,
    inputs: [{ name: 'x', shape: ['N', IN] }],
    outputs: [{ name: 'logits' }],
    nodes: [
      node('Gemm', ['x', 'W', 'b'], ['h'], { transB: { i: 1 } }),
      node('BatchNormalization', ['h', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], ['z'], { momentum: { f: 0.8 } }),
      node('Relu', ['z'], ['r']),
      node('Gemm', ['r', 'V', 'c'], ['logits'], { transB: { i: 1 } }),
    ],
    initializers: [
      { name: 'W', shape: [H, IN], data: values(H * IN, seed) },
      { name: 'b', shape: [H], data: values(H, seed + 1) },
      { name: 'bn.weight', shape: [H], data: values(H, seed + 2, 0.5, 1.5) },
      { name: 'bn.bias', shape: [H], data: values(H, seed + 3) },
      { name: 'bn.running_mean', shape: [H], data: values(H, seed + 4) },
      { name: 'bn.running_var', shape: [H], data: values(H, seed + 5, 0.5, 2) },
      { name: 'V', shape: [2, H], data: values(2 * H, seed + 6) },
      { name: 'c', shape: [2], data: values(2, seed + 7) },
    ],
  };
}

const xs = values(N * IN, 99, -2, 2);
const data = makeDataset('tiny', [IN], xs, { kind: 'classes', labels: Int32Array.from({ length: N }, (_, i) => i % 2), numClasses: 2 });

test('swa of two ONNX models: the float64 mean, and BatchNorm statistics of the averaged Gemm output by hand', (t) => {
  const before = tf.memory().numTensors;
  const a = createOnnxModel(buildModel(tiny(1)), 'a.onnx');
  const b = createOnnxModel(buildModel(tiny(20)), 'b.onnx');
  const models = [
    { label: 'a', model: a },
    { label: 'b', model: b },
  ];
  const avg = averageOnnxWeights(models);
  t.deepEqual(
    a.params.map((p) => p.name),
    ['W', 'b', 'bn.weight', 'bn.bias', 'V', 'c'],
  );
  a.params.forEach((p, i) => {
    const va = a.initialValue(p.name);
    const vb = b.initialValue(p.name);
    t.deepEqual(Array.from(avg.params[i]!), Array.from(va, (v, j) => Math.fround((v + vb[j]!) / 2)), p.name);
  });
  // Batches of 3 (10 = 3 + 3 + 3 + 1): the merge across batches is exact.
  const r = averageOnnxCheckpoints(models, data, { batchSize: 3 });
  const W = avg.params[0]!;
  const bias = avg.params[1]!;
  for (let c = 0; c < H; c++) {
    const h: number[] = [];
    for (let n = 0; n < N; n++) {
      let s = bias[c]!;
      for (let k = 0; k < IN; k++) s += xs[n * IN + k]! * W[c * IN + k]!;
      h.push(s);
    }
    const mean = h.reduce((p, q) => p + q, 0) / N;
    const pop = h.reduce((p, q) => p + (q - mean) ** 2, 0) / N;
    t.true(Math.abs(r.bn[0]!.mean[c]! - mean) < 1e-5, `mean ${c}: ${r.bn[0]!.mean[c]} vs ${mean}`);
    t.true(Math.abs(r.bn[0]!.variance[c]! - pop) < 1e-5 * (1 + pop), `variance ${c}: ${r.bn[0]!.variance[c]} vs ${pop}`);
    t.is(r.state[0]![c], Math.fround(r.bn[0]!.mean[c]!));
    t.is(r.state[1]![c], Math.fround(r.bn[0]!.variance[c]!), 'the population variance is stored');
  }
  t.is(r.bn[0]!.count, N);
  t.is(r.bn[0]!.layer, 'bn.running_mean');
  // The batch size does not change the statistics of the first BN node.
  const whole = averageOnnxCheckpoints(models, data, { batchSize: N });
  for (let c = 0; c < H; c++) {
    t.true(Math.abs(whole.bn[0]!.mean[c]! - r.bn[0]!.mean[c]!) < 1e-6);
    t.true(Math.abs(whole.bn[0]!.variance[c]! - r.bn[0]!.variance[c]!) < 1e-6);
  }
  a.dispose();
  b.dispose();
  t.is(tf.memory().numTensors, before, 'no tensors leak');
});

test('swa refuses ONNX graphs that differ', (t) => {
  const a = createOnnxModel(buildModel(tiny(1)), 'a.onnx');
  const g = tiny(2);
  g.nodes[2] = node('Sigmoid', ['z'], ['r']);
  const b = createOnnxModel(buildModel(g), 'b.onnx');
  const e = t.throws(() => averageOnnxWeights([{ label: 'a', model: a }, { label: 'b', model: b }]), { instanceOf: InputError });
  t.regex(e!.message, /^swa: the checkpoints have different architectures: a has 1 Relu node\(s\) but b has 0;/);
  a.dispose();
  b.dispose();
});

/** The model with its output moved to `tensor` (the nodes after it are pruned at run time). */
function truncated(m: OnnxModel, bytes: Uint8Array, tensor: string): OnnxModel {
  const proto = onnxProto.onnx.ModelProto.decode(bytes);
  proto.graph!.output = [{ name: tensor, type: { tensorType: { elemType: 1 } } }];
  return createOnnxModel(onnxProto.onnx.ModelProto.encode(proto).finish(), `${m.file}#${tensor}`);
}

test('cnn_bn fixture: the recomputed statistics of both BN nodes equal those of their inputs, computed through the truncated graph', async (t) => {
  const m = await loadOnnx('fixtures/onnx/cnn_bn/model.onnx');
  const { loadDataset } = await import('../../src/io/dataset.ts');
  const ds = await loadDataset('npy:fixtures/onnx/cnn_bn/x.npy,fixtures/onnx/cnn_bn/y.npy');
  const params = m.params.map((p) => m.initialValue(p.name));
  const state = m.state.map((p) => m.initialValue(p.name));
  // One batch of all samples: each BN node in training mode then normalises by the full-data
  // statistics, which eval mode with the recomputed state reproduces exactly.
  const r = recomputeOnnxBatchNorm(m, params, state, ds, { batchSize: ds.n });
  t.deepEqual(
    r.stats.map((s) => [s.layer, s.varName, s.count]),
    [
      ['bn1.running_mean', 'bn1.running_var', 48 * 64],
      ['bn2.running_mean', 'bn2.running_var', 48 * 4],
    ],
  );
  const bytes = m.serialize(params, r.state);
  for (const [k, input] of [
    [0, '/conv1/Conv_output_0'],
    [1, '/conv2/Conv_output_0'],
  ] as const) {
    const cut = truncated(m, bytes, input);
    const y = tf.tidy(() => {
      const ps = cut.params.map((p) => tf.tensor(cut.initialValue(p.name), p.shape));
      const ss = cut.state.map((p) => tf.tensor(cut.initialValue(p.name), p.shape));
      return cut.forward(tf.tensor(ds.x, [ds.n, ...ds.sampleShape]), ps, ss, { training: false, skipFinal: false });
    });
    const [n, c, h, w] = y.shape as number[];
    const v = y.dataSync();
    y.dispose();
    for (let ch = 0; ch < c!; ch++) {
      let s = 0;
      for (let i = 0; i < n!; i++) for (let j = 0; j < h! * w!; j++) s += v[(i * c! + ch) * h! * w! + j]!;
      const mean = s / (n! * h! * w!);
      let q = 0;
      for (let i = 0; i < n!; i++) for (let j = 0; j < h! * w!; j++) q += (v[(i * c! + ch) * h! * w! + j]! - mean) ** 2;
      const pop = q / (n! * h! * w!);
      const st = r.stats[k]!;
      t.true(Math.abs(st.mean[ch]! - mean) < 1e-5 * (1 + Math.abs(mean)), `${st.layer}[${ch}]: ${st.mean[ch]} vs ${mean}`);
      t.true(Math.abs(st.variance[ch]! - pop) < 1e-4 * pop, `${st.varName}[${ch}]: ${st.variance[ch]} vs ${pop}`);
    }
    cut.dispose();
  }
  m.dispose();
});
