/**
 * The datasets a worker pool's threads share with the main thread. The main thread loads a
 * dataset once, puts it in shared memory and offers it (`loadDatasetOnce` with share); the
 * pool (WorkerPool.ts) hands every offered dataset to each worker at start-up (SharedArrayBuffers
 * cross threads without a copy), and a worker's `loadDatasetOnce` for the same spec, seed
 * and directory returns the main thread's dataset instead of loading its own copy. So a pool
 * of N workers holds one copy of the data, not N + 1, and every thread reads the same values
 * (the results stay bit for bit those of one thread).
 */
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { loadDataset, type Dataset, type LoadDatasetOptions } from '../io/dataset.ts';
import { isShared, shareDataset } from './sharedDataset.ts';

/** What names a loaded dataset: its spec, the seed of its subset shuffles, the directory of its relative paths. */
export interface DatasetKey {
  spec: string;
  seed: number;
  cwd?: string | undefined;
}

function keyOf(k: DatasetKey): string {
  return JSON.stringify([k.spec, k.seed, path.resolve(k.cwd ?? '.')]);
}

/** Main thread: datasets offered to the pool's workers, with how many openers hold each. */
const offered = new Map<string, { data: Dataset; holders: number }>();
/** Worker thread: the datasets the pool handed over. */
let received = new Map<string, Dataset>();
/** Datasets this thread loaded itself (tests check a worker loads none). */
let loads = 0;

/** A dataset and what to call when its opener no longer needs it. */
export interface HeldDataset {
  data: Dataset;
  release(): void;
  /** A pool worker got the main thread's shared copy (it should not copy it into its engine whole). */
  handed?: boolean;
}

/**
 * The dataset `key` names: in a worker thread the main thread's copy when the pool handed
 * one over, else loaded here. With `share` (the main thread of a run with worker threads)
 * a loaded dataset is put in shared memory and offered to the pool's workers until released.
 */
export async function loadDatasetOnce(key: DatasetKey, share: boolean, load: (spec: string, o: LoadDatasetOptions) => Promise<Dataset> = loadDataset): Promise<HeldDataset> {
  const k = keyOf(key);
  const handed = received.get(k);
  if (handed) return { data: handed, release: () => undefined, handed: true };
  const held = offered.get(k);
  if (share && held) {
    held.holders++;
    return { data: held.data, release: releaser(k, held) };
  }
  loads++;
  const loaded = await load(key.spec, { seed: key.seed, ...(key.cwd === undefined ? {} : { cwd: key.cwd }) });
  if (!share) return { data: loaded, release: () => undefined };
  const entry = { data: shareDataset(loaded), holders: 1 };
  offered.set(k, entry);
  return { data: entry.data, release: releaser(k, entry) };
}

function releaser(k: string, entry: { holders: number }): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--entry.holders === 0 && offered.get(k) === entry) offered.delete(k);
  };
}

/** Pool start-up: the datasets to hand to each worker (all in shared memory: sent, not copied). */
export function offeredDatasets(): Record<string, Dataset> {
  const out: Record<string, Dataset> = {};
  for (const [k, e] of offered) if (isShared(e.data)) out[k] = e.data;
  return out;
}

/** Worker start-up: the datasets the pool handed over, found by `loadDatasetOnce` from now on. */
export function receiveDatasets(datasets: Record<string, Dataset> | undefined): void {
  if (isMainThread) throw new Error('receiveDatasets: only a worker thread receives datasets');
  received = new Map(Object.entries(datasets ?? {}));
}

/** How many datasets this thread has loaded itself (a pool worker: 0 when the main thread's were handed over). */
export function datasetLoads(): number {
  return loads;
}
