/**
 * The BatchNorm recompute's pass over the data, once for every format and every number of
 * threads: a BatchNormPass computes one batch's moments of each BatchNorm layer's input
 * (layersBatchNormPass.ts, onnxBatchNormPass.ts); batchNormMoments runs it over the data
 * in batches of batchSize, here or on worker threads (training/BatchNormWorkers.ts, batch
 * b on worker b % W), and merges the batches IN BATCH ORDER (ChannelMoments.merge). The
 * batching depends on the data and batchSize only, so the statistics are the same bit for
 * bit whatever the number of workers.
 */
import type { Dataset } from '../io/dataset.ts';
import { ChannelMoments, type BatchMoments } from './ChannelMoments.ts';

/** One BatchNorm layer's (ONNX: node's) moments on one batch. */
export interface NamedMoments extends BatchMoments {
  /** The layer's name (ONNX: its running-mean initializer's). */
  layer: string;
  /** ONNX: the running-variance initializer's name. */
  varName?: string;
}

/** A network set up to report its BatchNorm layers' input moments, batch by batch. */
export interface BatchNormPass {
  /** How many values setWeights takes. */
  readonly weightCount: number;
  /** Sets every weight, trainable and not, in the format's fixed order (float32). */
  setWeights(flat: Float32Array): void;
  /** The moments of each BatchNorm layer's input on samples [start, start + size) of `data`, in training mode. */
  batch(data: Dataset, start: number, size: number): NamedMoments[];
  dispose(): void;
}

/** Computes batch moments somewhere else (worker threads); false when it declines and they are computed here. */
export interface BatchMomentsRunner {
  /** Whether the `batches` batches of `data` would run there. */
  accepts(data: Dataset, batches: number): boolean;
  /** Computes every batch at `weights` and hands each batch's moments to `onBatch` in batch order. */
  run(weights: Float32Array, batchSize: number, onBatch: (b: number, moments: NamedMoments[]) => void): void;
}

/** A layer's merged moments. */
export interface LayerMoments {
  layer: string;
  varName?: string;
  moments: ChannelMoments;
}

/** How many batches of `batchSize` samples `n` samples make (the last may be smaller). */
export function batchCount(n: number, batchSize: number): number {
  return Math.ceil(n / batchSize);
}

/** Batch b's samples: [start, start + size). */
export function batchRange(b: number, n: number, batchSize: number): { start: number; size: number } {
  const start = b * batchSize;
  return { start, size: Math.min(batchSize, n - start) };
}

/**
 * The merged moments of every BatchNorm layer over `data` at `weights`, in the order the
 * layers first report: on `runner`'s threads when it accepts the batches, else here with
 * the pass `local()` opens (and disposes).
 */
export function batchNormMoments(
  data: Dataset,
  batchSize: number,
  weights: Float32Array,
  local: () => BatchNormPass,
  runner?: BatchMomentsRunner | null,
): LayerMoments[] {
  const byLayer = new Map<string, LayerMoments>();
  let next = 0;
  const merge = (b: number, batch: readonly NamedMoments[]) => {
    if (b !== next) throw new Error(`batchnorm: batch ${b} came out of order (expected ${next})`);
    next++;
    for (const m of batch) {
      let e = byLayer.get(m.layer);
      if (!e) {
        e = { layer: m.layer, moments: new ChannelMoments(m.mean.length) };
        if (m.varName !== undefined) e.varName = m.varName;
        byLayer.set(m.layer, e);
      }
      e.moments.merge(m.mean, m.m2, m.rows);
    }
  };
  const batches = batchCount(data.n, batchSize);
  if (runner && runner.accepts(data, batches)) {
    runner.run(weights, batchSize, merge);
  } else {
    const pass = local();
    try {
      pass.setWeights(weights);
      for (let b = 0; b < batches; b++) {
        const { start, size } = batchRange(b, data.n, batchSize);
        merge(b, pass.batch(data, start, size));
      }
    } finally {
      pass.dispose();
    }
  }
  if (next !== batches) throw new Error(`batchnorm: ${next} of ${batches} batches were merged`);
  return [...byLayer.values()];
}
