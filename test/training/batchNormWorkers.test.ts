/**
 * The BatchNorm recompute with its batches on worker threads (training/BatchNormWorkers.ts):
 * for a layers CNN with two BN layers and for the cnn_bn ONNX graph, the statistics and the
 * new running statistics on 1, 2 and 3 workers equal the single-thread recompute's bit for
 * bit (7 batches: not a multiple of 2 or 3); one pool serves several recomputes at other
 * weights; 1 worker, or 1 batch, starts no thread; a worker that cannot build the network fails with a
 * typed error (not a hang) and the pool stays failed; no thread is left after close().
 */
import test, { type ExecutionContext } from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { InputError } from '../../src/errors.ts';
import { loadDataset } from '../../src/io/dataset.ts';
import { loadOnnx, createOnnxModel } from '../../src/formats/onnx/loadOnnx.ts';
import { BATCHNORM_WORKERS_MIN_SAMPLES, BatchNormWorkers, batchNormWorkerCount } from '../../src/training/BatchNormWorkers.ts';
import { liveDataWorkers } from '../../src/parallel/DataParallelObjective.ts';
import { startedSyncWorkers } from '../../src/parallel/SyncWorkers.ts';
import { flatWeights, setFlatWeights } from '../../src/training/modelWeights.ts';
import { recomputeBatchNormInPlace, type BatchNormLayerStats } from '../../src/training/recomputeBatchNorm.ts';
import { recomputeOnnxBatchNorm, type OnnxBatchNormStats } from '../../src/training/recomputeOnnxBatchNorm.ts';
import { useBackend } from '../helpers/engine.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { buildModel, node, values } from '../formats/onnx/buildOnnx.ts';

test.before(async () => {
  await useBackend('cpu');
});

/** Worker threads exit asynchronously (slowly on a loaded machine): waits up to 30 s. */
async function waitForExit(): Promise<number> {
  for (let i = 0; i < 600 && liveDataWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return liveDataWorkers();
}

const bytes = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Same bits: every statistic's mean and variance (float64) and count. */
function sameStats(t: ExecutionContext, a: (BatchNormLayerStats | OnnxBatchNormStats)[], b: typeof a, what: string): void {
  t.is(a.length, b.length, `${what}: layer count`);
  a.forEach((s, i) => {
    const o = b[i]!;
    t.is(s.layer, o.layer, what);
    t.is(s.count, o.count, `${what}: ${s.layer} count`);
    t.true(bytes(s.mean).equals(bytes(o.mean)), `${what}: ${s.layer} mean bits`);
    t.true(bytes(s.variance).equals(bytes(o.variance)), `${what}: ${s.layer} variance bits`);
  });
}

/** Conv 3x3x4, BN, ReLU, pool, conv 3x3x4, BN, dropout, dense: the second BN's input depends on the first's batch statistics. */
function twoBnCnn(seed: number): tfl.LayersModel {
  const L = tfl.layers;
  const m = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, name: 'c1' }),
      L.batchNormalization({ name: 'bn1' }),
      L.activation({ activation: 'relu', name: 'r1' }),
      L.maxPooling2d({ poolSize: 2, name: 'p1' }),
      L.conv2d({ filters: 4, kernelSize: 3, name: 'c2' }),
      L.batchNormalization({ name: 'bn2' }),
      L.dropout({ rate: 0.5, name: 'drop' }),
      L.flatten({ name: 'flat' }),
      L.dense({ units: 10, activation: 'softmax', name: 'out' }),
    ],
  });
  seedWeights(m, createRng(seed));
  return m;
}

test.serial('layers CNN with two BN layers: 1, 2 and 3 workers give the single-thread statistics bit for bit; one pool serves two recomputes', async (t) => {
  const data = await loadDataset('mnist:train:200');
  const batchSize = 30; // 7 batches: 6 of 30, 1 of 20
  const model = twoBnCnn(3);
  const initial = flatWeights(model);
  const other = initial.map((v, i) => (i % 3 === 0 ? v * 1.25 : v));
  const here = async (w: Float32Array) => {
    setFlatWeights(model, w);
    const stats = await recomputeBatchNormInPlace(model, data, { batchSize });
    return { stats, weights: flatWeights(model) };
  };
  const expected = [await here(initial), await here(other)];
  t.is(expected[0]!.stats.length, 2);
  t.false(bytes(expected[0]!.stats[1]!.mean).equals(bytes(expected[1]!.stats[1]!.mean)), 'the weights matter');
  const before = tf.memory().numTensors;
  for (const workers of [1, 2, 3]) {
    const started = startedSyncWorkers();
    const pool = BatchNormWorkers.forLayers(model, data, workers);
    try {
      for (const [k, w] of [initial, other].entries()) {
        setFlatWeights(model, w);
        const stats = await recomputeBatchNormInPlace(model, data, { batchSize, workers: pool });
        sameStats(t, stats, expected[k]!.stats, `${workers} workers, weights ${k}`);
        t.true(bytes(flatWeights(model)).equals(bytes(expected[k]!.weights)), `${workers} workers, weights ${k}: the model's new weights`);
      }
      t.is(startedSyncWorkers() - started, workers === 1 ? 0 : workers, 'one pool for both recomputes; 1 worker: this thread');
      t.is(pool.stats.runs, workers === 1 ? 0 : 2);
      if (workers > 1) t.true(pool.stats.startSeconds > 0);
    } finally {
      pool.close();
    }
  }
  t.is(tf.memory().numTensors, before, 'no tensors leak in this thread');
  t.is(await waitForExit(), 0, 'every worker thread exited after close()');
  model.dispose();
});

test.serial('ONNX cnn_bn: 1, 2 and 3 workers give the single-thread state and statistics bit for bit, at weights other than the file\'s', async (t) => {
  const m = await loadOnnx('fixtures/onnx/cnn_bn/model.onnx');
  const ds = await loadDataset('npy:fixtures/onnx/cnn_bn/x.npy,fixtures/onnx/cnn_bn/y.npy');
  const batchSize = 7; // 48 samples: 6 batches of 7, 1 of 6
  const params = m.params.map((p) => m.initialValue(p.name).map((v, i) => v * (1 + 0.01 * (i % 5))));
  const state = m.state.map((s) => m.initialValue(s.name));
  const expected = recomputeOnnxBatchNorm(m, params, state, ds, { batchSize });
  t.deepEqual(
    expected.stats.map((s) => s.varName),
    ['bn1.running_var', 'bn2.running_var'],
  );
  const before = tf.memory().numTensors;
  for (const workers of [1, 2, 3]) {
    const started = startedSyncWorkers();
    const pool = BatchNormWorkers.forOnnx(m, ds, workers);
    try {
      const r = recomputeOnnxBatchNorm(m, params, state, ds, { batchSize, workers: pool });
      sameStats(t, r.stats, expected.stats, `${workers} workers`);
      r.stats.forEach((s, i) => t.is(s.varName, expected.stats[i]!.varName));
      r.state.forEach((s, i) => t.true(bytes(s).equals(bytes(expected.state[i]!)), `${workers} workers: ${m.state[i]!.name}`));
      t.is(startedSyncWorkers() - started, workers === 1 ? 0 : workers);
    } finally {
      pool.close();
    }
  }
  // One batch: computed in this thread, no worker starts.
  const started = startedSyncWorkers();
  const pool = BatchNormWorkers.forOnnx(m, ds, 2);
  const whole = recomputeOnnxBatchNorm(m, params, state, ds, { batchSize: ds.n, workers: pool });
  sameStats(t, whole.stats, recomputeOnnxBatchNorm(m, params, state, ds, { batchSize: ds.n }).stats, 'one batch');
  t.is(startedSyncWorkers(), started, 'one batch: no thread');
  pool.close();
  t.is(tf.memory().numTensors, before, 'no tensors leak in this thread');
  t.is(await waitForExit(), 0, 'every worker thread exited after close()');
  m.dispose();
});

test.serial('a worker whose network takes another number of weights fails with a typed error, not a hang; the pool stays failed and its threads exit', async (t) => {
  // A tiny graph (Gemm, BN, Gemm) recomputed on workers told to build the cnn_bn graph instead.
  const tiny = createOnnxModel(
    buildModel({
      opset: 14,
      inputs: [{ name: 'x', shape: ['N', 3] }],
      outputs: [{ name: 'y' }],
      nodes: [
        node('Gemm', ['x', 'W', 'b'], ['h'], { transB: { i: 1 } }),
        node('BatchNormalization', ['h', 'g', 'beta', 'mean', 'var'], ['y']),
      ],
      initializers: [
        { name: 'W', shape: [2, 3], data: values(6, 1) },
        { name: 'b', shape: [2], data: values(2, 2) },
        { name: 'g', shape: [2], data: values(2, 3, 0.5, 1.5) },
        { name: 'beta', shape: [2], data: values(2, 4) },
        { name: 'mean', shape: [2], data: values(2, 5) },
        { name: 'var', shape: [2], data: values(2, 6, 0.5, 2) },
      ],
    }),
    'tiny.onnx',
  );
  const { makeDataset } = await import('../../src/io/makeDataset.ts');
  const data = makeDataset('tiny', [3], values(30, 9), { kind: 'classes', labels: new Int32Array(10), numClasses: 2 });
  const params = tiny.params.map((p) => tiny.initialValue(p.name));
  const state = tiny.state.map((s) => tiny.initialValue(s.name));
  const weightCount = [...params, ...state].reduce((a, v) => a + v.length, 0);
  const pool = new BatchNormWorkers({ workers: 2, source: { format: 'onnx', file: 'fixtures/onnx/cnn_bn/model.onnx' }, weightCount, data });
  const e = t.throws(() => recomputeOnnxBatchNorm(tiny, params, state, data, { batchSize: 4, workers: pool }), { instanceOf: InputError });
  t.regex(e!.message, /^batchnorm: worker thread \d's copy of fixtures\/onnx\/cnn_bn\/model\.onnx has \d+ weights but the network to recompute has 16;/);
  t.throws(() => recomputeOnnxBatchNorm(tiny, params, state, data, { batchSize: 4, workers: pool }), { is: e }, 'stays failed');
  // A file the workers cannot load: the loader's own typed error.
  const missing = BatchNormWorkers.forOnnx(tiny, data, 2);
  t.throws(() => recomputeOnnxBatchNorm(tiny, params, state, data, { batchSize: 4, workers: missing }), { instanceOf: InputError, message: /tiny\.onnx/ });
  pool.close();
  missing.close();
  t.is(await waitForExit(), 0, 'every worker thread exited');
  tiny.dispose();
});

test('default threads of the BatchNorm pass: the cores only on data of 10,000 samples or more; an explicit --workers always', (t) => {
  t.is(batchNormWorkerCount(undefined, 4, 9_999), 1);
  t.is(batchNormWorkerCount(undefined, 4, BATCHNORM_WORKERS_MIN_SAMPLES), 4);
  t.is(batchNormWorkerCount('3', 3, 10), 3);
  t.is(batchNormWorkerCount(1, 1, 1_000_000), 1);
});
