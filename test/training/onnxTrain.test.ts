/**
 * Training an ONNX graph: one SAM step through the Trainer equals the formula computed with
 * the objective's gradient (BatchNorm in batch-statistics mode, the full batch); the running
 * statistics follow PyTorch's update with the node's momentum and the unbiased batch
 * variance (by hand in float64); the checkpoint written reloads with the new weights and
 * the same graph; an interrupted run resumes to the same weights.
 */
import path from 'node:path';
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { createOnnxModel } from '../../src/formats/onnx/loadOnnx.ts';
import { loadCheckpoint } from '../../src/formats/loadCheckpoint.ts';
import type { OnnxCheckpoint } from '../../src/formats/Checkpoint.ts';
import type { OnnxModel } from '../../src/formats/onnx/OnnxModel.ts';
import { onnxNetwork } from '../../src/formats/onnx/onnxNetwork.ts';
import { makeDataset } from '../../src/io/makeDataset.ts';
import { createModelObjective } from '../../src/objective/modelObjective.ts';
import { onnxTrainableNet } from '../../src/training/onnxTrainableNet.ts';
import { onnxRunModel } from '../../src/training/onnxRunModel.ts';
import { Trainer } from '../../src/training/trainLoop.ts';
import { resolveTrainConfig, type TrainOptions } from '../../src/training/trainConfig.ts';
import { runTraining } from '../../src/training/runTraining.ts';
import { isSharpnessError } from '../../src/errors.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { buildModel, node, values, type GraphSpec } from '../formats/onnx/buildOnnx.ts';

test.before(async () => {
  await useBackend('cpu');
});

const N = 12;
const IN = 3;
const H = 4;
const MOMENTUM = 0.8;

/** x [N,3] -> Gemm(W, b) -> BatchNormalization (momentum 0.8) -> Relu -> Gemm(V, c) -> Softmax. */
function tiny(): GraphSpec {
  return {
    opset: 14,
    inputs: [{ name: 'x', shape: ['N', IN] }],
    outputs: [{ name: 'probs' }],
    nodes: [
      node('Gemm', ['x', 'W', 'b'], ['h'], { transB: { i: 1 } }),
      node('BatchNormalization', ['h', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], ['z'], { momentum: { f: MOMENTUM } }),
      node('Relu', ['z'], ['r']),
      node('Gemm', ['r', 'V', 'c'], ['logits'], { transB: { i: 1 } }),
      node('Softmax', ['logits'], ['probs'], { axis: { i: -1 } }),
    ],
    initializers: [
      { name: 'W', shape: [H, IN], data: values(H * IN, 1) },
      { name: 'b', shape: [H], data: values(H, 2) },
      { name: 'bn.weight', shape: [H], data: values(H, 3, 0.5, 1.5) },
      { name: 'bn.bias', shape: [H], data: values(H, 4) },
      { name: 'bn.running_mean', shape: [H], data: values(H, 5) },
      { name: 'bn.running_var', shape: [H], data: values(H, 6, 0.5, 2) },
      { name: 'V', shape: [3, H], data: values(3 * H, 7) },
      { name: 'c', shape: [3], data: values(3, 8) },
    ],
  };
}

const xs = values(N * IN, 42, -2, 2);
const data = makeDataset('tiny', [IN], xs, { kind: 'classes', labels: Int32Array.from({ length: N }, (_, i) => i % 3), numClasses: 3 });
const bytes = buildModel(tiny());

test.serial('one SAM step on an ONNX graph equals w - lr grad L(w + rho g / ||g||), the running statistics PyTorch\'s update', async (t) => {
  const m = createOnnxModel(bytes, 'tiny.onnx');
  const before = tf.memory().numTensors;
  const rho = 0.3;
  const lr = 0.2;
  // Independent: the objective over the whole data (one chunk), BatchNorm on batch statistics.
  const o = await createModelObjective(onnxNetwork(m), data, { loss: 'ce', bn: 'train', batchSize: N });
  const w0 = o.params;
  const g = o.grad(w0).grad;
  const gFlat = g.flatMap((x) => Array.from(x.dataSync()));
  const norm = Math.sqrt(gFlat.reduce((a, v) => a + v * v, 0));
  const moved = tf.tidy(() => w0.map((w, i) => tf.add(w, tf.mul(g[i]!, rho / norm))));
  const g2 = o.grad(moved).grad;
  const want = w0.map((w, i) => {
    const a = w.dataSync();
    const d = g2[i]!.dataSync();
    return Array.from(a, (v, j) => v - lr * d[j]!);
  });
  tf.dispose([...g, ...moved, ...g2]);
  o.dispose();

  const net = onnxTrainableNet(m, 'softmax');
  const options: TrainOptions = { method: 'sam', rho, p: 2, lr, momentum: 0, epochs: 1, batchSize: N, seed: 0 };
  const trainer = new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig(options) });
  await trainer.runEpoch();
  t.is(trainer.gradients, 2);
  const got = net.values();
  m.params.forEach((p, i) => {
    want[i]!.forEach((v, j) => t.true(Math.abs(got.params[i]![j]! - v) < 2e-6, `${p.name}[${j}]: ${got.params[i]![j]} vs ${v}`));
  });
  // Running statistics: m * running + (1 - m) * (batch mean, unbiased batch variance) of h = x W' + b at w0,
  // from the first pass only (the pass at w + e_hat leaves them alone).
  const W = m.initialValue('W');
  const b = m.initialValue('b');
  const rm0 = m.initialValue('bn.running_mean');
  const rv0 = m.initialValue('bn.running_var');
  for (let c = 0; c < H; c++) {
    const h = Array.from({ length: N }, (_, n) => b[c]! + [0, 1, 2].reduce((s, k) => s + xs[n * IN + k]! * W[c * IN + k]!, 0));
    const mean = h.reduce((a, v) => a + v, 0) / N;
    const unbiased = h.reduce((a, v) => a + (v - mean) ** 2, 0) / (N - 1);
    const m32 = Math.fround(MOMENTUM);
    t.true(Math.abs(got.state[0]![c]! - (m32 * rm0[c]! + (1 - m32) * mean)) < 1e-5, `running_mean[${c}]`);
    t.true(Math.abs(got.state[1]![c]! - (m32 * rv0[c]! + (1 - m32) * unbiased)) < 1e-5, `running_var[${c}]`);
  }
  trainer.dispose();
  net.dispose();
  t.is(tf.memory().numTensors, before, 'no tensors leak');
  m.dispose();
});

test.serial('the checkpoint written reloads with the trained weights and the same graph', async (t) => {
  const m = createOnnxModel(bytes, 'tiny.onnx');
  const rm = onnxRunModel(m);
  const net = (await rm.trainingNet('ce')) as ReturnType<typeof onnxTrainableNet>;
  const trainer = new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig({ epochs: 1, batchSize: 4, lr: 0.1, seed: 1 }) });
  await trainer.runEpoch();
  const want = net.values();
  rm.stage();
  const dir = path.join(await tempDir('sharpness-onnx-train-'), 'ckpt');
  const saved = await rm.save(dir, { method: 'sgd', epoch: 1 });
  const c = (await loadCheckpoint(dir)) as OnnxCheckpoint<OnnxModel>;
  t.is(c.format, 'onnx');
  t.is(c.sha256, saved.sha256);
  t.is(c.sidecar?.method, 'sgd');
  t.deepEqual(c.onnx.opCounts, m.opCounts);
  for (const k of ['params', 'state', 'constants'] as const) t.deepEqual(c.onnx[k], m[k], k);
  m.params.forEach((p, i) => t.deepEqual(c.onnx.initialValue(p.name), want.params[i], p.name));
  m.state.forEach((s, i) => t.deepEqual(c.onnx.initialValue(s.name), want.state[i], s.name));
  t.notDeepEqual(Array.from(want.params[0]!), Array.from(m.initialValue('W')), 'the weights moved');
  t.deepEqual(await rm.readFlatWeights(dir), net.flatWeights());
  c.dispose();
  trainer.dispose();
  rm.dispose();
  m.dispose();
});

test.serial('an interrupted ONNX run (swa) resumes to the same weights as an uninterrupted one', async (t) => {
  const root = await tempDir('sharpness-onnx-resume-');
  const config = resolveTrainConfig({ method: 'swa', swaStart: 1, swaLr: 0.02, epochs: 3, batchSize: 5, lr: 0.1, momentum: 0.9, seed: 2 });
  const run = async (name: string, extra: { signal?: AbortSignal; onEpoch?: (e: number) => void } = {}) => {
    const m = createOnnxModel(bytes, 'tiny.onnx');
    try {
      return await runTraining({
        model: onnxRunModel(m),
        modelSource: 'init:tiny.onnx',
        data,
        loss: 'ce',
        config,
        outDir: path.join(root, name),
        ...(extra.signal ? { signal: extra.signal } : {}),
        events: { onEpoch: (r) => extra.onEpoch?.(r.epoch) },
      });
    } finally {
      m.dispose();
    }
  };
  const full = await run('full');
  const ctl = new AbortController();
  const err = await t.throwsAsync(run('resumed', { signal: ctl.signal, onEpoch: (e) => e === 1 && ctl.abort() }));
  t.true(isSharpnessError(err) && err.kind === 'interrupted');
  const resumed = await run('resumed');
  t.is(resumed.resumedFrom, 1);
  for (const sol of ['swa', 'sgdLast', 'final']) {
    const a = (await loadCheckpoint(full.solutions[sol]!.path!)) as OnnxCheckpoint<OnnxModel>;
    const b = (await loadCheckpoint(resumed.solutions[sol]!.path!)) as OnnxCheckpoint<OnnxModel>;
    t.is(a.sha256, b.sha256, sol);
    a.dispose();
    b.dispose();
  }
});
