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
 *   and never keep the process alive (WorkerSet.ts). With 1 worker, 1 batch, or an engine
 *   whose workers would not compute the same values (tensorflow, webgpu), the batches are
 *   computed in the calling thread and no worker starts.
 */
import { currentEngineInfo, type EngineInfo } from '../engine/backend.ts';
import type { tfl } from '../engine/tf.ts';
import { topologyOf } from '../formats/layers/analysisModel.ts';
import type { OnnxModel } from '../formats/onnx/OnnxModel.ts';
import type { Dataset } from '../io/dataset.ts';
import type { BatchMomentsRunner, NamedMoments } from '../training/BatchNormPass.ts';
import { shareDataset } from './sharedDataset.ts';
import { usesWorkerThreads, workerEngine } from './workerBackend.ts';
import { deserializeError } from './workerMessages.ts';
import { WorkerSet } from './WorkerSet.ts';
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

export class BatchNormWorkers implements BatchMomentsRunner {
  private readonly set = new WorkerSet<ToBatchNormWorker, FromBatchNormWorker>(ENTRY, 'batchnorm');
  private weights: Float32Array | null = null;
  private count = 0;
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

  private start(batches: number): void {
    if (this.broken) throw this.broken;
    if (this.set.size > 0) return;
    const t0 = performance.now();
    this.count = Math.min(this.opts.workers, batches);
    const weights = new SharedArrayBuffer(4 * this.opts.weightCount);
    this.weights = new Float32Array(weights);
    const init: Omit<BatchNormWorkerInit, 'index' | 'count' | 'port' | 'signal'> = {
      engine: workerEngine(this.engine),
      source: this.opts.source,
      data: shareDataset(this.opts.data),
      weights,
      weightCount: this.opts.weightCount,
    };
    this.set.start(this.count, () => init);
    try {
      for (let k = 0; k < this.count; k++) {
        const m = this.set.receive(k);
        if (m.type === 'error') throw deserializeError(m.error);
        if (m.type !== 'ready') throw new Error(`batchnorm: worker ${k} sent ${m.type} before it was ready`);
      }
    } catch (e) {
      this.fail(e as Error);
    }
    this.stats.workers = this.count;
    this.stats.startSeconds += (performance.now() - t0) / 1000;
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
    this.start(batches);
    this.weights!.set(weights);
    const id = this.nextId++;
    this.set.postAll({ type: 'request', id, batchSize });
    try {
      for (let b = 0; b < batches; b++) {
        const k = b % this.count;
        let m = this.set.receive(k);
        // results of an earlier request that failed elsewhere
        while (m.type === 'ready' || m.id !== id) m = this.set.receive(k);
        if (m.type === 'error') throw deserializeError(m.error);
        if (m.b !== b) throw new Error(`batchnorm: expected batch ${b} from worker ${k}, got batch ${m.b}`);
        onBatch(b, m.moments);
      }
    } catch (e) {
      this.fail(e as Error);
    }
    this.stats.runs++;
  }

  /** Stops the workers (idempotent); a later recompute would start them again unless one failed. */
  close(): void {
    this.set.close({ type: 'close' });
  }
}
