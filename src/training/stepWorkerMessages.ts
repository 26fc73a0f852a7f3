/** What the step workers of --grad-chunk (stepWorkers.ts) and their threads say to each other. */
import type { Backend } from '../engine/backendNames.ts';
import type { Dataset } from '../io/dataset.ts';
import type { Loss } from '../objective/losses.ts';
import type { SerializedError } from '../parallel/workerMessages.ts';
import type { SyncWorkerInit } from '../parallel/SyncWorkers.ts';
import type { TrainNetSource } from './trainNetSource.ts';

/** A step worker's workerData: SyncWorkerInit's fields (index, count, port, signal) and these. */
export interface StepWorkerInit extends SyncWorkerInit {
  engine: { backend: Backend; threads?: number };
  /** The training network to build (once). */
  source: TrainNetSource;
  loss: Loss;
  /** All weights (TrainableNet.flatWeights order) to start from. */
  initial: Float32Array;
  /** Arrays in shared memory (sharedDataset.ts): not copied per worker. */
  data: Dataset;
  /** Float32Array[trainable parameters]: the weights of the pass, written by the main thread before each request. */
  weights: SharedArrayBuffer;
  /** Int32Array[batch size]: the minibatch's sample indices, written by the main thread before each request. */
  indices: SharedArrayBuffer;
}

/** One pass: the first `size` indices are the minibatch, in chunks of `chunk`; this worker computes chunks c % count === index. */
export type ToStepWorker =
  | { type: 'request'; id: number; size: number; chunk: number; seeds: number[]; withHits: boolean }
  | { type: 'close' };

export type FromStepWorker =
  | { type: 'ready'; dimension: number; weightCount: number }
  | { type: 'chunk'; id: number; c: number; value: number; hits: number | null; grad: Float32Array }
  | { type: 'error'; id: number; error: SerializedError };
