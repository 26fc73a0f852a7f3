/**
 * Data-parallel benchmark (`npm run bench`, also `npm run bench:parallel`; not a test): issue 18's speed and memory
 * targets measured side by side in one run. For each built-in model (MLP, CNN; seeded
 * weights, MNIST shapes) on --samples MNIST training images in chunks of --chunk:
 *
 * - ours, each configuration in its own process (bench/dataParallelCase.ts): 1 and 2
 *   data-parallel workers on single-threaded wasm, and 1 worker on wasm's own 2 threads;
 *   hessian --top-k 1 by Lanczos (our default) and by power iteration (PyHessian's rule),
 *   worker start-up, forward throughput, peak RSS and RSS growth over the HVPs;
 * - PyTorch (Debian's python3-torch, bench/pytorch_hessian.py) at 1 and 2 threads:
 *   PyHessian-style power iteration and forward throughput, and a float64 Lanczos reference
 *   for lambda_max, against which every lambda's relative error is shown.
 *
 *   node --import=tsx bench/dataParallel.bench.ts [--models mlp,cnn] [--samples 10000] [--chunk 1000]
 *     [--workers 1,2] [--seed 1] [--no-torch] [--out bench/results/dataParallel.json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initEngine } from '../src/engine/backend.ts';
import { loadDataset } from '../src/io/dataset.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { buildBuiltinModel, type BuiltinModel } from '../src/models/builtinModels.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const models = arg('models', 'mlp,cnn').split(',') as BuiltinModel[];
const samples = Number(arg('samples', '10000'));
const chunk = Number(arg('chunk', '1000'));
const workerCounts = arg('workers', '1,2').split(',').map(Number);
const seed = Number(arg('seed', '1'));
const outFile = arg('out', 'bench/results/dataParallel.json');
const maxThreads = Math.max(...workerCounts);

const dir = mkdtempSync(path.join(os.tmpdir(), 'sharpness-dp-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
await initEngine({ backend: 'cpu' });
const dataSpec = `mnist:train:${samples}`;
const data = await loadDataset(dataSpec);
writeFileSync(path.join(dir, 'x.f32'), data.x);
writeFileSync(path.join(dir, 'y.i32'), (data.targets as { labels: Int32Array }).labels);
const torchModels: Record<string, unknown> = {};
for (const name of models) {
  const m = buildBuiltinModel(name, data.sampleShape, 10, seed);
  await saveCheckpoint(m, path.join(dir, name), { method: name });
  const manifest: { name: string; shape: number[]; offset: number }[] = [];
  const values: number[] = [];
  for (const w of m.weights) {
    manifest.push({ name: w.originalName, shape: w.shape as number[], offset: values.length });
    for (const x of w.read().dataSync()) values.push(x);
  }
  writeFileSync(path.join(dir, `${name}.f32`), Float32Array.from(values));
  torchModels[name] = { weights: path.join(dir, `${name}.f32`), manifest };
  m.dispose();
}

interface Case {
  model: string;
  label: string;
  workers: number;
  threads: number;
  r: Record<string, any> | null;
}
const cases: Case[] = [];
const configs = [...workerCounts.map((w) => ({ workers: w, threads: 1 })), { workers: 1, threads: maxThreads }];
for (const model of models) {
  for (const c of configs) {
    const label = c.threads > 1 ? `wasm x${c.threads} thr` : `${c.workers} worker${c.workers > 1 ? 's' : ''}`;
    process.stderr.write(`bench: ${model} ${label} ...\n`);
    const r = spawnSync(
      process.execPath,
      ['--import=tsx', 'bench/dataParallelCase.ts', '--checkpoint', path.join(dir, model), '--data', dataSpec, '--workers', String(c.workers), '--threads', String(c.threads), '--chunk', String(chunk), '--seed', String(seed)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cases.push({ model, label, ...c, r: r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()!) : null });
  }
}

let torch: Record<string, any> | null = null;
const python = argv.includes('--no-torch') ? null : ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
if (python) {
  process.stderr.write(`bench: PyTorch (${python}) ...\n`);
  const spec = { x: path.join(dir, 'x.f32'), y: path.join(dir, 'y.i32'), n: samples, sampleShape: data.sampleShape, chunk, threads: [1, maxThreads], seed, models: torchModels };
  writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
  const r = spawnSync(python, ['bench/pytorch_hessian.py', path.join(dir, 'spec.json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status === 0) torch = JSON.parse(r.stdout);
  else process.stderr.write(`bench: pytorch_hessian.py failed (exit ${r.status})\n`);
}

const f = (x: unknown, d = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');
const e = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x.toExponential(1) : '-');
const lines: string[] = [];
lines.push(`hessian --top-k 1 on ${samples} MNIST training images, chunks of ${chunk}; seconds (lower is better); err = |lambda - lambda64| / lambda64 against PyTorch's float64 Lanczos`);
const head = ['start s', 'lanczos s', 'HVPs', 'err', 'power s', 'HVPs', 'err', 's/HVP', 'x vs 1', '/torch', 'fwd smp/s', '/torch', 'peak MiB', 'dRSS MiB'];
lines.push(`${'model'.padEnd(6)}${'run'.padEnd(16)}${head.map((h) => h.padStart(10)).join('')}`);
const summary: Record<string, number> = {};
for (const model of models) {
  const ref = torch?.['reference']?.[model]?.lambda as number | undefined;
  const err = (l: number | undefined) => (ref === undefined || l === undefined ? NaN : Math.abs(l - ref) / Math.abs(ref));
  const base = cases.find((c) => c.model === model && c.workers === 1 && c.threads === 1)?.r;
  for (const c of cases.filter((x) => x.model === model)) {
    const r = c.r;
    if (!r) {
      lines.push(`${model.padEnd(6)}${c.label.padEnd(16)}failed`);
      continue;
    }
    const t = (torch?.['rows'] as any[] | undefined)?.find((x) => x.model === model && x.threads === Math.max(c.workers, c.threads));
    const e2e = r.startSeconds + r.lanczos.seconds;
    const speedup = base ? (base.startSeconds + base.lanczos.seconds) / e2e : NaN;
    const vsTorch = t ? e2e / t.powerSeconds : NaN;
    const fwdVsTorch = t ? r.forwardSamplesPerSecond / t.forwardSamplesPerSecond : NaN;
    summary[`${model}/${c.label}/e2eOverTorchPower`] = vsTorch;
    summary[`${model}/${c.label}/speedupOver1`] = speedup;
    summary[`${model}/${c.label}/forwardOverTorch`] = fwdVsTorch;
    summary[`${model}/${c.label}/lanczosError`] = err(r.lanczos.lambda);
    const cells = [f(r.startSeconds), f(r.lanczos.seconds), String(r.lanczos.hvps), e(err(r.lanczos.lambda)), f(r.power.seconds), String(r.power.hvps), e(err(r.power.lambda)), f(r.secondsPerHvp, 3), `${f(speedup, 2)}x`, `${f(vsTorch, 2)}x`, f(r.forwardSamplesPerSecond, 0), `${f(fwdVsTorch, 2)}x`, f(r.peakRssMiB, 0), f(r.rssGrowthOverHvpsMiB, 0)];
    lines.push(`${model.padEnd(6)}${c.label.padEnd(16)}${cells.map((x) => x.padStart(10)).join('')}`);
  }
  for (const t of ((torch?.['rows'] as any[]) ?? []).filter((x) => x.model === model)) {
    const cells = ['-', '-', '-', '-', f(t.powerSeconds), String(t.powerHvps), e(err(t.lambda)), f(t.powerSeconds / t.powerHvps, 3), '-', '-', f(t.forwardSamplesPerSecond, 0), '-', '-', '-'];
    lines.push(`${model.padEnd(6)}${`pytorch x${t.threads}`.padEnd(16)}${cells.map((x) => x.padStart(10)).join('')}`);
  }
  if (ref !== undefined) lines.push(`${model.padEnd(6)}${'float64 ref'.padEnd(16)}lambda_max = ${ref.toPrecision(8)} (${f(torch!['reference'][model].seconds)} s)`);
}
lines.push('');
lines.push('x vs 1: (start + Lanczos) of 1 worker / this run; /torch: (start + Lanczos) / PyTorch power iteration at the same thread count (target: cnn <= 1.0x, mlp <= 2x); fwd /torch: our forward samples/s / PyTorch\'s (target cnn >= 1.5x); target 2 workers >= 1.7x vs 1');
lines.push(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (a loaded machine makes every number noisy)`);
console.log(lines.join('\n'));
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, loadavg: os.loadavg(), options: { models, samples, chunk, workerCounts, seed }, cases, torch, summary }, null, 2)}\n`);
console.log(`wrote ${outFile}`);
