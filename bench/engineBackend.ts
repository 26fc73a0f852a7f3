/**
 * One backend's half of `npm run bench:engine` (bench/engine.bench.ts runs this once per backend,
 * each in its own process, so that peak RSS is per backend and a wasm thread count can be
 * chosen before the backend starts). Writes one JSON document to --out.
 *
 *   node --import=tsx bench/engineBackend.ts --backend wasm --threads 1 --out r.json
 *     [--models mlp,cnn,resnet] [--batches 128,1000] [--reps 5] [--seed 1]
 *     [--samples 10000 --grid 21 --chunk 1000 --e2e-models mlp,cnn]   (end to end; --samples 0 skips it)
 */
import { writeFile } from 'node:fs/promises';
import { tf } from '../src/engine/tf.ts';
import { initEngine } from '../src/engine/backend.ts';
import { loadDataset, type Dataset } from '../src/io/dataset.ts';
import { buildBuiltinModel, type BuiltinModel } from '../src/models/builtinModels.ts';
import { createModelObjective } from '../src/objective/modelObjective.ts';
import { Loss } from '../src/objective/losses.ts';
import type { Objective } from '../src/objective/Objective.ts';
import * as pv from '../src/engine/paramVector.ts';
import { createRng } from '../src/engine/rng.ts';
import { hvpOperator, type HvpOperator } from '../src/hessian/HvpOperator.ts';
import { hessianReport } from '../src/hessian/hessianReport.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const backend = arg('backend', 'wasm') as 'cpu' | 'wasm';
const threads = Number(arg('threads', '1'));
const models = arg('models', 'mlp,cnn,resnet').split(',') as BuiltinModel[];
const batches = arg('batches', '128,1000').split(',').map(Number);
const reps = Number(arg('reps', '5'));
const seed = Number(arg('seed', '1'));
const samples = Number(arg('samples', '10000'));
const grid = Number(arg('grid', '21'));
const chunk = Number(arg('chunk', '1000'));
const e2eModels = arg('e2e-models', models.join(',')).split(',');
const out = arg('out', 'bench/results/engine-backend.json');

const log = (s: string) => process.stderr.write(`[${backend}${backend === 'wasm' ? ` x${threads}` : ''}] ${s}\n`);
const mib = (bytes: number) => bytes / 2 ** 20;
const rssMiB = () => mib(process.memoryUsage().rss);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : 0.5 * (s[s.length / 2 - 1]! + s[s.length / 2]!);
};

/** Median wall and CPU milliseconds of fn over `reps` runs after one warm-up. */
function time(fn: () => void, r: number): { ms: number; cpuMs: number } {
  fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < r; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ms: median(wall), cpuMs: median(cpu) };
}

function firstSamples(d: Dataset, n: number): Dataset {
  const per = d.sampleShape.reduce((a, b) => a * b, 1);
  const t = d.targets;
  return {
    ...d,
    spec: `${d.spec}[:${n}]`,
    n,
    x: d.x.subarray(0, n * per),
    targets: t.kind === 'classes' ? { ...t, labels: t.labels.subarray(0, n) } : { ...t, values: t.values.subarray(0, n * t.dim) },
  };
}

/** An operator that records RSS after every HVP. */
function watched(op: HvpOperator, rss: number[]): HvpOperator {
  return {
    dimension: op.dimension,
    shapes: op.shapes,
    names: op.names,
    get hvps() {
      return op.hvps;
    },
    apply(v) {
      const hv = op.apply(v);
      rss.push(rssMiB());
      return hv;
    },
  };
}

/** Growth of a series (MiB per 100 steps) by least squares over its second half (after warm-up). */
function slopePer100(ys: number[]): number | null {
  const h = ys.slice(Math.floor(ys.length / 2));
  if (h.length < 3) return null;
  const n = h.length;
  const mx = (n - 1) / 2;
  const my = h.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  h.forEach((y, i) => {
    sxy += (i - mx) * (y - my);
    sxx += (i - mx) ** 2;
  });
  return (100 * sxy) / sxx;
}

function hessianRun(o: Objective, solver: 'lanczos' | 'power') {
  const rss: number[] = [];
  const tensors0 = tf.memory().numTensors;
  const t0 = performance.now();
  const r = hessianReport(watched(hvpOperator(o), rss), { topK: 1, solver, seed });
  const seconds = (performance.now() - t0) / 1000;
  return {
    seconds,
    hvps: r.totalHvps,
    lambdaMax: r.eigenvalues[0]!,
    converged: r.converged,
    secondsPerHvp: seconds / r.totalHvps,
    rssFirstMiB: rss[0] ?? null,
    rssLastMiB: rss[rss.length - 1] ?? null,
    rssGrowthMiBPer100: slopePer100(rss),
    tensorsLeaked: tf.memory().numTensors - tensors0,
  };
}

/** Loss and accuracy on a grid x grid plane through w* along two random directions scaled per block. */
function landscapeRun(o: Objective) {
  const rng = createRng(seed + 7);
  const dirs = [0, 1].map(() => {
    const d = pv.randomNormal(o.shapes, rng);
    const scaled = d.map((t, i) => tf.tidy(() => tf.mul(t, tf.div(tf.norm(o.params[i]!), tf.add(tf.norm(t), 1e-10)))));
    pv.dispose(d);
    return scaled;
  });
  const coords = Array.from({ length: grid }, (_, i) => (grid === 1 ? 0 : -1 + (2 * i) / (grid - 1)));
  const rss: number[] = [];
  const tensors0 = tf.memory().numTensors;
  const t0 = performance.now();
  let finite = 0;
  for (const a of coords) {
    for (const b of coords) {
      const w = tf.tidy(() => o.params.map((p, i) => tf.add(p, tf.add(tf.mul(dirs[0]![i]!, a), tf.mul(dirs[1]![i]!, b)))));
      const r = o.lossAndAccuracy(w);
      if (Number.isFinite(r.loss)) finite++;
      pv.dispose(w);
      rss.push(rssMiB());
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const tensorsLeaked = tf.memory().numTensors - tensors0;
  for (const d of dirs) pv.dispose(d);
  return {
    points: grid * grid,
    seconds,
    secondsPerPoint: seconds / (grid * grid),
    finite,
    rssFirstMiB: rss[0] ?? null,
    rssLastMiB: rss[rss.length - 1] ?? null,
    rssGrowthMiBPer100: slopePer100(rss),
    tensorsLeaked,
  };
}

const actualThreads = (await initEngine({ backend, threads: backend === 'wasm' ? threads : undefined })).threads;
const data = await loadDataset(`mnist:train:${Math.max(samples, ...batches)}`);
const rows: Record<string, unknown>[] = [];
for (const name of models) {
  const model = buildBuiltinModel(name, data.sampleShape, 10, seed);
  const row: Record<string, unknown> = { model: name, params: model.countParams() };
  for (const n of batches) {
    const o = await createModelObjective(model, firstSamples(data, n), { loss: Loss.ce, batchSize: n });
    const v = pv.randomNormal(o.shapes, createRng(seed));
    row[`loss${n}`] = o.loss(o.params);
    // The cpu backend takes seconds per CNN / ResNet HVP at batch 1000: fewer repetitions there.
    const r = backend === 'cpu' ? Math.min(reps, n > 128 ? 1 : 3) : reps;
    for (const [what, fn] of [
      ['fwd', () => o.loss(o.params)],
      ['grad', () => pv.dispose(o.grad(o.params).grad)],
      ['hvp', () => pv.dispose(o.hvp(o.params, v))],
    ] as const) {
      const t = time(fn, r);
      row[`${what}${n}`] = { ms: t.ms, cpuMs: t.cpuMs, samplesPerSecond: (1000 * n) / t.ms };
      log(`${name} ${what}@${n}: ${t.ms.toFixed(1)} ms (cpu ${t.cpuMs.toFixed(1)} ms)`);
    }
    pv.dispose(v);
    o.dispose();
  }
  if (samples > 0 && e2eModels.includes(name)) {
    const o = await createModelObjective(model, firstSamples(data, samples), { loss: Loss.ce, batchSize: chunk });
    const e2e: Record<string, unknown> = { samples, chunk };
    e2e['lanczos'] = hessianRun(o, 'lanczos');
    log(`${name} hessian --top-k 1 (lanczos) on ${samples}: ${JSON.stringify(e2e['lanczos'])}`);
    e2e['power'] = hessianRun(o, 'power');
    log(`${name} hessian --top-k 1 --solver power on ${samples}: ${JSON.stringify(e2e['power'])}`);
    e2e['landscape'] = landscapeRun(o);
    log(`${name} landscape ${grid}x${grid} on ${samples}: ${JSON.stringify(e2e['landscape'])}`);
    row['endToEnd'] = e2e;
    o.dispose();
  }
  model.dispose();
  rows.push(row);
}
const result = {
  backend,
  threadsRequested: threads,
  threads: actualThreads,
  tfjs: tf.version_core,
  node: process.version,
  rows,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  numTensorsAtEnd: tf.memory().numTensors,
};
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
log(`peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
// The threaded wasm build's worker threads would keep the process alive.
process.exit(0);
