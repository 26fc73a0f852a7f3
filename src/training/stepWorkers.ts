/**
 * The chunks of --grad-chunk's training steps computed on worker threads (the lifecycle of
 * parallel/SyncWorkers.ts, as the data-parallel objective's):
 *
 * - the data lives in shared memory (sharedDataset.ts), not copied per worker; each worker
 *   builds its own copy of the training network once (trainNetSource.ts) at all the weights
 *   the network has when the first step starts;
 * - per pass (SAM: two per step), the main thread writes the current trainable weights and
 *   the minibatch's sample indices once into shared memory and posts one small request to
 *   each worker; chunk c is computed by worker c % count;
 * - each worker posts one result per chunk (loss, correct count, the gradient's buffer
 *   transferred), which chunkedGradient adds IN CHUNK ORDER: the step is the same bits for
 *   any number of workers.
 *
 * The workers start on the first step and stop at close() (the Trainer's dispose); they
 * never keep the process alive. Only networks without BatchNorm are split into chunks (the
 * Trainer refuses the rest), so the workers never update running statistics.
 */
import type { Backend } from '../engine/backendNames.ts';
import * as pv from '../engine/paramVector.ts';
import type { Dataset } from '../io/dataset.ts';
import type { Loss } from '../objective/losses.ts';
import { shareDataset } from '../parallel/sharedDataset.ts';
import { SyncWorkers, type SyncWorkerInit } from '../parallel/SyncWorkers.ts';
import { chunkSizes, localChunks, type ChunkPass, type StepChunkRunner } from './chunkedGradient.ts';
import { MinibatchLoss, type ChunkGradient } from './MinibatchLoss.ts';
import type { FromStepWorker, StepWorkerInit, ToStepWorker } from './stepWorkerMessages.ts';
import type { TrainableNet } from './TrainableNet.ts';
import type { TrainNetSource } from './trainNetSource.ts';

const ENTRY = new URL('./stepWorkerEntry.js', import.meta.url);

export interface StepWorkersOptions {
  /** Worker threads asked for (at most one per chunk of a minibatch are started). */
  workers: number;
  /** The engine each worker starts (the one this thread runs: values are the same). */
  engine: { backend: Backend; threads?: number };
  /** How a worker builds the training network (RunModel.netSource). */
  source: TrainNetSource;
  /** The minibatch size and chunk size of the run. */
  batchSize: number;
  gradChunk: number;
}

/** Seconds the main thread spent per kind of work, for benchmarks. */
export interface StepWorkerStats {
  workers: number;
  startSeconds: number;
  /** Writing the weights and indices into shared memory and posting the requests. */
  sendSeconds: number;
  /** Blocked, waiting for the workers (their compute included). */
  waitSeconds: number;
  /** Passes (SAM: two per step). */
  passes: number;
}

export class StepWorkers implements StepChunkRunner {
  readonly workers: number;
  private readonly sync: SyncWorkers<FromStepWorker>;
  private weights: Float32Array | null = null;
  private indices: Int32Array | null = null;
  private nextId = 1;
  private readonly stats: StepWorkerStats;

  constructor(
    private readonly net: TrainableNet,
    private readonly data: Dataset,
    private readonly loss: Loss,
    private readonly opts: StepWorkersOptions,
  ) {
    this.workers = opts.workers;
    this.sync = new SyncWorkers<FromStepWorker>('training step', ENTRY, opts.workers);
    this.stats = { workers: opts.workers, startSeconds: 0, sendSeconds: 0, waitSeconds: 0, passes: 0 };
  }

  private start(): void {
    if (this.sync.started) return;
    const t0 = performance.now();
    const dimension = pv.sizeOf(this.net.vars);
    const weights = new SharedArrayBuffer(4 * dimension);
    const indices = new SharedArrayBuffer(4 * this.opts.batchSize);
    this.weights = new Float32Array(weights);
    this.indices = new Int32Array(indices);
    const initial = this.net.flatWeights();
    const init = (): Omit<StepWorkerInit, keyof SyncWorkerInit> => ({
      engine: this.opts.engine,
      source: this.opts.source,
      loss: this.loss,
      initial,
      data: this.data,
      weights,
      indices,
    });
    this.sync.start(init, (k, m) => {
      if (m.type !== 'ready' || m.dimension !== dimension || m.weightCount !== this.net.weightCount) {
        throw new Error(`training step: worker ${k} built a different network (${JSON.stringify(m)}; expected ${dimension} trainable of ${this.net.weightCount} weights)`);
      }
    });
    this.stats.startSeconds += (performance.now() - t0) / 1000;
  }

  run(pass: ChunkPass, each: (c: number, r: ChunkGradient) => void): void {
    this.start();
    const t0 = performance.now();
    pv.flattenInto(this.net.vars, this.weights!);
    if (pass.indices.length > this.indices!.length) throw new Error(`training step: a minibatch of ${pass.indices.length} samples, more than the ${this.indices!.length} the workers were started for`);
    this.indices!.set(pass.indices);
    const id = this.nextId++;
    this.sync.postAll({ type: 'request', id, size: pass.indices.length, chunk: pass.chunk, seeds: [...pass.seeds], withHits: pass.withHits } satisfies ToStepWorker);
    this.stats.passes++;
    this.stats.sendSeconds += (performance.now() - t0) / 1000;
    this.sync.collect(id, chunkSizes(pass.indices.length, pass.chunk).length, (m) => each(m.c, { value: m.value, hits: m.hits, grad: m.grad }));
  }

  /** The main thread's time so far (for benchmarks). */
  statistics(): StepWorkerStats {
    return { ...this.stats, waitSeconds: this.sync.waitSeconds };
  }

  close(): void {
    this.sync.close();
  }
}

/**
 * Who computes the chunks of a run with --grad-chunk: min(workers, chunks per minibatch)
 * worker threads, or this thread when that is 1 (the same numbers either way).
 */
export function createStepChunks(net: TrainableNet, data: Dataset, loss: Loss, opts: StepWorkersOptions): StepChunkRunner {
  const count = Math.min(opts.workers, Math.ceil(opts.batchSize / opts.gradChunk));
  if (count <= 1) return localChunks(new MinibatchLoss(net, data, loss));
  return new StepWorkers(net, shareDataset(data), loss, { ...opts, workers: count });
}
