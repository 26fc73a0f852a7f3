/**
 * One configuration of bench/resnet18.bench.ts, in its own process (its own engine, thread
 * count and peak RSS): the loss, one gradient and one HVP of the CIFAR ResNet-18 checkpoint on
 * the first B samples, for each batch B, timed (median of --reps, after a warm-up of the loss, gradient and HVP on two samples
 * and a forward at B, which starts the workers).
 * A batch is evaluated in chunks of at most --chunk samples that sum, as every measure does
 * (objective/modelObjective.ts); with --workers > 1 the chunks are spread over that many
 * data-parallel worker threads (parallel/DataParallelObjective.ts, chunk = min(--chunk,
 * ceil(B / workers)) so that every worker has one). Prints one JSON line.
 *
 *   node --import=tsx bench/resnet18Case.ts --checkpoint DIR --x x.f32 --y y.i32 --n N
 *     [--backend wasm|webgpu] [--workers 1] [--threads 1] [--batches 128] [--chunk 32] [--reps 1] [--seed 1]
 */
import { readFileSync } from 'node:fs';
import { initEngine } from '../src/engine/backend.ts';
import { adapterLabel } from '../src/engine/webgpu.ts';
import { Backend } from '../src/engine/backendNames.ts';
import { loadCheckpoint } from '../src/formats/loadCheckpoint.ts';
import { makeDataset, type Dataset } from '../src/io/makeDataset.ts';
import { Loss } from '../src/objective/losses.ts';
import type { Objective } from '../src/objective/Objective.ts';
import { createModelObjective } from '../src/objective/modelObjective.ts';
import { createDataParallelObjective } from '../src/parallel/DataParallelObjective.ts';
import { shareDataset } from '../src/parallel/sharedDataset.ts';
import * as pv from '../src/engine/paramVector.ts';
import { createRng } from '../src/engine/rng.ts';
import { tf } from '../src/engine/tf.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const checkpoint = arg('checkpoint', '');
const backend = arg('backend', 'wasm') as Backend;
const workers = Number(arg('workers', '1'));
const threads = Number(arg('threads', '1'));
const batches = arg('batches', '128').split(',').map(Number);
const chunkMax = Number(arg('chunk', '32'));
const reps = Number(arg('reps', '1'));
const seed = Number(arg('seed', '1'));
const n = Number(arg('n', String(Math.max(...batches))));
const log = (s: string) => process.stderr.write(`[${backend}${workers > 1 ? ` ${workers} workers` : ''}] ${s}\n`);

const engine = await initEngine({ backend, ...(backend === Backend.wasm ? { threads } : {}) });
const ck = await loadCheckpoint(checkpoint);
const bytes = (file: string) => {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
const xs = new Float32Array(bytes(arg('x', '')));
const ys = new Int32Array(bytes(arg('y', '')));
const first = (b: number): Dataset =>
  makeDataset(`synthetic-cifar[:${b}]`, [32, 32, 3], xs.slice(0, b * 3072), { kind: 'classes', labels: ys.slice(0, b), numClasses: 10 });
if (xs.length !== n * 3072 || ys.length !== n) throw new Error(`resnet18Case: data files hold ${ys.length} samples, --n says ${n}`);

const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
/** Median wall and CPU seconds (CPU of the whole process: every thread, workers included). */
function time(fn: () => void): { seconds: number; cpuSeconds: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { seconds: median(wall), cpuSeconds: median(cpu) };
}

// Warm-up of every kernel the three evaluations use, on two samples (cheap), in this thread.
{
  const o = await createModelObjective(ck.network, first(2), { loss: Loss.ce, batchSize: 2 });
  const v = pv.randomNormal(o.shapes, createRng(seed));
  o.loss(o.params);
  pv.dispose(o.grad(o.params).grad);
  pv.dispose(o.hvp(o.params, v));
  pv.dispose(v);
  o.dispose();
}

const rows: Record<string, unknown>[] = [];
for (const b of batches) {
  const data = first(b);
  const chunk = Math.min(chunkMax, Math.ceil(b / workers));
  const opts = { loss: Loss.ce, batchSize: chunk };
  const o: Objective =
    workers > 1
      ? await createDataParallelObjective(ck.network, shareDataset(data), {
          ...opts,
          workers,
          checkpoint,
          engine: { backend: Backend.wasm, ...(threads > 1 ? { threads } : {}) },
        })
      : await createModelObjective(ck.network, data, opts);
  const v = pv.randomNormal(o.shapes, createRng(seed));
  // Warm-up (starts the workers, sets up the kernels) and the loss checked against PyTorch's.
  const t0 = performance.now();
  const loss = o.loss(o.params);
  const warmSeconds = (performance.now() - t0) / 1000;
  log(`batch ${b} (chunks of ${chunk}): loss ${loss}, warm-up forward ${warmSeconds.toFixed(1)} s`);
  let gradNorm = NaN;
  const fwd = time(() => o.loss(o.params));
  log(`  forward ${fwd.seconds.toFixed(1)} s`);
  const grad = time(() => {
    const g = o.grad(o.params).grad;
    gradNorm = Math.sqrt(pv.dot(g, g));
    pv.dispose(g);
  });
  log(`  gradient ${grad.seconds.toFixed(1)} s`);
  const hvp = time(() => pv.dispose(o.hvp(o.params, v)));
  log(`  HVP ${hvp.seconds.toFixed(1)} s`);
  const per = (t: { seconds: number; cpuSeconds: number }) => ({ ...t, samplesPerSecond: b / t.seconds, samplesPerCpuSecond: b / t.cpuSeconds });
  rows.push({ batch: b, chunk, loss, gradNorm, warmSeconds, forward: per(fwd), gradient: per(grad), hvp: per(hvp), hvpOverGradient: hvp.seconds / grad.seconds });
  pv.dispose(v);
  o.dispose();
}
console.log(
  JSON.stringify({
    backend,
    device: engine.adapter ? adapterLabel(engine.adapter) : engine.device,
    workers,
    threads: engine.threads,
    parameters: ck.paramCount,
    trainableParameters: ck.trainableParamCount,
    rows,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    numTensors: tf.memory().numTensors,
  }),
);
ck.dispose();
process.exit(0);
