/** What the BatchNorm recompute's worker threads (BatchNormWorkers.ts) and the main thread say to each other. */
import type { Backend } from '../engine/backendNames.ts';
import type { Dataset } from '../io/dataset.ts';
import type { ModelJson } from '../formats/layers/analysisModel.ts';
import type { NamedMoments } from './BatchNormPass.ts';
import type { SerializedError } from '../parallel/workerMessages.ts';
import type { SyncWorkerInit } from '../parallel/SyncWorkers.ts';

/**
 * The network a worker builds its pass from: a layers model's topology (its weights come
 * with each request), or an ONNX file (its parameters and state come with each request).
 */
export type BatchNormSource = { format: 'layers'; topology: ModelJson } | { format: 'onnx'; file: string };

/** Worker `index` of `count` computes the batches b with b % count === index. */
export interface BatchNormWorkerInit extends SyncWorkerInit {
  engine: { backend: Backend; threads?: number };
  source: BatchNormSource;
  /** Arrays in shared memory (sharedDataset.ts): not copied per worker. */
  data: Dataset;
  /** Float32Array[weightCount]: the weights of a request, written by the main thread before it. */
  weights: SharedArrayBuffer;
  /** The main thread's weight count: the worker's network must take as many. */
  weightCount: number;
}

export type ToBatchNormWorker = { type: 'request'; id: number; batchSize: number } | { type: 'close' };

export type FromBatchNormWorker =
  | { type: 'ready' }
  /** c: the batch's number. */
  | { type: 'chunk'; id: number; c: number; moments: NamedMoments[] }
  | { type: 'error'; id: number; error: SerializedError };
