/**
 * A model objective whose chunks are evaluated on worker threads: the pool's second use
 * (the first, WorkerPool.ts, computes independent items). It keeps the synchronous Objective
 * interface, so a sequential computation (an eigen-solve, an SLQ run, a ball ascent) uses
 * every core unchanged:
 *
 * - the data lives in shared memory (sharedDataset.ts), not copied per worker; each worker
 *   loads its own copy of the network and holds its share of the chunks, c % W === k;
 * - per call, the main thread writes w (unless it is the checkpoint's, which every worker
 *   has) and v once into shared memory and posts one small request to each worker;
 * - each worker posts one result per chunk (its buffer transferred, not copied); the main
 *   thread blocks (Atomics.wait) and adds the chunks IN CHUNK ORDER exactly as the
 *   single-thread objective does (addScaledInPlace), so the values are bit-identical to
 *   createModelObjective's for any number of workers: the chunking depends on the data and
 *   the network only.
 *
 * The workers start on the first evaluation (a job whose items run on the item pool never
 * starts them) and stop at dispose(); they never keep the process alive.
 */
import type { Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import type { Backend } from '../engine/backendNames.ts';
import type { Dataset } from '../io/dataset.ts';
import type { NetworkLike } from '../formats/layers/layersNetwork.ts';
import type { Objective } from '../objective/Objective.ts';
import {
  addScaledInPlace,
  localChunkSums,
  objectiveFromChunkSums,
  openChunkedModel,
  type ChunkedModel,
  type ChunkSums,
  type ModelObjectiveOptions,
} from '../objective/modelObjective.ts';
import { shareDataset } from './sharedDataset.ts';
import { SyncWorkers, type SyncWorkerInit } from './SyncWorkers.ts';
import { DataOp, type DataWorkerInit, type FromDataWorker, type ToDataWorker, type WorkerObjectiveOptions } from './dataWorkerMessages.ts';

const ENTRY = new URL('./dataWorkerEntry.js', import.meta.url);

export interface DataParallelOptions extends ModelObjectiveOptions {
  /** Worker threads (at most one per chunk are started). */
  workers: number;
  /** The engine each worker starts (the one this thread runs: values are the same). */
  engine: { backend: Backend; threads?: number };
  /** The checkpoint's path: each worker loads its own copy of the network from it. */
  checkpoint: string;
}

/** Time the main thread spends per kind of work, for benchmarks (seconds, since the start). */
export interface DataParallelStats {
  workers: number;
  chunks: number;
  startSeconds: number;
  /** Writing w and v into shared memory and posting the requests. */
  sendSeconds: number;
  /** Blocked, waiting for the workers. */
  waitSeconds: number;
  /** Adding the chunks' results and building the result tensors. */
  reduceSeconds: number;
  calls: number;
}

/** Data-parallel worker threads started and not yet exited (for tests of shutdown; training steps' workers included). */
export { liveSyncWorkers as liveDataWorkers } from './SyncWorkers.ts';

class ChunkWorkers {
  private readonly sync: SyncWorkers<FromDataWorker>;
  private inputs: Float32Array | null = null;
  private nextId = 1;
  readonly stats: DataParallelStats;

  constructor(
    private readonly m: ChunkedModel,
    private readonly data: Dataset,
    count: number,
    private readonly opts: DataParallelOptions,
  ) {
    this.sync = new SyncWorkers<FromDataWorker>('data-parallel objective', ENTRY, count);
    this.stats = { workers: count, chunks: m.chunkSizes.length, startSeconds: 0, sendSeconds: 0, waitSeconds: 0, reduceSeconds: 0, calls: 0 };
  }

  private start(): void {
    if (this.sync.started) return;
    const t0 = performance.now();
    const inputs = new SharedArrayBuffer(4 * 2 * this.m.dimension);
    this.inputs = new Float32Array(inputs);
    const objective: WorkerObjectiveOptions = { loss: this.opts.loss };
    if (this.opts.bn !== undefined) objective.bn = this.opts.bn;
    if (this.opts.batchSize !== undefined) objective.batchSize = this.opts.batchSize;
    if (this.opts.params !== undefined) objective.params = this.opts.params;
    if (this.opts.cacheBytes !== undefined) objective.cacheBytes = this.opts.cacheBytes;
    const init = (): Omit<DataWorkerInit, keyof SyncWorkerInit> => ({ engine: this.opts.engine, checkpoint: this.opts.checkpoint, objective, data: this.data, inputs });
    this.sync.start(init, (k, m) => {
      if (m.type !== 'ready' || m.dimension !== this.m.dimension || m.chunks !== this.m.chunkSizes.length) {
        throw new Error(`data-parallel objective: worker ${k} opened a different objective (${JSON.stringify(m)})`);
      }
    });
    this.stats.waitSeconds = this.sync.waitSeconds;
    this.stats.startSeconds += (performance.now() - t0) / 1000;
  }

  /**
   * Sends one request (w: null for the checkpoint's point) and hands every chunk's result
   * to `each`, in chunk order.
   */
  run(op: DataOp, w: ParamVector | null, v: ParamVector | null, each: (r: Extract<FromDataWorker, { type: 'chunk' }>) => void): void {
    this.start();
    const t0 = performance.now();
    const d = this.m.dimension;
    if (w) pv.flattenInto(w, this.inputs!, 0);
    if (v) pv.flattenInto(v, this.inputs!, d);
    const id = this.nextId++;
    this.sync.postAll({ type: 'request', id, op, base: w === null } satisfies ToDataWorker);
    this.stats.calls++;
    this.stats.sendSeconds += (performance.now() - t0) / 1000;
    try {
      this.sync.collect(id, this.m.chunkSizes.length, (m) => {
        const r0 = performance.now();
        each(m);
        this.stats.reduceSeconds += (performance.now() - r0) / 1000;
      });
    } finally {
      this.stats.waitSeconds = this.sync.waitSeconds;
    }
  }

  close(): void {
    this.sync.close();
  }
}

/** The chunk sums computed by the workers, added in chunk order as localChunkSums does. */
function workerChunkSums(m: ChunkedModel, pool: ChunkWorkers): ChunkSums {
  const n = m.numSamples;
  const weight = (c: number) => m.chunkSizes[c]! / n;
  const point = (w: ParamVector) => (w === m.params ? null : w);
  const vectorSum = (op: DataOp, w: ParamVector, v: ParamVector | null): { value: number; sum: Tensor[] } => {
    const acc = new Float32Array(m.dimension);
    let value = 0;
    pool.run(op, point(w), v, (r) => {
      value += weight(r.c) * r.value;
      addScaledInPlace(acc, r.data!, weight(r.c), r.c === 0);
    });
    const t0 = performance.now();
    const sum = pv.unflatten(acc, m.shapes);
    pool.stats.reduceSeconds += (performance.now() - t0) / 1000;
    return { value, sum };
  };
  return {
    loss: (w) => {
      let total = 0;
      pool.run(DataOp.loss, point(w), null, (r) => (total += weight(r.c) * r.value));
      return total;
    },
    lossAndCorrect: (w) => {
      let total = 0;
      let correct: number | null = 0;
      pool.run(DataOp.lossAndCorrect, point(w), null, (r) => {
        total += weight(r.c) * r.value;
        correct = r.correct === null || correct === null ? null : correct + r.correct;
      });
      return { loss: total, correct };
    },
    grad: (w) => {
      const r = vectorSum(DataOp.grad, w, null);
      return { value: r.value, grad: r.sum };
    },
    hvp: (w, v) => vectorSum(DataOp.hvp, w, v).sum,
  };
}

/** An objective with its data-parallel statistics (absent when it runs in this thread). */
export type MaybeParallelObjective = Objective & { parallelStats?: () => DataParallelStats };

/**
 * The objective of `model` (loaded from opts.checkpoint) on `data`, its chunks evaluated on
 * min(opts.workers, chunks) worker threads; in this thread when that is 1. Values equal
 * createModelObjective's bit for bit.
 */
export async function createDataParallelObjective(model: NetworkLike, data: Dataset, opts: DataParallelOptions): Promise<MaybeParallelObjective> {
  const probe = await openChunkedModel(model, data, { ...opts, ownChunks: () => false });
  const count = Math.min(opts.workers, probe.chunkSizes.length);
  if (count <= 1) {
    probe.dispose();
    const m = await openChunkedModel(model, data, opts);
    return objectiveFromChunkSums(m, localChunkSums(m));
  }
  const pool = new ChunkWorkers(probe, shareDataset(data), count, opts);
  const objective: MaybeParallelObjective = objectiveFromChunkSums(probe, workerChunkSums(probe, pool), () => pool.close());
  objective.parallelStats = () => ({ ...pool.stats });
  return objective;
}
