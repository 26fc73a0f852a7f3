/**
 * Items computed on worker threads, each with its own engine and its own copy of the job
 * (opened from the same description, so it computes the same values as the main thread).
 * The datasets the main thread has loaded for the job go to every worker in shared memory
 * (poolDatasets.ts), so the workers do not load copies of their own.
 * Items are handed out one at a time to whichever worker is free, so uneven items (an
 * eigen-solve next to single probes) balance themselves; results come back as they finish.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors.ts';
import type { EngineInfo } from '../engine/backend.ts';
import { COUNT_LIMITS } from '../limits.ts';
import { offeredDatasets } from './poolDatasets.ts';
import { deserializeError, type FromWorker, type ToWorker, type WorkerInit } from './workerMessages.ts';

const ENTRY = new URL('./workerEntry.js', import.meta.url);

/** The default of --workers: the SHARPNESS_WORKERS environment variable, else the number of cores. */
export function defaultWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const v = env['SHARPNESS_WORKERS'];
  if (v !== undefined && v !== '') return parseWorkers(v, 'SHARPNESS_WORKERS');
  return Math.max(1, os.availableParallelism());
}

/** Checks a --workers value (an integer >= 1). */
export function parseWorkers(value: unknown, name = '--workers'): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > COUNT_LIMITS.workers) {
    throw new UsageError(`${name} must be an integer in 1..${COUNT_LIMITS.workers} (worker threads), got ${String(value)}`);
  }
  return n;
}

/**
 * --workers, or its default: the cores for wasm and cpu; 1 for the tensorflow backends,
 * which use every core (or the GPU) from one thread.
 */
export function resolveWorkers(value: unknown, engine: Pick<EngineInfo, 'backend'>): number {
  if (value !== undefined) return parseWorkers(value);
  return engine.backend === 'tensorflow' ? 1 : defaultWorkers();
}

export interface PoolOptions extends WorkerInit {
  workers: number;
}

/**
 * Computes `indices` on min(workers, indices.length) worker threads and hands each record
 * to `onRecord` (called one at a time, in the order they finish). The first error of any
 * worker stops them all and is rethrown here with its type.
 */
export async function computeInWorkers<R>(
  opts: PoolOptions,
  indices: readonly number[],
  onRecord: (i: number, record: R) => void | Promise<void>,
): Promise<void> {
  const queue = [...indices];
  const count = Math.min(opts.workers, queue.length);
  if (count === 0) return;
  // The datasets this thread has loaded for the job, in shared memory: sent, not copied.
  const init: WorkerInit = { module: opts.module, description: opts.description, engine: opts.engine, datasets: opts.datasets ?? offeredDatasets() };
  const workers: Worker[] = [];
  let failed: Error | null = null;
  let pending = queue.length;
  // Records are handed on one at a time: the callback may write a progress file.
  let chain: Promise<void> = Promise.resolve();

  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => {
        if (failed) return;
        failed = e;
        reject(e);
      };
      const next = (w: Worker) => {
        const i = queue.shift();
        if (i === undefined) return;
        w.postMessage({ type: 'item', i } satisfies ToWorker);
      };
      for (let k = 0; k < count; k++) {
        const w = new Worker(ENTRY, { workerData: init, stdout: false, stderr: false });
        workers.push(w);
        w.on('message', (m: FromWorker) => {
          if (failed) return;
          if (m.type === 'ready') next(w);
          else if (m.type === 'error') fail(deserializeError(m.error));
          else {
            next(w);
            chain = chain
              .then(() => onRecord(m.i, m.record as R))
              .then(() => {
                if (--pending === 0) resolve();
              }, fail);
          }
        });
        w.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
        w.on('exit', (code) => {
          if (pending > 0) fail(new Error(`a worker thread exited (code ${code}) before its items were done`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
