/**
 * A minibatch's gradient as a fixed sum of chunk gradients (--grad-chunk G): a minibatch of
 * B samples is split into consecutive chunks of at most G samples (sizes n_0, n_1, ...), and
 *
 *   loss = sum_c (n_c / B) loss_c,   grad = sum_c (n_c / B) grad_c,
 *
 * loss_c the mean loss over chunk c. The gradient is added IN CHUNK ORDER in float32 by one
 * rule (addScaledInPlace, as the model objective adds its chunks), so it is the same bits
 * whoever computes the chunks: this thread (localChunks) or worker threads (stepWorkers.ts),
 * any number of them. Chunk c's dropout is seeded by seeds[c], drawn by the train loop in
 * chunk order. The loss value is added in float64, in chunk order.
 */
import { addScaledInPlace } from '../objective/modelObjective.ts';
import type { ChunkGradient, MinibatchLoss } from './MinibatchLoss.ts';

/** The sizes of the consecutive chunks of at most `chunk` samples of a minibatch of `size`. */
export function chunkSizes(size: number, chunk: number): number[] {
  const out: number[] = [];
  for (let start = 0; start < size; start += chunk) out.push(Math.min(chunk, size - start));
  return out;
}

/** One pass over a minibatch's chunks at the training network's current trainable weights. */
export interface ChunkPass {
  /** The minibatch's sample indices (all of it: its length is B). */
  indices: Int32Array;
  /** Samples per chunk (the last may have fewer). */
  chunk: number;
  /** Dropout seed of each chunk, in chunk order. */
  seeds: readonly number[];
  /** Also count the correct samples (the first pass of a step). */
  withHits: boolean;
}

/** Computes the chunks of a pass, somewhere. */
export interface StepChunkRunner {
  /** Worker threads the chunks run on (1: this thread). */
  readonly workers: number;
  /** Computes every chunk of `pass` at the training network's current trainable weights, handing each result to `each` in chunk order. */
  run(pass: ChunkPass, each: (c: number, r: ChunkGradient) => void): void;
  /** Stops any threads (the runner is not used after). */
  close(): void;
}

/** The chunks computed in this thread, in chunk order. */
export function localChunks(mb: MinibatchLoss): StepChunkRunner {
  return {
    workers: 1,
    run(pass, each) {
      const sizes = chunkSizes(pass.indices.length, pass.chunk);
      sizes.forEach((n, c) => each(c, mb.chunkGradient(pass.indices, c * pass.chunk, n, pass.seeds[c]!, pass.withHits)));
    },
    close() {},
  };
}

/** The weighted sum of a pass's chunks (see module comment); `dimension` is the trainable parameter count. */
export function chunkedGradient(runner: StepChunkRunner, pass: ChunkPass, dimension: number): ChunkGradient {
  const B = pass.indices.length;
  const sizes = chunkSizes(B, pass.chunk);
  if (pass.seeds.length !== sizes.length) throw new Error(`chunkedGradient: ${sizes.length} chunks but ${pass.seeds.length} seeds`);
  const grad = new Float32Array(dimension);
  let value = 0;
  let hits: number | null = pass.withHits ? 0 : null;
  let next = 0;
  runner.run(pass, (c, r) => {
    if (c !== next++) throw new Error(`chunkedGradient: chunk ${c} came out of order`);
    if (r.grad.length !== dimension) throw new Error(`chunkedGradient: chunk ${c} has ${r.grad.length} gradient values, expected ${dimension}`);
    const weight = sizes[c]! / B;
    value += weight * r.value;
    addScaledInPlace(grad, r.grad, weight, c === 0);
    hits = hits === null || r.hits === null ? null : hits + r.hits;
  });
  if (next !== sizes.length) throw new Error(`chunkedGradient: ${next} of ${sizes.length} chunks came back`);
  return { value, hits, grad };
}
