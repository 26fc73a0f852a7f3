/**
 * BatchNorm running statistics of an ONNX graph recomputed for given parameters: the
 * definition of recomputeBatchNorm.ts (layers models) carried over to the graph.
 *
 * For each BatchNormalization node whose running mean and variance are initializers
 * (the model's state), they are set to the exact mean and the exact population (biased,
 * divide-by-N) variance of the node's input X over all samples of the data and all
 * positions (every axis but the channel axis 1). One pass over the data in batches runs
 * the graph in training mode (every BN node normalises by its batch statistics, as
 * PyTorch's bn_update does with momentum=None), so a node's input is computed with the
 * nodes before it using batch statistics. Each batch's per-channel mean and unbiased
 * variance come from the forward pass's onBatchStats (float32 on the engine); they are
 * merged across batches in float64, in batch order (Chan et al.'s pairwise merge of means
 * and sums of squared deviations; onnxBatchNormPass.ts, BatchNormPass.ts), here or with the
 * batches computed on worker threads: the same statistics bit for bit. Dropout is the
 * identity.
 *
 * Stored: the population variance, like the layers path: ONNX's BatchNormalization at
 * inference computes (x - mean) / sqrt(var + eps) with the stored var as is, so the
 * population variance is what normalises the data exactly. PyTorch stores the unbiased
 * variance (N / (N - 1) times ours, N = samples x positions; negligible for large N).
 */
import type { Dataset } from '../io/dataset.ts';
import type { OnnxModel } from '../formats/onnx/OnnxModel.ts';
import { batchNormMoments, type BatchMomentsRunner } from './BatchNormPass.ts';
import { onnxBatchNormPass, onnxPassWeights } from './onnxBatchNormPass.ts';
import { checkBatchNormPass } from './recomputeBatchNorm.ts';

export interface OnnxBatchNormStats {
  /** The running-mean initializer's name (identifies the node). */
  layer: string;
  /** The running-variance initializer's name. */
  varName: string;
  /** Per channel, float64. */
  mean: Float64Array;
  /** Population variance per channel, float64. */
  variance: Float64Array;
  /** Values per channel that were averaged (samples x positions). */
  count: number;
}

/**
 * The state (running statistics, `m.state` order) for `params` recomputed on `data` (see
 * the module comment). State entries no BatchNormalization node of the pass reports keep
 * their values from `state`. Returns the new state and the statistics in float64. With
 * `workers` (training/BatchNormWorkers.ts, made for this graph and `data`) the batches are
 * computed on worker threads; the result is the same bit for bit.
 */
export function recomputeOnnxBatchNorm(
  m: OnnxModel,
  params: readonly Float32Array[],
  state: readonly Float32Array[],
  data: Dataset,
  opts: { batchSize: number; workers?: BatchMomentsRunner | null | undefined },
): { state: Float32Array[]; stats: OnnxBatchNormStats[] } {
  const batchSize = opts.batchSize;
  checkBatchNormPass(data, batchSize);
  const out = state.map((s) => Float32Array.from(s));
  if (m.state.length === 0) return { state: out, stats: [] };
  const stateIndex = new Map(m.state.map((s, i) => [s.name, i]));
  const moments = batchNormMoments(data, batchSize, onnxPassWeights(params, state), () => onnxBatchNormPass(m), opts.workers);
  const stats: OnnxBatchNormStats[] = [];
  for (const { layer, varName, moments: cm } of moments) {
    const s = { layer, varName: varName!, mean: cm.mean.slice(), variance: cm.variance(), count: cm.count };
    out[stateIndex.get(layer)!] = Float32Array.from(s.mean);
    out[stateIndex.get(varName!)!] = Float32Array.from(s.variance);
    stats.push(s);
  }
  return { state: out, stats };
}
