/**
 * --grad-chunk's chunks on worker threads: whole runs (runTraining) of an MLP with
 * --grad-chunk 16 on 1, 2 and 3 workers give byte-identical weights and train-logs (but the
 * timings), for SGD and SAM, for a layers model (with and without Dropout) and an ONNX
 * graph; the fingerprint records
 * gradChunk and never the workers; a worker's failure comes back as its typed error; no
 * worker thread is left after a run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { Backend } from '../../src/engine/backendNames.ts';
import { tf, tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { loadCheckpoint } from '../../src/formats/loadCheckpoint.ts';
import type { LayersCheckpoint, OnnxCheckpoint } from '../../src/formats/Checkpoint.ts';
import type { OnnxModel } from '../../src/formats/onnx/OnnxModel.ts';
import { createOnnxModel } from '../../src/formats/onnx/loadOnnx.ts';
import { generateSynthetic } from '../../src/io/synthetic.ts';
import { mlp } from '../../src/models/mlp.ts';
import { liveDataWorkers } from '../../src/parallel/DataParallelObjective.ts';
import { InputError } from '../../src/errors.ts';
import { CheckpointFormat } from '../../src/formats/Network.ts';
import { flatWeights } from '../../src/training/modelWeights.ts';
import { onnxRunModel } from '../../src/training/onnxRunModel.ts';
import { runTraining, type TrainLog } from '../../src/training/runTraining.ts';
import { StepWorkers } from '../../src/training/stepWorkers.ts';
import { layersTrainableNet } from '../../src/training/layersTrainableNet.ts';
import { buildTrainingNetwork } from '../../src/training/trainingModel.ts';
import { resolveTrainConfig, type TrainOptions } from '../../src/training/trainConfig.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { buildModel, node, values, type GraphSpec } from '../formats/onnx/buildOnnx.ts';

let root = '';
test.before(async () => {
  await useBackend('cpu');
  root = await tempDir('sharpness-stepworkers-');
});

/** Worker threads exit asynchronously (slowly on a loaded machine): waits up to 30 s. */
async function waitForExit(): Promise<number> {
  for (let i = 0; i < 600 && liveDataWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return liveDataWorkers();
}

const data = generateSynthetic('blobs', 120, 3);
const engine = { backend: Backend.cpu };

/** The log without what differs between two directories: timings and paths. */
function comparable(log: TrainLog): unknown {
  const solutions = Object.fromEntries(Object.entries(log.solutions ?? {}).map(([k, v]) => [k, { ...v, path: path.basename(v.path ?? '') }]));
  return { ...log, epochs: log.epochs.map((e) => ({ ...e, seconds: 0 })), solutions };
}

async function finalWeights(dir: string): Promise<Float32Array> {
  const c = await loadCheckpoint(dir);
  try {
    if (c.format === CheckpointFormat.onnx) {
      const m = (c as OnnxCheckpoint<OnnxModel>).onnx;
      return Float32Array.from(m.params.flatMap((p) => Array.from(m.initialValue(p.name))));
    }
    return flatWeights((c as LayersCheckpoint).model);
  } finally {
    c.dispose();
  }
}

/** x [N,2] -> Gemm -> Relu -> Gemm -> Softmax, no BatchNorm. */
function onnxMlp(): Uint8Array {
  const H = 8;
  const g: GraphSpec = {
    opset: 14,
    inputs: [{ name: 'x', shape: ['N', 2] }],
    outputs: [{ name: 'probs' }],
    nodes: [
      node('Gemm', ['x', 'W', 'b'], ['h'], { transB: { i: 1 } }),
      node('Relu', ['h'], ['r']),
      node('Gemm', ['r', 'V', 'c'], ['logits'], { transB: { i: 1 } }),
      node('Softmax', ['logits'], ['probs'], { axis: { i: -1 } }),
    ],
    initializers: [
      { name: 'W', shape: [H, 2], data: values(H * 2, 1) },
      { name: 'b', shape: [H], data: values(H, 2) },
      { name: 'V', shape: [3, H], data: values(3 * H, 3) },
      { name: 'c', shape: [3], data: values(3, 4) },
    ],
  };
  return buildModel(g);
}

/** An MLP with a Dropout layer (seeded per chunk), its weights from a seeded generator. */
function dropoutMlp(): tfl.LayersModel {
  const L = tfl.layers;
  const m = tfl.sequential({
    name: 'dropout_mlp',
    layers: [L.dense({ inputShape: [2], units: 16, activation: 'relu', name: 'h' }), L.dropout({ rate: 0.3, name: 'drop' }), L.dense({ units: 3, activation: 'softmax', name: 'out' })],
  });
  const rng = createRng(9);
  m.setWeights(m.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => 0.5 * rng.normal()), w.shape)));
  return m;
}

async function run(name: string, format: 'layers' | 'onnx' | 'dropout', options: TrainOptions, workers: number | null) {
  const config = resolveTrainConfig({ epochs: 2, batchSize: 48, lr: 0.1, momentum: 0.9, l2: 0.001, seed: 4, ...options });
  const layers = format === 'layers' ? mlp([2], 3, 1, { hidden: 16 }) : format === 'dropout' ? dropoutMlp() : null;
  const onnx = format === 'onnx' ? createOnnxModel(onnxMlp(), 'mlp.onnx') : null;
  let threads = 0;
  try {
    const s = await runTraining({
      model: layers ?? onnxRunModel(onnx!),
      modelSource: format,
      data,
      loss: 'ce',
      config,
      outDir: path.join(root, name),
      ...(workers === null ? {} : { stepWorkers: { workers, engine } }),
      events: { onIteration: () => (threads = Math.max(threads, liveDataWorkers())) },
    });
    const log = JSON.parse(await readFile(s.log, 'utf8')) as TrainLog;
    return { log, weights: await finalWeights(s.solutions['final']!.path!), threads };
  } finally {
    layers?.dispose();
    onnx?.dispose();
  }
}

for (const [format, method] of [
  ['layers', 'sgd'],
  ['layers', 'sam'],
  ['onnx', 'sgd'],
  ['dropout', 'sgd'],
] as const) {
  test.serial(`${format} ${method} --grad-chunk 16: 1, 2 and 3 workers give the same weights and train-log, byte for byte; no thread left`, async (t) => {
    const options: TrainOptions = { gradChunk: 16, ...(method === 'sam' ? { method, rho: 0.05 } : {}) };
    const one = await run(`${format}-${method}-w1`, format, options, 1);
    t.is(one.log.hyperparameters['gradChunk'], 16);
    t.is((one.log.fingerprint['hyperparameters'] as Record<string, unknown>)['gradChunk'], 16);
    t.false(JSON.stringify(one.log).includes('"workers"'), 'no workers key');
    t.is(one.threads, 0, 'one worker: the chunks run in this thread');
    for (const workers of [2, 3]) {
      const many = await run(`${format}-${method}-w${workers}`, format, options, workers);
      t.is(many.threads, workers, `${workers} worker threads ran`);
      t.deepEqual(many.weights, one.weights, `${workers} workers: weights`);
      t.deepEqual(comparable(many.log), comparable(one.log), `${workers} workers: train-log`);
      t.is(await waitForExit(), 0, 'no worker thread left');
    }
    // the same run with the chunks in this thread (no step workers at all)
    const local = await run(`${format}-${method}-local`, format, options, null);
    t.deepEqual(local.weights, one.weights);
    // and chunks are a hyperparameter: without them the weights differ (slightly)
    const plain = await run(`${format}-${method}-plain`, format, method === 'sam' ? { method, rho: 0.05 } : {}, 2);
    t.notDeepEqual(plain.weights, one.weights);
    t.false('gradChunk' in plain.log.hyperparameters);
  });
}

test.serial('a worker that cannot build the network fails the first step with its typed error; no thread is left', async (t) => {
  const model = mlp([2], 3, 1, { hidden: 4 });
  const net = await buildTrainingNetwork(model, 'ce');
  const workers = new StepWorkers(layersTrainableNet(net), data, 'ce', {
    workers: 2,
    engine,
    source: { format: 'onnx', bytes: new Uint8Array([1, 2, 3]), file: 'broken.onnx' },
    batchSize: 8,
    gradChunk: 4,
  });
  const indices = Int32Array.from({ length: 8 }, (_, i) => i);
  const e = t.throws(() => workers.run({ indices, chunk: 4, seeds: [1, 2], withHits: true }, () => {}));
  t.true(e instanceof InputError, String(e));
  t.regex(e!.message, /broken\.onnx/);
  // a second step says the same, without starting threads again
  t.is(t.throws(() => workers.run({ indices, chunk: 4, seeds: [1, 2], withHits: true }, () => {})), e);
  workers.close();
  t.is(await waitForExit(), 0);
  net.dispose();
  model.dispose();
});
