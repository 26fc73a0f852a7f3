/** What the pool and its worker threads say to each other; errors cross as plain data. */
import type { Backend } from '../engine/backendNames.ts';
import type { Dataset } from '../io/dataset.ts';
import { EngineError, InputError, NumericError, SharpnessError, UsageError } from '../errors.ts';

export interface WorkerInit {
  /** URL of the JobModule that opens the job. */
  module: string;
  description: unknown;
  engine: { backend: Backend; threads?: number };
  /** Datasets in shared memory, by poolDatasets' key (default: those the main thread offers). */
  datasets?: Record<string, Dataset>;
}

export type ToWorker = { type: 'item'; i: number } | { type: 'close' };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string | undefined;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'record'; i: number; record: unknown }
  | { type: 'error'; error: SerializedError; i?: number };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

const TYPED: Record<string, new (message: string) => SharpnessError> = {
  UsageError,
  InputError,
  EngineError,
  NumericError,
};

/** The same kind of error in this thread (so the exit code is the same), its stack kept for --debug. */
export function deserializeError(s: SerializedError): Error {
  const Typed = TYPED[s.name];
  const e = Typed ? new Typed(s.message) : new Error(s.message);
  if (!Typed) e.name = s.name;
  if (s.stack) e.stack = `${s.stack}\n    (in a worker thread)`;
  return e;
}
