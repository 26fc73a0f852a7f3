import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { loadLayers as loadCheckpoint } from '../../src/formats/loadCheckpoint.ts';
import { loadDataset, type Dataset } from '../../src/io/dataset.ts';
import { cnn } from '../../src/models/cnn.ts';
import { mlp } from '../../src/models/mlp.ts';
import { flatWeights } from '../../src/training/modelWeights.ts';
import { resolveTrainConfig, type TrainOptions } from '../../src/training/trainConfig.ts';
import { runTraining, type RunEvents, type TrainLog } from '../../src/training/runTraining.ts';
import { isSharpnessError } from '../../src/errors.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

let data: Dataset;
let evalData: Dataset;
let root = '';
test.before(async () => {
  await useBackend('wasm');
  data = await loadDataset('mnist:train:200');
  evalData = await loadDataset('mnist:test:100');
  root = await tempDir('sharpness-train-');
});

async function train(name: string, options: TrainOptions, extra: { events?: RunEvents; signal?: AbortSignal; model?: 'cnn' | 'mlp' } = {}) {
  const config = resolveTrainConfig({ epochs: 3, batchSize: 64, lr: 0.05, seed: 3, ...options });
  const model = (extra.model ?? 'cnn') === 'cnn' ? cnn([28, 28, 1], 10, 1) : mlp([28, 28, 1], 10, 1, { hidden: 16 });
  try {
    return await runTraining({
      model,
      modelSource: extra.model ?? 'cnn',
      data,
      evalData,
      loss: 'ce',
      config,
      outDir: path.join(root, name),
      ...(extra.events ? { events: extra.events } : {}),
      ...(extra.signal ? { signal: extra.signal } : {}),
    });
  } finally {
    model.dispose();
  }
}

async function weightsOf(dir: string): Promise<Float32Array> {
  const c = await loadCheckpoint(dir);
  const w = flatWeights(c.model);
  c.model.dispose();
  return w;
}

/** The log without what legitimately differs between two directories: timings and paths. */
function comparable(log: TrainLog): unknown {
  const solutions = Object.fromEntries(Object.entries(log.solutions ?? {}).map(([k, v]) => [k, { ...v, path: path.basename(v.path ?? '') }]));
  return { ...log, epochs: log.epochs.map((e) => ({ ...e, seconds: 0 })), solutions };
}

const methods: [string, TrainOptions][] = [
  ['sam', { method: 'sam', rho: 0.05, momentum: 0.9 }],
  ['swa', { method: 'swa', swaStart: 1, swaLr: 0.01, cycle: 2, momentum: 0.9 }],
];

for (const [name, options] of methods) {
  test.serial(`${name}: interrupted after epoch 1 (and mid-epoch 2), rerun resumes and ends with the same weights and log as an uninterrupted run`, async (t) => {
    const full = await train(`${name}-full`, options);
    const ctl = new AbortController();
    const err = await t.throwsAsync(train(`${name}-resumed`, options, { signal: ctl.signal, events: { onEpoch: (r) => r.epoch === 1 && ctl.abort() } }));
    t.true(isSharpnessError(err) && err.kind === 'interrupted');
    t.regex(err!.message, /state after epoch 1 .*rerun the same command to resume/);
    // A second interruption in the middle of epoch 2: the state stays at epoch 1.
    const ctl2 = new AbortController();
    await t.throwsAsync(train(`${name}-resumed`, options, { signal: ctl2.signal, events: { onIteration: (i) => i.iteration === 6 && ctl2.abort() } }));
    let resumedFrom = -1;
    const resumed = await train(`${name}-resumed`, options, { events: { onStart: (s) => (resumedFrom = s.resumedFrom) } });
    t.is(resumedFrom, 1);
    t.is(resumed.resumedFrom, 1);
    for (const sol of Object.keys(full.solutions)) {
      t.deepEqual(await weightsOf(resumed.solutions[sol]!.path!), await weightsOf(full.solutions[sol]!.path!), sol);
      t.deepEqual(resumed.solutions[sol]!.eval, full.solutions[sol]!.eval);
    }
    const la = JSON.parse(await readFile(full.log, 'utf8')) as TrainLog;
    const lb = JSON.parse(await readFile(resumed.log, 'utf8')) as TrainLog;
    t.deepEqual(comparable(lb), comparable(la));
    t.is(la.iterations.lr.length, 12);
    // Rerunning a finished run changes nothing.
    const again = await train(`${name}-full`, options);
    t.is(again.resumedFrom, 3);
    t.is(again.solutions['final']!.sha256, full.solutions['final']!.sha256);
  });
}

test.serial('a run directory with other options, or one that is not a run, is refused with the difference named', async (t) => {
  await train('sgd-a', { method: 'sgd', epochs: 1 }, { model: 'mlp' });
  const e = await t.throwsAsync(train('sgd-a', { method: 'sgd', epochs: 1, lr: 0.1 }, { model: 'mlp' }));
  t.regex(e!.message, /holds a run with different settings \(hyperparameters\.lr: 0\.05 vs 0\.1, saved vs now\)/);
  const e2 = await t.throwsAsync(train('sgd-a/final', { method: 'sgd', epochs: 1 }, { model: 'mlp' }));
  t.regex(e2!.message, /is not a training run directory/);
});

test.serial('fge interrupted inside its first epoch (a snapshot written, no state yet): the rerun starts over and matches an uninterrupted run', async (t) => {
  const options: TrainOptions = { method: 'fge', swaStart: 0, cycle: 2, swaLr: 0.005, epochs: 2 };
  const full = await train('fge-first-full', options, { model: 'mlp' });
  const ctl = new AbortController();
  await t.throwsAsync(train('fge-first', options, { model: 'mlp', signal: ctl.signal, events: { onIteration: (i) => i.iteration === 3 && ctl.abort() } }), {
    message: /stopped before the first epoch ended/,
  });
  const again = await train('fge-first', options, { model: 'mlp' });
  t.is(again.resumedFrom, 0);
  t.is(again.snapshots.length, full.snapshots.length);
  t.deepEqual(await weightsOf(again.solutions['final']!.path!), await weightsOf(full.solutions['final']!.path!));
  const other = await t.throwsAsync(train('fge-first-x', options, { model: 'mlp', signal: AbortSignal.abort() }));
  t.truthy(other);
  await t.throwsAsync(train('fge-first-x', { ...options, lr: 0.1 }, { model: 'mlp' }), { message: /holds another training run without a saved state \(hyperparameters\.lr: 0\.05 vs 0\.1, saved vs now\)/ });
});

test.serial('fge: the ensemble\'s eval scores equal the mean of the snapshots\' softmax outputs, scored by hand; sidecars record the run', async (t) => {
  const s = await train('fge', { method: 'fge', swaStart: 1, cycle: 2, swaLr: 0.005, saveEvery: 2 }, { model: 'mlp' });
  t.is(s.snapshots.length, 4); // 2 epochs of 4 batches after swa-start, a snapshot every 2 iterations
  const probs = new Float64Array(evalData.n * 10);
  for (const dir of s.snapshots) {
    const c = await loadCheckpoint(dir);
    const p = tf.tidy(() => c.model.predict(tf.tensor(evalData.x, [evalData.n, 28, 28, 1])) as tf.Tensor);
    p.dataSync().forEach((v, i) => (probs[i] += v / s.snapshots.length));
    p.dispose();
    t.is(c.sidecar?.method, 'fge');
    t.is(typeof c.sidecar?.['iteration'], 'number');
    c.model.dispose();
  }
  const labels = (evalData.targets as { labels: Int32Array }).labels;
  let nll = 0;
  let hits = 0;
  for (let i = 0; i < evalData.n; i++) {
    const row = Array.from(probs.subarray(i * 10, i * 10 + 10));
    nll -= Math.log(row[labels[i]!]!);
    if (row.indexOf(Math.max(...row)) === labels[i]) hits++;
  }
  const ens = s.solutions['ensemble']!;
  t.is(ens.members, 4);
  t.true(Math.abs(ens.eval!.loss - nll / evalData.n) < 1e-5, `${ens.eval!.loss} vs ${nll / evalData.n}`);
  t.is(ens.eval!.accuracy, hits / evalData.n);
  const final = await loadCheckpoint(s.solutions['final']!.path!);
  t.is(final.sidecar?.method, 'fge');
  t.is(final.sidecar?.epoch, 3);
  t.is(final.sidecar?.seed, 3);
  t.is(final.sidecar?.hyperparameters?.['cycle'], 2);
  t.is(typeof final.sidecar?.metrics?.['evalAccuracy'], 'number');
  t.is(final.sidecar?.['run'], path.join(root, 'fge'));
  final.model.dispose();
  const e2 = await loadCheckpoint(path.join(root, 'fge', 'epoch-2'));
  t.is(e2.sidecar?.epoch, 2);
  e2.model.dispose();
});

test.serial('regression (mse) on a built-in MLP and a user topology (--model path/model.json semantics) train too', async (t) => {
  const { generateSynthetic } = await import('../../src/io/synthetic.ts');
  const { modelFromTopologyFile } = await import('../../src/models/topologyFile.ts');
  const { saveCheckpoint } = await import('../../src/io/checkpoint.ts');
  const reg = generateSynthetic('linreg', 120, 1);
  const model = mlp([...reg.sampleShape], 1, 0, { hidden: 8, outputActivation: 'linear' });
  const s = await runTraining({
    model,
    modelSource: 'mlp',
    data: reg,
    loss: 'mse',
    config: resolveTrainConfig({ epochs: 3, batchSize: 16, lr: 0.01 }),
    outDir: path.join(root, 'linreg'),
  });
  t.is(s.solutions['final']!.train.accuracy, null);
  t.true(s.solutions['final']!.train.loss < s.lastEpoch!.trainLoss * 2);
  // A topology file: the weights come from the seed, not from the file.
  await saveCheckpoint(model, path.join(root, 'topology'));
  const a = await modelFromTopologyFile(path.join(root, 'topology', 'model.json'), 4);
  const b = await modelFromTopologyFile(path.join(root, 'topology'), 4);
  t.deepEqual(flatWeights(a), flatWeights(b));
  t.notDeepEqual(flatWeights(a), flatWeights(model));
  [a, b, model].forEach((m) => m.dispose());
});
