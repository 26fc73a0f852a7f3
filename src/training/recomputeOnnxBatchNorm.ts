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
 * merged across batches in float64 (Chan et al.'s pairwise merge of means and sums of
 * squared deviations). Dropout is the identity.
 *
 * Stored: the population variance, like the layers path: ONNX's BatchNormalization at
 * inference computes (x - mean) / sqrt(var + eps) with the stored var as is, so the
 * population variance is what normalises the data exactly. PyTorch stores the unbiased
 * variance (N / (N - 1) times ours, N = samples x positions; negligible for large N).
 */
import { tf, type Tensor } from '../engine/tf.ts';
import { InputError, UsageError } from '../errors.ts';
import type { Dataset } from '../io/dataset.ts';
import type { OnnxModel } from '../formats/onnx/OnnxModel.ts';
import { ChannelMoments } from './recomputeBatchNorm.ts';

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
 * their values from `state`. Returns the new state and the statistics in float64.
 */
export function recomputeOnnxBatchNorm(
  m: OnnxModel,
  params: readonly Float32Array[],
  state: readonly Float32Array[],
  data: Dataset,
  opts: { batchSize: number },
): { state: Float32Array[]; stats: OnnxBatchNormStats[] } {
  const batchSize = opts.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`batchnorm: --batch-size must be an integer >= 1, got ${batchSize}`);
  if (data.n === 0) throw new InputError(`batchnorm: ${data.spec} is empty`);
  const out = state.map((s) => Float32Array.from(s));
  if (m.state.length === 0) return { state: out, stats: [] };
  const stateIndex = new Map(m.state.map((s, i) => [s.name, i]));
  const moments = new Map<string, { varName: string; moments: ChannelMoments }>();
  const pT = m.params.map((p, i) => tf.tensor(params[i]!, p.shape, 'float32'));
  const sT = m.state.map((p, i) => tf.tensor(state[i]!, p.shape, 'float32'));
  const per = data.sampleShape.reduce((a, b) => a * b, 1);
  try {
    for (let start = 0; start < data.n; start += batchSize) {
      const size = Math.min(batchSize, data.n - start);
      const reports: { meanName: string; varName: string; count: number }[] = [];
      const tensors = tf.tidy(() => {
        const kept: Tensor[] = [];
        const x = tf.tensor(data.x.subarray(start * per, (start + size) * per), [size, ...data.sampleShape], 'float32');
        m.forward(x, pT, sT, {
          training: true,
          skipFinal: false,
          onBatchStats: (meanName, varName, mean, variance, info) => {
            if (!stateIndex.has(meanName) || !stateIndex.has(varName)) return;
            if (reports.some((r) => r.meanName === meanName || r.varName === varName)) {
              throw new InputError(`batchnorm: the running statistics '${meanName}' / '${varName}' of ${m.file} are used by more than one BatchNormalization run; their statistics are ambiguous`);
            }
            reports.push({ meanName, varName, count: info.count });
            kept.push(mean, variance);
          },
        });
        return kept;
      });
      try {
        reports.forEach((r, k) => {
          const mean = tensors[2 * k]!.dataSync();
          const unbiased = tensors[2 * k + 1]!.dataSync();
          let entry = moments.get(r.meanName);
          if (!entry) {
            entry = { varName: r.varName, moments: new ChannelMoments(mean.length) };
            moments.set(r.meanName, entry);
          }
          const m2 = Float64Array.from(unbiased, (v) => v * (r.count - 1));
          entry.moments.merge(mean, m2, r.count);
        });
      } finally {
        tf.dispose(tensors);
      }
    }
  } finally {
    tf.dispose([...pT, ...sT]);
  }
  const stats: OnnxBatchNormStats[] = [];
  for (const [layer, { varName, moments: cm }] of moments) {
    const s = { layer, varName, mean: cm.mean.slice(), variance: cm.variance(), count: cm.count };
    out[stateIndex.get(layer)!] = Float32Array.from(s.mean);
    out[stateIndex.get(varName)!] = Float32Array.from(s.variance);
    stats.push(s);
  }
  return { state: out, stats };
}
