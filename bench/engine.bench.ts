/**
 * Engine benchmark (`npm run bench:engine`; not a test). For each backend (cpu, wasm with 1 thread,
 * wasm with threads where the threaded build runs) and each built-in model (MLP, CNN, small
 * ResNet; MNIST shapes, the first samples of mnist:train):
 *
 * - samples per second for the loss (forward), one gradient and one HVP at batch 128 and 1000;
 * - end to end on --samples (10,000) in chunks of --chunk (1000): `hessian --top-k 1`
 *   (Lanczos, the default) and the same with `--solver power` (PyHessian's power iteration),
 *   and a --grid x --grid (21 x 21) landscape plane (loss and accuracy at every point);
 * - peak RSS per backend, and RSS after every HVP and grid point: the table shows its change
 *   from the first to the last HVP and over the plane (about 0: memory flat in the number of
 *   HVPs and points); the JSON has the series' slope too.
 *
 * When Debian's python3-torch imports, bench/pytorch_bench.py runs the same architectures
 * with the same weights on the same data (autograd double-backward HVP, PyHessian's power
 * iteration) and the table shows our time / PyTorch's time (below 1: we are faster).
 * PyTorch is optional; nothing else needs Python.
 *
 *   npm run bench:engine -- [--backends cpu,wasm,wasm-threads] [--models mlp,cnn,resnet]
 *     [--reps 5] [--samples 10000] [--grid 21] [--chunk 1000] [--threads 2] [--seed 1]
 *     [--e2e-models mlp,cnn] [--quick] [--no-torch] [--out bench/results/engine.json]
 *
 * --quick: models mlp,cnn, 3 repetitions, end to end on 2000 samples with an 11 x 11 grid.
 * Each backend's results and PyTorch's are also kept in bench/results/engine-parts/;
 * --reuse DIR takes them from there instead of running them again (to redo the table).
 * The cpu backend (pure JavaScript) runs the per-batch timings of the MLP and CNN only (a
 * ResNet HVP at batch 1000 takes 9 minutes there, the end-to-end runs hours). Timings on a
 * shared machine are noisy: the JSON has CPU time too.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/engine/tf.ts';
import { initEngine } from '../src/engine/backend.ts';
import { loadDataset } from '../src/io/dataset.ts';
import { buildBuiltinModel, type BuiltinModel } from '../src/models/builtinModels.ts';

const argv = process.argv.slice(2);
const has = (name: string) => argv.includes(`--${name}`);
const quick = has('quick');
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  return v === undefined || v.startsWith('--') ? dflt : v;
};
const backends = arg('backends', 'cpu,wasm,wasm-threads').split(',');
const models = arg('models', quick ? 'mlp,cnn' : 'mlp,cnn,resnet').split(',') as BuiltinModel[];
// The ResNet's end-to-end runs take about half an hour per backend on 2 cores: opt in.
const e2eModels = arg('e2e-models', 'mlp,cnn').split(',').filter((m) => models.includes(m as BuiltinModel)) as BuiltinModel[];
const reps = Number(arg('reps', quick ? '3' : '5'));
const samples = Number(arg('samples', quick ? '2000' : '10000'));
const grid = Number(arg('grid', quick ? '11' : '21'));
const chunk = Number(arg('chunk', '1000'));
const threads = Number(arg('threads', String(Math.max(2, os.cpus().length))));
const seed = Number(arg('seed', '1'));
const outPath = arg('out', 'bench/results/engine.json');
const partsDir = 'bench/results/engine-parts';
const reuse = has('reuse') ? arg('reuse', partsDir) : null;
const BATCHES = [128, 1000];

type Timing = { ms: number; cpuMs: number; samplesPerSecond: number };
type Row = Record<string, unknown> & { model: string };
interface BackendResult {
  label: string;
  backend: string;
  threads: number;
  rows: Row[];
  peakRssMiB: number;
  error?: string;
}

const tmp = await mkdtemp(join(os.tmpdir(), 'sharpness-bench-'));
process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

async function runBackend(label: string, backend: string, nThreads: number, e2e: boolean): Promise<BackendResult> {
  const out = join(partsDir, `${label}.json`);
  if (reuse) {
    const kept = await readJson<Omit<BackendResult, 'label'>>(join(reuse, `${label}.json`));
    if (kept) return { label, ...kept };
  }
  // Pure-JavaScript cpu: one ResNet HVP at batch 1000 takes 9 minutes there, so no ResNet.
  const these = backend === 'cpu' ? models.filter((m) => m !== 'resnet') : models;
  const args = [
    '--import=tsx',
    'bench/engineBackend.ts',
    ...['--backend', backend, '--threads', String(nThreads), '--out', out],
    ...['--models', these.join(','), '--batches', BATCHES.join(','), '--reps', String(reps), '--seed', String(seed)],
    ...['--samples', e2e ? String(samples) : '0', '--grid', String(grid), '--chunk', String(chunk), '--e2e-models', e2eModels.join(',')],
  ];
  process.stderr.write(`bench: ${label} ...\n`);
  await rm(out, { force: true });
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const result = await readJson<Omit<BackendResult, 'label'>>(out);
  if (r.status !== 0 || !result) return { label, backend, threads: nThreads, rows: [], peakRssMiB: NaN, error: `exit ${r.status ?? r.signal}` };
  return { label, ...result };
}

/** The python3 that imports torch: the PATH one, else Debian's (a pyenv shim may shadow it). */
function findTorchPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

/** Writes data and weights for the PyTorch side; returns the spec path. */
async function writeTorchSpec(): Promise<string> {
  await initEngine({ backend: 'cpu' });
  const n = Math.max(samples, ...BATCHES);
  const data = await loadDataset(`mnist:train:${n}`);
  await writeFile(join(tmp, 'x.f32'), data.x);
  await writeFile(join(tmp, 'y.i32'), (data.targets as { labels: Int32Array }).labels);
  const specModels: Record<string, unknown> = {};
  for (const name of models) {
    const m = buildBuiltinModel(name, data.sampleShape, 10, seed);
    const manifest: { name: string; shape: number[]; offset: number }[] = [];
    const values: number[] = [];
    for (const w of m.weights) {
      manifest.push({ name: w.originalName, shape: w.shape as number[], offset: values.length });
      for (const x of w.read().dataSync()) values.push(x);
    }
    await writeFile(join(tmp, `${name}.f32`), Float32Array.from(values));
    specModels[name] = { weights: join(tmp, `${name}.f32`), manifest };
    m.dispose();
  }
  const spec = {
    x: join(tmp, 'x.f32'),
    y: join(tmp, 'y.i32'),
    n,
    sampleShape: data.sampleShape,
    batches: BATCHES,
    reps,
    threads: [...new Set([1, threads])],
    seed,
    models: specModels,
    endToEnd: samples > 0 && e2eModels.length > 0 ? { samples, chunk, tol: 1e-3, maxIter: 100, grid, models: e2eModels } : null,
  };
  const path = join(tmp, 'spec.json');
  await writeFile(path, JSON.stringify(spec));
  tf.disposeVariables();
  return path;
}

// --- run --------------------------------------------------------------------------------
await mkdir(partsDir, { recursive: true });
const results: BackendResult[] = [];
for (const b of backends) {
  if (b === 'cpu') results.push(await runBackend('cpu', 'cpu', 1, false));
  else if (b === 'wasm') results.push(await runBackend('wasm', 'wasm', 1, samples > 0));
  else if (b === 'wasm-threads') {
    const r = await runBackend(`wasm-${threads}threads`, 'wasm', threads, samples > 0);
    if (r.threads > 1) results.push(r);
    else process.stderr.write(`bench: the threaded wasm build did not start (got ${r.threads} thread); row dropped\n`);
  } else throw new Error(`bench: unknown backend ${b} (cpu, wasm, wasm-threads)`);
}

type TorchResult = { torch: string; blas: string | null; runs: Row[]; endToEnd?: Row[]; peakRssMiB: number };
let torch: TorchResult | null = reuse && !has('no-torch') ? await readJson<TorchResult>(join(reuse, 'pytorch.json')) : null;
const python = has('no-torch') || torch ? null : findTorchPython();
if (python) {
  process.stderr.write(`bench: PyTorch (${python}) ...\n`);
  const spec = await writeTorchSpec();
  const r = spawnSync(python, ['bench/pytorch_bench.py', spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status === 0) {
    torch = JSON.parse(r.stdout) as TorchResult;
    await writeFile(join(partsDir, 'pytorch.json'), r.stdout);
  } else process.stderr.write(`bench: bench/pytorch_bench.py failed (exit ${r.status}); no PyTorch column\n`);
} else if (!has('no-torch') && !torch) {
  process.stderr.write('bench: python3 with torch not found (Debian: apt-get install python3-torch); no PyTorch column\n');
}

// --- report -----------------------------------------------------------------------------
const fmtRate = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x >= 1e4 ? `${(x / 1e3).toFixed(0)}k` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const fmtRatio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : `${x.toFixed(2)}x`);
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);
const COLS = BATCHES.flatMap((n) => ['fwd', 'grad', 'hvp'].map((w) => `${w}${n}`));

function torchRow(model: string, nThreads: number): Row | undefined {
  return torch?.runs.find((r) => r['model'] === model && r['threads'] === nThreads);
}

const lines: string[] = [];
lines.push(`samples per second (higher is better); ratio rows: our time / PyTorch time at the same thread count (lower is better)`);
lines.push(`${pad('backend', 16)}${pad('model', 8)}${COLS.map((c) => lpad(c, 10)).join('')}`);
const ratios: Record<string, Record<string, number>> = {};
for (const r of results) {
  if (r.error) {
    lines.push(`${pad(r.label, 16)}failed: ${r.error}`);
    continue;
  }
  for (const row of r.rows) {
    lines.push(`${pad(r.label, 16)}${pad(row.model, 8)}${COLS.map((c) => lpad(fmtRate((row[c] as Timing | undefined)?.samplesPerSecond), 10)).join('')}`);
    const t = torchRow(row.model, r.threads);
    if (t) {
      const rs = COLS.map((c) => (row[c] as Timing).ms / 1000 / (t[c] as number));
      ratios[`${r.label}/${row.model}`] = Object.fromEntries(COLS.map((c, i) => [c, rs[i]!]));
      lines.push(`${pad('  / PyTorch', 16)}${pad('', 8)}${rs.map((x) => lpad(fmtRatio(x), 10)).join('')}`);
    }
  }
}
if (torch) {
  for (const t of torch.runs) {
    const label = `pytorch x${t['threads']}`;
    lines.push(`${pad(label, 16)}${pad(t.model, 8)}${COLS.map((c) => lpad(fmtRate(Number(c.replace(/\D/g, '')) / (t[c] as number)), 10)).join('')}`);
  }
}

if (samples > 0) {
  const num = (x: unknown, digits = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '-');
  lines.push('');
  lines.push(
    `end to end on ${samples} samples (chunks of ${chunk}): hessian --top-k 1 (lanczos; power = PyHessian's rule), ${grid}x${grid} landscape plane; ` +
      'seconds; RSS: peak of the process, and its change over the HVPs (first to last) and over the plane',
  );
  const heads = ['lanczos s', 'HVPs', 'power s', 'HVPs', 'lambda(L)', 'lambda(P)', 'plane s', 's/HVP', 'peak MiB', 'dRSS HVPs', 'dRSS plane'];
  lines.push(`${pad('backend', 16)}${pad('model', 8)}${heads.map((c) => lpad(c, 11)).join('')}`);
  for (const r of results) {
    for (const row of r.rows) {
      const e = row['endToEnd'] as Record<string, Record<string, number | null>> | undefined;
      if (!e) continue;
      const [l, p, g] = [e['lanczos']!, e['power']!, e['landscape']!];
      const cells = [
        num(l['seconds']),
        String(l['hvps']),
        num(p['seconds']),
        String(p['hvps']),
        (l['lambdaMax'] as number).toPrecision(5),
        (p['lambdaMax'] as number).toPrecision(5),
        num(g['seconds']),
        num(l['secondsPerHvp'], 2),
        num(r.peakRssMiB, 0),
        num((p['rssLastMiB'] ?? NaN) - (l['rssFirstMiB'] ?? NaN), 0),
        num((g['rssLastMiB'] ?? NaN) - (g['rssFirstMiB'] ?? NaN), 0),
      ];
      lines.push(`${pad(r.label, 16)}${pad(row.model, 8)}${cells.map((c) => lpad(c, 11)).join('')}`);
    }
  }
  for (const t of torch?.endToEnd ?? []) {
    const cells = [
      '-',
      '-',
      num(t['powerSeconds']),
      String(t['powerHvps']),
      '-',
      (t['lambdaMax'] as number).toPrecision(5),
      num(t['landscapeSeconds']),
      num((t['powerSeconds'] as number) / (t['powerHvps'] as number), 2),
      num(torch!.peakRssMiB, 0),
      '-',
      '-',
    ];
    lines.push(`${pad(`pytorch x${t['threads']}`, 16)}${pad(t.model, 8)}${cells.map((c) => lpad(c, 11)).join('')}`);
  }
}
console.log(lines.join('\n'));

await mkdir('bench/results', { recursive: true });
const doc = {
  schema: 'sharpness/bench-engine@1',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, totalMemMiB: Math.round(os.totalmem() / 2 ** 20), loadAverage: os.loadavg() },
  options: { backends, models, e2eModels, reps, samples, grid, chunk, threads, seed, batches: BATCHES },
  results,
  pytorch: torch,
  ratiosOursOverPytorch: ratios,
};
await writeFile(outPath, `${JSON.stringify(doc, null, 2)}\n`);
console.log(`wrote ${outPath}`);
