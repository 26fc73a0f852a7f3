/**
 * One configuration of bench/dataParallel.bench.ts, in its own process (so its peak RSS is
 * its own): hessian --top-k 1 on a saved checkpoint, by power iteration (PyHessian's rule:
 * tol 1e-3, at most 100 HVPs) and by Lanczos (tol 1e-3), and the forward throughput (the
 * loss over the whole dataset), on `--workers` data-parallel worker threads. Prints JSON.
 *
 *   node --import=tsx bench/dataParallelCase.ts --checkpoint DIR --data mnist:train:10000
 *     --workers 2 [--threads 1] [--chunk 1000] [--seed 1] [--reps 3]
 */
import { initEngine } from '../src/engine/backend.ts';
import { loadCheckpoint } from '../src/formats/loadCheckpoint.ts';
import { loadDataset } from '../src/io/dataset.ts';
import { Loss } from '../src/objective/losses.ts';
import { hvpOperator } from '../src/hessian/HvpOperator.ts';
import { powerIteration } from '../src/hessian/powerIteration.ts';
import { lanczosEigenpairs } from '../src/hessian/lanczosEigenpairs.ts';
import { createDataParallelObjective } from '../src/parallel/DataParallelObjective.ts';
import { shareDataset } from '../src/parallel/sharedDataset.ts';
import { Backend } from '../src/engine/backendNames.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const checkpoint = arg('checkpoint', '');
const dataSpec = arg('data', 'mnist:train:10000');
const workers = Number(arg('workers', '1'));
const threads = Number(arg('threads', '1'));
const chunk = Number(arg('chunk', '1000'));
const seed = Number(arg('seed', '1'));
const reps = Number(arg('reps', '3'));

const engine = await initEngine({ backend: Backend.wasm, threads });
const ck = await loadCheckpoint(checkpoint);
const data = shareDataset(await loadDataset(dataSpec));
const t0 = performance.now();
const objective = await createDataParallelObjective(ck.network, data, {
  loss: Loss.ce,
  batchSize: chunk,
  workers,
  checkpoint,
  engine: { backend: Backend.wasm, ...(threads > 1 ? { threads } : {}) },
});
const op = hvpOperator(objective);
objective.loss(objective.params); // starts the workers; warm-up
const startSeconds = (performance.now() - t0) / 1000;
const rss: number[] = [];
const timed = <T>(fn: () => T): { value: T; seconds: number } => {
  const s = performance.now();
  const value = fn();
  rss.push(process.memoryUsage.rss());
  return { value, seconds: (performance.now() - s) / 1000 };
};
const fwd: number[] = [];
for (let r = 0; r < reps; r++) fwd.push(timed(() => objective.loss(objective.params)).seconds);
const power = timed(() => powerIteration(op, { topK: 1, tol: 1e-3, maxIter: 100, seed }));
const rssAfterPower = process.memoryUsage.rss();
const lanczos = timed(() => lanczosEigenpairs(op, { topK: 1, tol: 1e-3, seed }));
const stats = (objective as { parallelStats?: () => unknown }).parallelStats?.() ?? null;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(
  JSON.stringify({
    workers,
    threads: engine.threads,
    samples: data.n,
    startSeconds,
    forwardSeconds: median(fwd),
    forwardSamplesPerSecond: data.n / median(fwd),
    power: { seconds: power.seconds, hvps: power.value.hvps, lambda: power.value.eigenvalues[0] },
    lanczos: { seconds: lanczos.seconds, hvps: lanczos.value.hvps, lambda: lanczos.value.eigenvalues[0] },
    secondsPerHvp: power.seconds / power.value.hvps,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    rssGrowthOverHvpsMiB: (process.memoryUsage.rss() - rssAfterPower) / 2 ** 20,
    stats,
  }),
);
objective.dispose();
ck.dispose();
// wasm's own threads (--threads > 1) keep the process alive
process.exit(0);
