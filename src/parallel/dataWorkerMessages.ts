/** What a data-parallel objective (DataParallelObjective.ts) and its worker threads say to each other. */
import type { Backend } from '../engine/backendNames.ts';
import type { Dataset } from '../io/dataset.ts';
import type { ModelObjectiveOptions } from '../objective/modelObjective.ts';
import type { SerializedError } from './workerMessages.ts';
import type { SyncWorkerInit } from './SyncWorkers.ts';

/** The objective's options a worker opens its copy with (JSON-safe; no l2: the main thread adds it). */
export type WorkerObjectiveOptions = Pick<ModelObjectiveOptions, 'loss' | 'bn' | 'batchSize' | 'params' | 'cacheBytes'>;

/** A worker's workerData: SyncWorkerInit's fields (index, count, port, signal) and these. */
export interface DataWorkerInit extends SyncWorkerInit {
  engine: { backend: Backend; threads?: number };
  /** The checkpoint path: each worker loads its own copy of the network. */
  checkpoint: string;
  objective: WorkerObjectiveOptions;
  /** Arrays in shared memory (sharedDataset.ts): not copied per worker. */
  data: Dataset;
  /** Float32Array[2 * dimension]: w then v, written by the main thread before each request. */
  inputs: SharedArrayBuffer;
}

export const DataOp = {
  loss: 'loss',
  lossAndCorrect: 'lossAndCorrect',
  grad: 'grad',
  hvp: 'hvp',
} as const;
export type DataOp = (typeof DataOp)[keyof typeof DataOp];

export type ToDataWorker = { type: 'request'; id: number; op: DataOp; base: boolean } | { type: 'close' };

export type FromDataWorker =
  | { type: 'ready'; dimension: number; chunks: number }
  | { type: 'chunk'; id: number; c: number; value: number; correct: number | null; data: Float32Array | null }
  | { type: 'error'; id: number; error: SerializedError };
