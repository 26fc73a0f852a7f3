/**
 * The BatchNorm recompute's batches on worker threads: a BatchMomentsRunner
 * (training/BatchNormPass.ts) for one network and one dataset, kept across recomputes (SWA
 * training recomputes at every evaluation) and closed by its owner (close()).
 *
 * - the data lives in shared memory (sharedDataset.ts), not copied per worker; each worker
 *   builds its own pass of the network once (the layers topology, or the ONNX file);
 * - per recompute, the main thread writes the weights once into shared memory and posts one
 *   small request to each worker; worker k computes the batches b with b % W === k and posts
 *   each batch's moments; the main thread merges them IN BATCH ORDER, as the single-thread
 *   pass does, so the statistics are the same bit for bit for any number of workers (the
 *   batches depend on the data and the batch size only);
 * - the workers start on the first recompute with at least 2 batches (at most one per batch)
 *   and never keep the process alive (SyncWorkers.ts). With 1 worker, 1 batch, or an engine
 *   whose workers would not compute the same values (tensorflow, webgpu), the batches are
 *   computed in the calling thread and no worker starts.
 */
import { currentEngineInfo, type EngineInfo } from '../engine/backend.ts';
import type { tfl } from '../engine/tf.ts';
import { topologyOf } from '../formats/layers/analysisModel.ts';
import type { OnnxModel } from '../formats/onnx/OnnxModel.ts';
import type { Dataset } from '../io/dataset.ts';
import type { BatchMomentsRunner, NamedMoments } from './BatchNormPass.ts';
import { shareDataset } from '../parallel/sharedDataset.ts';
import { usesWorkerThreads, workerEngine } from '../parallel/workerBackend.ts';
import { SyncWorkers } from '../parallel/SyncWorkers.ts';
import type { BatchNormSource, BatchNormWorkerInit, FromBatchNormWorker, ToBatchNormWorker } from './batchNormWorkerMessages.ts';

const ENTRY = new URL('./batchNormWorkerEntry.js', import.meta.url);

export interface BatchNormWorkersOptions {
  /** Worker threads (at most one per batch are started; 1: the calling thread). */
  workers: number;
  /** The network every worker builds. */
  source: BatchNormSource;
  /** Every weight the network takes (the length of each recompute's weights). */
  weightCount: number;
  /** The data of every recompute. */
  data: Dataset;
  /** The engine this thread runs (the workers start the same one); default: the one started last. */
  engine?: EngineInfo | undefined;
}

/** Time spent, for benchmarks (seconds). */
export interface BatchNormWorkerStats {
  /** Threads started (0 until the first recompute on workers). */
  workers: number;
  /** Starting them: engines, networks, until every one is ready. */
  startSeconds: number;
  /** Recomputes run on the workers. */
  runs: number;
}

/**
 * Samples below which the BatchNorm pass stays in this thread when --workers is not given:
 * starting two workers costs about 1 s, and a pass over 10,000 MNIST images on the built-in
 * CNN takes 0.65 s in one thread and saves 0.25 s on two (docs/parallel.md), so on smaller
 * data the default would only slow a run down. An explicit --workers is always obeyed.
 */
export const BATCHNORM_WORKERS_MIN_SAMPLES = 10_000;

/** The BatchNorm pass's threads: `given` (--workers as typed) wins; its default `resolved` only on data of BATCHNORM_WORKERS_MIN_SAMPLES or more. */
export function batchNormWorkerCount(given: unknown, resolved: number, samples: number): number {
  return given !== undefined || samples >= BATCHNORM_WORKERS_MIN_SAMPLES ? resolved : 1;
}

export class BatchNormWorkers implements BatchMomentsRunner {
  private set: SyncWorkers<FromBatchNormWorker> | null = null;
  private weights: Float32Array | null = null;
  private nextId = 1;
  private broken: Error | null = null;
  readonly stats: BatchNormWorkerStats = { workers: 0, startSeconds: 0, runs: 0 };

  private readonly engine: EngineInfo;

  constructor(private readonly opts: BatchNormWorkersOptions) {
    this.engine = opts.engine ?? currentEngineInfo();
  }

  /** Workers for the BatchNorm recompute of a layers model (any weights of its architecture) on `data`. */
  static forLayers(model: tfl.LayersModel, data: Dataset, workers: number): BatchNormWorkers {
    const weightCount = model.weights.reduce((a, w) => a + (w.shape as number[]).reduce((x, y) => x * y, 1), 0);
    return new BatchNormWorkers({ workers, source: { format: 'layers', topology: topologyOf(model) }, weightCount, data });
  }

  /** Workers for the BatchNorm recompute of an ONNX graph (any parameters and state of it) on `data`; they load m.file. */
  static forOnnx(m: OnnxModel, data: Dataset, workers: number): BatchNormWorkers {
    const weightCount = [...m.params, ...m.state].reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    return new BatchNormWorkers({ workers, source: { format: 'onnx', file: m.file }, weightCount, data });
  }

  accepts(data: Dataset, batches: number): boolean {
    const own = this.opts.data;
    if (data !== own && (data.sha256 !== own.sha256 || data.n !== own.n)) {
      throw new Error(`batchnorm: workers made for ${own.spec} were given ${data.spec}`);
    }
    return this.opts.workers > 1 && batches >= 2 && usesWorkerThreads(this.engine);
  }

  private start(batches: number): SyncWorkers<FromBatchNormWorker> {
    if (this.broken) throw this.broken;
    if (this.set?.started) return this.set;
    const t0 = performance.now();
    const count = Math.min(this.opts.workers, batches);
    const weights = new SharedArrayBuffer(4 * this.opts.weightCount);
    this.weights = new Float32Array(weights);
    const init: Omit<BatchNormWorkerInit, 'index' | 'count' | 'port' | 'signal'> = {
      engine: workerEngine(this.engine),
      source: this.opts.source,
      data: shareDataset(this.opts.data),
      weights,
      weightCount: this.opts.weightCount,
    };
    this.set = new SyncWorkers<FromBatchNormWorker>('batchnorm', ENTRY, count);
    try {
      this.set.start(() => init);
    } catch (e) {
      this.fail(e as Error);
    }
    this.stats.workers = count;
    this.stats.startSeconds += (performance.now() - t0) / 1000;
    return this.set;
  }

  /** Closes the workers and keeps the error: every later recompute throws it. */
  private fail(e: Error): never {
    this.broken = e;
    this.close();
    throw e;
  }

  run(weights: Float32Array, batchSize: number, onBatch: (b: number, moments: NamedMoments[]) => void): void {
    if (weights.length !== this.opts.weightCount) {
      throw new Error(`batchnorm: ${weights.length} weights given to workers made for ${this.opts.weightCount}`);
    }
    const batches = Math.ceil(this.opts.data.n / batchSize);
    const set = this.start(batches);
    this.weights!.set(weights);
    const id = this.nextId++;
    set.postAll({ type: 'request', id, batchSize } satisfies ToBatchNormWorker);
    try {
      set.collect(id, batches, (m) => onBatch(m.c, m.moments));
    } catch (e) {
      this.fail(e as Error);
    }
    this.stats.runs++;
  }

  /** Stops the workers (idempotent); a later recompute would start them again unless one failed. */
  close(): void {
    this.set?.close();
  }
}
