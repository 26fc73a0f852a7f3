/**
 * BatchNorm recompute benchmark (`npm run bench:bn`; not a test): the time of one
 * recompute (SWA's bn_update: one training-mode pass over the data, float64 moments) of the
 * built-in CNN with BatchNorm (the recipes' model: conv 3x3x8, BN, ReLU, pool, dense; seeded
 * weights) on --samples MNIST training images in batches of --batch-size, in this thread and
 * on each --workers count (training/BatchNormWorkers.ts). For workers it reports the pool's
 * start (threads, engines, networks: paid once per training run) apart from the recomputes
 * on the started pool (what every later SWA evaluation costs), and checks that every
 * statistic is the single-thread one bit for bit.
 *
 *   node --import=tsx bench/batchNormRecompute.bench.ts [--samples 10000] [--batch-size 128]
 *     [--workers 1,2] [--repeats 3] [--backend wasm] [--seed 1]
 */
import os from 'node:os';
import { initEngine, type Backend } from '../src/engine/backend.ts';
import { loadDataset } from '../src/io/dataset.ts';
import { buildBuiltinModel } from '../src/models/builtinModels.ts';
import { BatchNormWorkers } from '../src/training/BatchNormWorkers.ts';
import { shareDataset } from '../src/parallel/sharedDataset.ts';
import { recomputeBatchNormInPlace, type BatchNormLayerStats } from '../src/training/recomputeBatchNorm.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const samples = Number(arg('samples', '10000'));
const batchSize = Number(arg('batch-size', '128'));
const workerCounts = arg('workers', '1,2').split(',').map(Number);
const repeats = Number(arg('repeats', '3'));
const backend = arg('backend', 'wasm') as Backend;
const seed = Number(arg('seed', '1'));

const engine = await initEngine({ backend });
const data = shareDataset(await loadDataset(`mnist:train:${samples}`));
const model = buildBuiltinModel('cnn', data.sampleShape, 10, seed);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const bits = (s: BatchNormLayerStats[]) => s.map((l) => Buffer.concat([Buffer.from(l.mean.buffer), Buffer.from(l.variance.buffer)]).toString('hex')).join('|');

interface Row {
  workers: number;
  startSeconds: number;
  firstSeconds: number;
  recomputeSeconds: number;
  identical: boolean;
}
const rows: Row[] = [];
let reference: string | null = null;
for (const workers of workerCounts) {
  process.stderr.write(`bench: ${workers} worker${workers > 1 ? 's' : ''} ...\n`);
  const pool = workers > 1 ? BatchNormWorkers.forLayers(model, data, workers) : null;
  try {
    const times: number[] = [];
    let identical = true;
    for (let r = 0; r <= repeats; r++) {
      const t0 = performance.now();
      const stats = await recomputeBatchNormInPlace(model, data, { batchSize, workers: pool });
      times.push((performance.now() - t0) / 1000);
      reference ??= bits(stats);
      identical &&= bits(stats) === reference;
    }
    // The first recompute starts the pool; the others run on it.
    rows.push({ workers, startSeconds: pool?.stats.startSeconds ?? 0, firstSeconds: times[0]!, recomputeSeconds: median(times.slice(1)), identical });
  } finally {
    pool?.close();
  }
}

const base = rows.find((r) => r.workers === 1)?.recomputeSeconds;
const f = (x: number, d = 2) => x.toFixed(d);
const lines = [
  `BatchNorm recompute of the built-in cnn on ${samples} MNIST training images, batches of ${batchSize} (${Math.ceil(samples / batchSize)}), ${engine.device} (${engine.threads} thread${engine.threads === 1 ? '' : 's'}) per thread; seconds`,
  `${'workers'.padEnd(9)}${['start', 'first', 'recompute', 'speedup', 'same bits'].map((h) => h.padStart(11)).join('')}`,
  ...rows.map(
    (r) =>
      `${String(r.workers).padEnd(9)}${[f(r.startSeconds), f(r.firstSeconds), f(r.recomputeSeconds), base ? `${f(base / r.recomputeSeconds)}x` : '-', r.identical ? 'yes' : 'NO'].map((c) => c.padStart(11)).join('')}`,
  ),
  `start: starting the pool (once per training run, inside "first"); recompute: median of ${repeats} recomputes on the started pool (one per SWA evaluation)`,
  `machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`,
];
console.log(lines.join('\n'));
console.log(JSON.stringify({ samples, batchSize, backend: engine.device, rows }));
model.dispose();
