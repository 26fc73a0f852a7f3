/**
 * Data-parallel training steps (`npm run bench:steps`; not a test): seconds per epoch of SGD
 * on MNIST for the built-in MLP and for the built-in CNN without its BatchNorm layer
 * ('cnn-nobn': --grad-chunk below the batch size is refused with BatchNorm, which the
 * bench shows for the built-in 'cnn') (seeded weights) on single-threaded
 * wasm, at --batches (default 128 and 512), each
 *
 *   - without --grad-chunk (today's step, one pass over the minibatch),
 *   - with --grad-chunk B/2 in this thread (--workers 1),
 *   - with --grad-chunk B/2 on 2 worker threads (--workers 2; the same weights, checked),
 *
 * timed over passes through the first --samples-mlp / --samples-cnn training images, the
 * fastest of --repeats (the machine is shared: the fastest is the least disturbed), after a
 * warm-up of two steps
 * (worker start-up and first kernels; the start-up is reported apart), scaled to a 60,000
 * image epoch. It also reports what the main thread spends per pass on the transfers:
 * writing the weights and indices into shared memory and posting (send), and adding a
 * chunk's gradient in chunk order (add: addScaledInPlace timed alone on the model's size).
 *
 *   node --import=tsx bench/trainSteps.bench.ts [--models mlp,cnn-nobn] [--batches 128,512]
 *     [--samples-mlp 20000] [--samples-cnn 10000] [--repeats 3] [--out bench/results/trainSteps.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initEngine, describeEngine } from '../src/engine/backend.ts';
import { Backend } from '../src/engine/backendNames.ts';
import { loadDataset, type Dataset } from '../src/io/dataset.ts';
import { tfl } from '../src/engine/tf.ts';
import { createRng } from '../src/engine/rng.ts';
import { buildBuiltinModel, type BuiltinModel } from '../src/models/builtinModels.ts';
import { initWeightsInPlace, KernelInit } from '../src/models/initWeights.ts';
import { addScaledInPlace } from '../src/objective/modelObjective.ts';
import { layersRunModel } from '../src/training/layersRunModel.ts';
import { createStepChunks, StepWorkers } from '../src/training/stepWorkers.ts';
import { Trainer, TrainingStopped } from '../src/training/trainLoop.ts';
import { resolveTrainConfig } from '../src/training/trainConfig.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const models = arg('models', 'mlp,cnn-nobn').split(',');
const batches = arg('batches', '128,512').split(',').map(Number);
const samplesOf: Record<string, number> = { mlp: Number(arg('samples-mlp', '20000')), 'cnn-nobn': Number(arg('samples-cnn', '10000')) };
const repeats = Number(arg('repeats', '3'));
const outFile = arg('out', 'bench/results/trainSteps.json');
const EPOCH = 60_000;

const info = await initEngine({ backend: Backend.wasm, threads: 1 });
const loadBefore = os.loadavg()[0]!;
process.stderr.write(`${describeEngine(info)}\n`);
const all = await loadDataset(`mnist:train:${Math.max(...models.map((m) => samplesOf[m] ?? 2048))}`);

/** The built-in model, or 'cnn-nobn': the built-in CNN without its BatchNorm layer. */
function build(name: string): tfl.LayersModel {
  if (name !== 'cnn-nobn') return buildBuiltinModel(name as BuiltinModel, [28, 28, 1], 10, 1);
  const L = tfl.layers;
  const model = tfl.sequential({
    name: 'cnn_nobn',
    layers: [
      L.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, useBias: false, name: 'conv1' }),
      L.activation({ activation: 'relu', name: 'relu1' }),
      L.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      L.flatten({ name: 'flatten' }),
      L.dense({ units: 10, activation: 'softmax', name: 'logits' }),
    ],
  });
  initWeightsInPlace(model, createRng(1), (l) => (l.name === 'logits' ? KernelInit.glorot : KernelInit.he));
  return model;
}

// The built-in CNN has BatchNorm: chunks smaller than the minibatch are refused.
{
  const model = buildBuiltinModel('cnn', [28, 28, 1], 10, 1);
  const run = layersRunModel(model);
  const net = await run.trainingNet('ce');
  try {
    new Trainer({ net, data: all, loss: 'ce', config: resolveTrainConfig({ batchSize: 128, gradChunk: 64 }) }).dispose();
    process.stderr.write('bench: the built-in cnn was NOT refused\n');
  } catch (e) {
    process.stderr.write(`bench: built-in cnn with --grad-chunk 64 --batch-size 128: ${(e as Error).message}\n`);
  }
  run.dispose();
  model.dispose();
}

function subset(d: Dataset, n: number): Dataset {
  const per = d.sampleShape.reduce((a, b) => a * b, 1);
  const t = d.targets as { kind: 'classes'; labels: Int32Array; numClasses: number };
  return { ...d, n, x: d.x.subarray(0, n * per), targets: { ...t, labels: t.labels.subarray(0, n) } };
}

interface Row {
  model: string;
  batch: number;
  gradChunk: number | null;
  workers: number;
  samples: number;
  secondsPerEpoch: number;
  /** CPU seconds of the process (all threads) per wall second of the timed epoch: near 2 when 2 workers really ran side by side. */
  cores: number;
  startSeconds: number;
  sendMsPerPass: number | null;
  waitMsPerPass: number | null;
  addMsPerChunk: number;
  params: number;
  weights: Float32Array;
}
const rows: Row[] = [];

for (const name of models) {
  const data = subset(all, samplesOf[name] ?? 2048);
  for (const B of batches) {
    for (const c of [
      { gradChunk: null, workers: 1 },
      { gradChunk: B / 2, workers: 1 },
      { gradChunk: B / 2, workers: 2 },
    ]) {
      const model = build(name);
      const run = layersRunModel(model);
      const net = await run.trainingNet('ce');
      const config = resolveTrainConfig({ epochs: repeats + 1, batchSize: B, lr: 0.01, momentum: 0.9, seed: 1, ...(c.gradChunk ? { gradChunk: c.gradChunk } : {}) });
      const chunks = c.gradChunk
        ? createStepChunks(net, data, 'ce', { workers: c.workers, engine: { backend: Backend.wasm }, source: run.netSource(), batchSize: B, gradChunk: c.gradChunk })
        : undefined;
      const trainer = new Trainer({ net, data, loss: 'ce', config, ...(chunks ? { chunks } : {}) });
      const params = net.vars.reduce((a, v) => a + v.size, 0);
      // warm-up: two steps (starts the workers), then the epoch starts over
      const w0 = performance.now();
      let steps = 0;
      await trainer.runEpoch({ shouldStop: () => steps++ >= 2 }).catch((e: unknown) => {
        if (!(e instanceof TrainingStopped)) throw e;
      });
      const startSeconds = (performance.now() - w0) / 1000;
      const before = chunks instanceof StepWorkers ? chunks.statistics() : null;
      let seconds = Infinity;
      let cpu = { user: 0, system: 0 };
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await trainer.runEpoch();
        const t = (performance.now() - t0) / 1000;
        if (t < seconds) {
          seconds = t;
          cpu = process.cpuUsage(c0);
        }
      }
      const after = chunks instanceof StepWorkers ? chunks.statistics() : null;
      // per pass, over all the repeats
      const passes = after && before ? after.passes - before.passes : 0;
      // adding one chunk's gradient (the main thread's share of the reduction)
      const acc = new Float32Array(params);
      const g = Float32Array.from({ length: params }, (_, i) => Math.sin(i));
      const a0 = performance.now();
      for (let k = 0; k < 20; k++) addScaledInPlace(acc, g, 0.5, k === 0);
      const addMsPerChunk = (performance.now() - a0) / 20;
      const row: Row = {
        model: name,
        batch: B,
        gradChunk: c.gradChunk,
        workers: chunks?.workers ?? 1,
        samples: data.n,
        secondsPerEpoch: (seconds * EPOCH) / data.n,
        cores: (cpu.user + cpu.system) / 1e6 / seconds,
        startSeconds,
        sendMsPerPass: after && before ? ((after.sendSeconds - before.sendSeconds) * 1000) / passes : null,
        waitMsPerPass: after && before ? ((after.waitSeconds - before.waitSeconds) * 1000) / passes : null,
        addMsPerChunk,
        params,
        weights: trainer.net.flatWeights(),
      };
      rows.push(row);
      process.stderr.write(`bench: ${name} B=${B} chunk=${c.gradChunk ?? '-'} workers=${row.workers}: ${row.secondsPerEpoch.toFixed(1)} s/epoch (${row.cores.toFixed(2)} cores busy)\n`);
      trainer.dispose();
      run.dispose();
      model.dispose();
    }
  }
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
const loadAfter = os.loadavg()[0]!;
console.log(
  `${describeEngine(info)}, ${os.availableParallelism()} cores, load average ${loadBefore.toFixed(1)} before / ${loadAfter.toFixed(1)} after; SGD, seconds per 60,000-image MNIST epoch (fastest of ${repeats} over a subset); chunks B/2`,
);
console.log('| model | params | batch | no chunks | B/2, 1 worker | B/2, 2 workers (cores busy) | speedup vs no chunks | same weights 1 vs 2 | send ms/pass | add ms/chunk |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const name of models) {
  for (const B of batches) {
    const r = rows.filter((x) => x.model === name && x.batch === B);
    const [none, one, two] = r as [Row, Row, Row];
    console.log(
      `| ${name} | ${none.params} | ${B} | ${none.secondsPerEpoch.toFixed(1)} | ${one.secondsPerEpoch.toFixed(1)} | ${two.secondsPerEpoch.toFixed(1)} (${two.cores.toFixed(2)}) | ` +
        `${(none.secondsPerEpoch / two.secondsPerEpoch).toFixed(2)}x | ${same(one.weights, two.weights) ? 'yes' : 'NO'} | ${two.sendMsPerPass?.toFixed(2) ?? '-'} | ${two.addMsPerChunk.toFixed(2)} |`,
    );
  }
}
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({ engine: describeEngine(info), cores: os.availableParallelism(), loadAverage: [loadBefore, loadAfter], rows: rows.map(({ weights: _, ...r }) => r) }, null, 2));
process.stderr.write(`bench: wrote ${outFile}\n`);
