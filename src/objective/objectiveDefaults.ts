import { asNetwork, type NetworkLike } from '../formats/layers/layersNetwork.ts';
export { largestActivation } from '../formats/layers/layersNetwork.ts';

/** The largest chunk 'auto' picks: large enough to amortise per-op dispatch, small enough for HVP memory. */
export const DEFAULT_BATCH_SIZE = 1000;

/** --batch-size: samples per chunk, or 'auto' (chosen from the model, see chunkSizeFor). */
export type BatchSize = number | 'auto';
export const AUTO_BATCH_SIZE = 'auto';

/**
 * The activations of one chunk should stay in cache-sized memory: measured on the built-in
 * CNN (wasm, 2 cores), chunks of 250-500 samples (5-11 MB for its largest activation)
 * were 5% faster than 1000 on one thread and scaled 1.85x on two worker threads instead of
 * 1.62x (memory bandwidth is shared); the MLP's chunk of 1000 is 3 MB.
 */
const AUTO_CHUNK_BYTES = 8 * 2 ** 20;
const MIN_AUTO_CHUNK = 50;

/** The chunk 'auto' picks for `model`: the largest activation of a chunk about 8 MB, in steps of 50, 50 to 1000. */
export function chunkSizeFor(model: NetworkLike): number {
  const fit = Math.floor(AUTO_CHUNK_BYTES / (4 * asNetwork(model).largestActivation));
  return Math.min(DEFAULT_BATCH_SIZE, Math.max(MIN_AUTO_CHUNK, Math.floor(fit / MIN_AUTO_CHUNK) * MIN_AUTO_CHUNK));
}

/** A chunk size in samples: the number given, or chunkSizeFor(model) for 'auto'. */
export function resolveBatchSize(batchSize: BatchSize, model: NetworkLike): number {
  return batchSize === AUTO_BATCH_SIZE ? chunkSizeFor(model) : batchSize;
}
