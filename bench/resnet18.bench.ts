/**
 * Research-sized benchmark (`npm run bench:resnet18`; not a test; issue 18): a CIFAR ResNet-18
 * (bench/resnet18Model.ts, 11.2M parameters, BatchNorm) on CIFAR-shaped inputs (32x32x3,
 * seeded synthetic N(0, 1) pixels, 10 classes). Samples per second of the loss (forward), one
 * gradient and one HVP per batch, and the HVP / gradient cost ratio, for:
 *
 * - wasm, 1 worker (one thread) and the data-parallel objective on --workers-list worker
 *   threads (default: 1 and all cores); a batch is evaluated in chunks of at most --chunk
 *   that sum (bench/resnet18Case.ts), each configuration in its own process;
 * - webgpu (`--backend webgpu`; here Mesa lavapipe, a software Vulkan driver on the CPU: slow,
 *   so only --webgpu-batch samples, one repetition); skipped with --no-webgpu;
 * - PyTorch CPU eager (Debian's python3-torch, bench/pytorch_resnet18.py), at the same thread
 *   count, same weights and data, HVP by double backward; skipped with a line when python3 or
 *   torch is missing, or with --no-torch.
 *
 * The same network is checked on both sides: trainable parameter counts equal, and the loss
 * and gradient norm at each batch agree (relative difference printed).
 *
 *   npm run bench:resnet18 -- [--batches 128] [--reps 1] [--chunk 32] [--workers-list 1,CORES]
 *     [--webgpu-batch 8] [--no-webgpu] [--no-torch] [--seed 1] [--timeout 900]
 *     [--full] [--out bench/results/resnet18.json]
 *
 * Default: batch 128, one repetition (after a forward warm-up): about 5 minutes on an idle
 * 2-core machine. --full: batches 128 and 512, 3 repetitions (expect an hour on 2 cores).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initEngine } from '../src/engine/backend.ts';
import { createRng } from '../src/engine/rng.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { resnet18 } from './resnet18Model.ts';

const argv = process.argv.slice(2);
const has = (name: string) => argv.includes(`--${name}`);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  return v === undefined || v.startsWith('--') ? dflt : v;
};
const full = has('full');
const cores = Math.max(1, os.availableParallelism());
const batches = arg('batches', full ? '128,512' : '128').split(',').map(Number);
const reps = Number(arg('reps', full ? '3' : '1'));
const chunk = Number(arg('chunk', '32'));
const workerList = [...new Set(arg('workers-list', `1,${cores}`).split(',').map(Number))];
const webgpuBatch = Number(arg('webgpu-batch', '8'));
const seed = Number(arg('seed', '1'));
const timeoutS = Number(arg('timeout', full ? '7200' : '900'));
const outFile = arg('out', 'bench/results/resnet18.json');
const n = Math.max(...batches, webgpuBatch);
const ANCHOR = 'curvlinops (ResNet-18-class, GPU): HVP / gradient 4.5-7.9x eager, 1.1-2.9x compiled';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sharpness-resnet18-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// The model (seeded He initialisation), its checkpoint, its weights for PyTorch, and the data.
await initEngine({ backend: 'cpu' });
const model = resnet18([32, 32, 3], 10, seed);
const checkpoint = path.join(dir, 'resnet18');
await saveCheckpoint(model, checkpoint, { method: 'resnet18-cifar' });
const manifest: { name: string; shape: number[]; offset: number }[] = [];
const chunks: Float32Array[] = [];
let offset = 0;
for (const w of model.weights) {
  const values = w.read().dataSync() as Float32Array;
  manifest.push({ name: w.originalName, shape: w.shape as number[], offset });
  chunks.push(values);
  offset += values.length;
}
const flat = new Float32Array(offset);
offset = 0;
for (const c of chunks) {
  flat.set(c, offset);
  offset += c.length;
}
writeFileSync(path.join(dir, 'weights.f32'), flat);
const trainable = model.trainableWeights.reduce((a, w) => a + (w.shape as number[]).reduce((p, q) => p * q, 1), 0);
model.dispose();
const rng = createRng(seed);
const x = new Float32Array(n * 3072);
for (let i = 0; i < x.length; i++) x[i] = rng.normal();
const y = Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * 10));
writeFileSync(path.join(dir, 'x.f32'), x);
writeFileSync(path.join(dir, 'y.i32'), y);

interface Case {
  label: string;
  backend: string;
  workers: number;
  r: Record<string, any> | null;
  error?: string;
}
const cases: Case[] = [];
const runCase = (label: string, backend: string, workers: number, caseBatches: number[], caseReps: number) => {
  process.stderr.write(`bench: ${label} ...\n`);
  const r = spawnSync(
    process.execPath,
    [
      '--import=tsx', 'bench/resnet18Case.ts', '--checkpoint', checkpoint, '--x', path.join(dir, 'x.f32'), '--y', path.join(dir, 'y.i32'), '--n', String(n),
      '--backend', backend, '--workers', String(workers), '--batches', caseBatches.join(','), '--chunk', String(chunk), '--reps', String(caseReps), '--seed', String(seed),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: timeoutS * 1000, maxBuffer: 1 << 26 },
  );
  const ok = r.status === 0 && r.stdout.trim() !== '';
  const error = ok ? undefined : r.error?.message ?? `exit ${r.status ?? r.signal}`;
  cases.push({ label, backend, workers, r: ok ? JSON.parse(r.stdout.trim().split('\n').pop()!) : null, ...(error ? { error } : {}) });
  if (error) process.stderr.write(`bench: ${label} failed: ${error}\n`);
};
for (const w of workerList) runCase(w === 1 ? 'wasm, 1 worker' : `wasm, ${w} workers`, 'wasm', w, batches, reps);
if (!has('no-webgpu')) runCase('webgpu (1 thread)', 'webgpu', 1, [webgpuBatch], 1);

let torch: Record<string, any> | null = null;
let torchNote = '';
const python = has('no-torch') ? null : ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
if (has('no-torch')) torchNote = 'PyTorch: skipped (--no-torch)';
else if (!python) torchNote = 'PyTorch: skipped (no python3 that imports torch; Debian: apt-get install python3-torch)';
else {
  process.stderr.write(`bench: PyTorch (${python}) ...\n`);
  const threads = [...new Set([1, cores])];
  const torchBatches = has('no-webgpu') ? batches : [...new Set([webgpuBatch, ...batches])];
  const spec = { x: path.join(dir, 'x.f32'), y: path.join(dir, 'y.i32'), n, batches: torchBatches, chunk, reps, threads, seed, weights: path.join(dir, 'weights.f32'), manifest };
  writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
  const r = spawnSync(python, ['bench/pytorch_resnet18.py', path.join(dir, 'spec.json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: timeoutS * 1000 });
  if (r.status === 0) torch = JSON.parse(r.stdout);
  else torchNote = `PyTorch: bench/pytorch_resnet18.py failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`;
}

const f = (v: unknown, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');
const e = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v.toExponential(1) : '-');
const rel = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) / Math.abs(b) : NaN);
const lines: string[] = [];
lines.push(`ResNet-18 (CIFAR) on 32x32x3 synthetic data, ${trainable.toLocaleString('en')} trainable parameters; samples/s (higher is better), chunks of <= ${chunk}, median of ${reps}`);
const head = ['batch', 'chunk', 'fwd', 'grad', 'HVP', 'HVP/grad', 'HVP cpu', 'HVP/torch', 'loss', 'd loss', 'd |g|', 'peak MiB'];
lines.push(`${'run'.padEnd(22)}${head.map((h) => h.padStart(10)).join('')}`);
const torchRow = (threads: number, b: number) => (torch?.['runs'] as any[] | undefined)?.find((t) => t.threads === threads && t.batch === b);
const summary: Record<string, number> = {};
for (const c of cases) {
  if (!c.r) {
    lines.push(`${c.label.padEnd(22)}failed: ${c.error}`);
    continue;
  }
  for (const row of c.r.rows as any[]) {
    const refSameBatch = torchRow(c.workers, row.batch) ?? null;
    summary[`${c.label}/${row.batch}/hvpOverGradient`] = row.hvpOverGradient;
    summary[`${c.label}/${row.batch}/hvpSamplesPerSecond`] = row.hvp.samplesPerSecond;
    const cells = [String(row.batch), String(row.chunk), f(row.forward.samplesPerSecond), f(row.gradient.samplesPerSecond, 2), f(row.hvp.samplesPerSecond, 2), `${f(row.hvpOverGradient, 2)}x`, f(row.hvp.samplesPerCpuSecond, 2), `${f(refSameBatch ? row.hvp.samplesPerSecond / refSameBatch.hvp.samplesPerSecond : NaN, 2)}x`, f(row.loss, 4), e(rel(row.loss, refSameBatch?.loss)), e(rel(row.gradNorm, refSameBatch?.gradNorm)), f(c.r.peakRssMiB, 0)];
    lines.push(`${c.label.padEnd(22)}${cells.map((s) => s.padStart(10)).join('')}`);
  }
}
for (const t of (torch?.['runs'] as any[] | undefined) ?? []) {
  const cells = [String(t.batch), String(t.chunk), f(t.forward.samplesPerSecond), f(t.gradient.samplesPerSecond, 2), f(t.hvp.samplesPerSecond, 2), `${f(t.hvpOverGradient, 2)}x`, f(t.hvp.samplesPerCpuSecond, 2), '-', f(t.loss, 4), '-', '-', f(torch!['peakRssMiB'], 0)];
  lines.push(`${`pytorch eager x${t.threads}`.padEnd(22)}${cells.map((s) => s.padStart(10)).join('')}`);
  summary[`pytorch x${t.threads}/${t.batch}/hvpOverGradient`] = t.hvpOverGradient;
}
lines.push('');
const ours = cases.find((c) => c.r)?.r;
if (ours && torch) {
  const same = ours['trainableParameters'] === torch['trainableParameters'];
  lines.push(`parameters: ours ${ours['trainableParameters']} trainable (${ours['parameters']} with BN statistics), PyTorch ${torch['trainableParameters']} (${torch['parameters']}): ${same ? 'equal' : 'DIFFERENT'}`);
} else if (ours) lines.push(`parameters: ${ours['trainableParameters']} trainable (${ours['parameters']} with BN statistics)`);
if (torchNote) lines.push(torchNote);
lines.push(`HVP/grad: HVP time / gradient time (anchor: ${ANCHOR}); HVP cpu: HVP samples per CPU-second of the whole process (all threads); HVP/torch: our HVP samples/s / PyTorch's at the same batch and thread count (1 worker: 1 thread); d loss, d |g|: relative difference from PyTorch at the same batch`);
lines.push(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} (a loaded machine makes wall-clock numbers noisy; CPU-second rates less so)`);
console.log(lines.join('\n'));
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, loadavg: os.loadavg(), options: { batches, reps, chunk, workerList, webgpuBatch, seed }, trainableParameters: trainable, anchor: ANCHOR, cases, torch, torchNote, summary }, null, 2)}\n`);
console.log(`wrote ${outFile}`);
process.exit(0);
