/**
 * Memory benchmark (`npm run bench:memory`; not a test; issue 18 item 5): the peak RSS of whole
 * `sharpness` runs (main thread and every worker thread: they share the process, so its peak
 * RSS is the total), each its own process, as
 *
 * - hessian with a growing number of HVPs: --max-iter (Lanczos steps) and --probes (trace);
 * - landscape with a growing number of grid points (--random-plane, n x n);
 * - hessian on a larger dataset with 1, 2 and 4 item workers (--workers): the workers share
 *   the main thread's dataset (SharedArrayBuffer), so each extra worker should cost its
 *   engine and model, not another copy of the data (whose size is printed beside it).
 *
 * Verdicts: a series is flat when its peak RSS varies by less than --tolerance MiB (default
 * 32) or 10 %. The workers series runs on the large and on the small set: each extra worker
 * costs its engine and model either way, but a per-worker copy of the data would make it
 * cost (large - small data) more on the large set; it passes when the difference is under half that.
 * --compare DIR runs the workers series with another checkout's bin too (e.g. one before
 * the data sharing), to show the difference.
 *
 *   npm run bench:memory -- [--samples 2000] [--big-samples 20000] [--workers-list 1,2,4]
 *     [--tolerance 32] [--compare /path/to/other/checkout] [--out bench/results/memory.json]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tfl } from '../src/engine/tf.ts';
import { initEngine } from '../src/engine/backend.ts';
import { createRng } from '../src/engine/rng.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { initWeightsInPlace, KernelInit } from '../src/models/initWeights.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  return v === undefined || v.startsWith('--') ? dflt : v;
};
const samples = Number(arg('samples', '2000'));
const bigSamples = Number(arg('big-samples', '20000'));
const workerList = arg('workers-list', '1,2,4').split(',').map(Number);
const tolerance = Number(arg('tolerance', '32'));
const compare = arg('compare', '');
const outFile = arg('out', 'bench/results/memory.json');
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./peakRss.js', import.meta.url));

const dir = mkdtempSync(path.join(os.tmpdir(), 'sharpness-memory-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
await initEngine({ backend: 'cpu' });
const L = tfl.layers;
const model = tfl.sequential({
  layers: [L.flatten({ inputShape: [28, 28, 1] }), L.dense({ units: 32, activation: 'relu', name: 'dense1' }), L.dense({ units: 10, activation: 'softmax', name: 'logits' })],
});
initWeightsInPlace(model, createRng(1), (l) => (l.name === 'logits' ? KernelInit.glorot : KernelInit.he));
const ck = path.join(dir, 'mlp');
await saveCheckpoint(model, ck, { method: 'memory-bench' });
model.dispose();

interface Run {
  series: string;
  value: number;
  bin: string;
  peakMiB: number | null;
  seconds: number;
  error?: string;
}
const runs: Run[] = [];
function run(series: string, value: number, args: string[], root = ROOT): Run {
  const file = path.join(dir, `rss-${runs.length}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', PRELOAD, path.join(root, 'bin/sharpness.js'), ...args, '--quiet'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SHARPNESS_PEAK_RSS_FILE: file },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const seconds = (performance.now() - t0) / 1000;
  let peakMiB: number | null = null;
  try {
    peakMiB = Number(readFileSync(file, 'utf8'));
  } catch {
    /* no file: the run failed before exit */
  }
  const out: Run = { series, value, bin: root, peakMiB, seconds, ...(r.status === 0 ? {} : { error: `exit ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').pop()}` }) };
  process.stderr.write(`bench: ${series} = ${value}${root === ROOT ? '' : ` (${root})`}: ${peakMiB?.toFixed(0) ?? '-'} MiB, ${seconds.toFixed(1)} s${out.error ? `, ${out.error}` : ''}\n`);
  runs.push(out);
  return out;
}

const data = `mnist:train:${samples}`;
const common = ['--backend', 'wasm', '--threads', '1', '--seed', '1'];
for (const k of [10, 40, 160]) run('hessian --max-iter', k, ['hessian', ck, '--data', data, '--max-iter', String(k), '--workers', '1', ...common]);
for (const p of [8, 32, 128]) run('hessian --probes', p, ['hessian', ck, '--data', data, '--max-iter', '5', '--trace', '--probes', String(p), '--workers', '1', ...common]);
for (const n of [3, 7, 15]) run('landscape grid points', n * n, ['landscape', ck, '--data', data, '--random-plane', '--range', `-1:1:${n}`, '--workers', '1', ...common]);
const big = `mnist:train:${bigSamples}`;
const dataMiB = (bigSamples * (784 * 4 + 4)) / 2 ** 20;
const smallDataMiB = (samples * (784 * 4 + 4)) / 2 ** 20;
const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');
// The same runs on the small set: a per-worker copy of the data would make each extra
// worker cost (big - small data) more on the big set.
const workerArgsOn = (d: string, w: number) => ['hessian', ck, '--data', d, '--max-iter', '4', '--trace', '--probes', String(4 * Math.max(...workerList)), '--workers', String(w), ...common];
const workerArgs = (w: number) => workerArgsOn(big, w);
for (const w of workerList) run('workers', w, workerArgs(w));
for (const w of workerList) run('workers, small data', w, workerArgsOn(data, w));
if (compare) for (const w of workerList) run('workers', w, workerArgs(w), path.resolve(compare));

const lines: string[] = [];
const verdicts: Record<string, unknown> = {};
const series = [...new Set(runs.map((r) => `${r.series}\t${r.bin}`))];
lines.push(`peak RSS of whole runs (MiB; main thread and workers together); MLP 784-32-10, wasm, one engine thread`);
for (const key of series) {
  const [name, bin] = key.split('\t') as [string, string];
  const rs = runs.filter((r) => r.series === name && r.bin === bin);
  const peaks = rs.map((r) => r.peakMiB ?? NaN);
  const label = `${name}${bin === ROOT ? '' : ` [${bin}]`}`;
  const cells = rs.map((r) => `${r.value}: ${r.peakMiB?.toFixed(0) ?? 'failed'}`).join('   ');
  let verdict: string;
  if (peaks.some((p) => !Number.isFinite(p))) verdict = 'a run failed';
  else if (name.startsWith('workers')) {
    // Per extra worker thread from the smallest pool (>= 2 workers: with 1 there is no pool) to the largest.
    const pool = rs.filter((r) => r.value >= 2);
    const a = pool[0];
    const b = pool[pool.length - 1];
    const perWorker = a && b && b.value > a.value ? (b.peakMiB! - a.peakMiB!) / (b.value - a.value) : NaN;
    verdict = `${f0(perWorker)} MiB per extra worker`;
    const small = name === 'workers' ? runs.filter((r) => r.series === 'workers, small data' && r.bin === ROOT && r.value >= 2) : [];
    if (name === 'workers' && small.length >= 2) {
      const smallPer = (small[small.length - 1]!.peakMiB! - small[0]!.peakMiB!) / (small[small.length - 1]!.value - small[0]!.value);
      const extra = perWorker - smallPer;
      const copy = dataMiB - smallDataMiB;
      verdict += ` (${f0(extra)} more than on the small set; a copy of the data per worker would be ${f0(copy)} more): ${extra < copy / 2 ? 'no per-worker copy of the data' : 'LOOKS LIKE A COPY PER WORKER'}`;
      verdicts[label] = { perWorkerMiB: perWorker, perWorkerSmallDataMiB: smallPer, dataMiB, smallDataMiB, shared: extra < copy / 2 };
    } else verdicts[label] = { perWorkerMiB: perWorker };
  } else {
    const spread = Math.max(...peaks) - Math.min(...peaks);
    const flat = spread < Math.max(tolerance, 0.1 * Math.min(...peaks));
    verdict = `spread ${spread.toFixed(0)} MiB: ${flat ? 'flat' : 'NOT FLAT'}`;
    verdicts[label] = { spreadMiB: spread, flat };
  }
  lines.push(`${label.padEnd(28)}${cells.padEnd(44)}${verdict}`);
}
lines.push(`data: ${data} for the series, ${big} (${dataMiB.toFixed(0)} MiB as float32) for the workers; machine: ${os.cpus().length} cores, load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
console.log(lines.join('\n'));
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify({ date: new Date().toISOString(), options: { samples, bigSamples, workerList, tolerance, compare }, runs, verdicts }, null, 2)}\n`);
console.log(`wrote ${outFile}`);
