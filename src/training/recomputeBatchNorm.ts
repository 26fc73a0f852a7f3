/**
 * Recomputes BatchNorm running statistics for a set of weights (SWA's w_swa, or an
 * average of checkpoints), with one pass over the data, as SWA's `bn_update` does.
 *
 * Definition. For each BatchNormalization layer, moving_mean and moving_variance are set
 * to the exact mean and the exact population (biased, divide-by-N) variance of the
 * layer's input over all samples of the data and all positions (every axis but the BN
 * axis), accumulated in float64 (Chan et al.'s pairwise merge of per-batch means and sums
 * of squared deviations). The pass runs the network in training mode, as PyTorch's
 * bn_update does with momentum=None: a BN layer's input is computed with the layers
 * before it normalising by their batch statistics (so in a network with several BN layers
 * the later layers' statistics depend, slightly, on `batchSize`; with one BN layer, or for
 * the first, they do not). Dropout and noise layers are the identity during the pass.
 *
 * Biased vs unbiased: tfjs-layers uses moving_variance as is at inference,
 * (x - mean) / sqrt(var + eps), so the population variance is what normalises exactly;
 * PyTorch stores the unbiased variance (N / (N - 1) times ours; negligible for large N).
 */
import { tf, type tfl } from '../engine/tf.ts';
import type { Dataset } from '../io/dataset.ts';
import { InputError } from '../errors.ts';
import { integerInRange } from '../limits.ts';
import { topologyOf } from './trainingModel.ts';
import { batchCount, batchNormMoments, type BatchMomentsRunner, type BatchNormPass } from './BatchNormPass.ts';
import { batchNormLayers, openLayersBatchNormPass } from './layersBatchNormPass.ts';
import { flatWeights } from './modelWeights.ts';

export { ChannelMoments, batchMoments } from './ChannelMoments.ts';
export { batchNormLayers } from './layersBatchNormPass.ts';

export interface BatchNormLayerStats {
  layer: string;
  /** Per channel, float64. */
  mean: Float64Array;
  /** Population variance per channel, float64. */
  variance: Float64Array;
  /** Values per channel that were averaged (samples x positions). */
  count: number;
}

/** Checks the recompute's batch size and data (the same messages for every format). */
export function checkBatchNormPass(data: Dataset, batchSize: number): void {
  integerInRange('batchnorm', 'batch-size', batchSize, 1);
  if (data.n === 0) throw new InputError(`batchnorm: ${data.spec} is empty`);
}

/**
 * Sets the moving_mean and moving_variance of every BatchNormalization layer of `model`
 * to the statistics of its input over `data` (see module comment), in place. Returns the
 * statistics in float64; an empty list when the model has no BatchNorm layer. With
 * `workers` (training/BatchNormWorkers.ts, made for this model's topology and `data`) the
 * batches are computed on worker threads; the statistics are the same bit for bit.
 */
export async function recomputeBatchNormInPlace(
  model: tfl.LayersModel,
  data: Dataset,
  opts: { batchSize: number; workers?: BatchMomentsRunner | null | undefined },
): Promise<BatchNormLayerStats[]> {
  const bns = batchNormLayers(model);
  if (bns.length === 0) return [];
  const batchSize = opts.batchSize;
  checkBatchNormPass(data, batchSize);
  const runner = opts.workers?.accepts(data, batchCount(data.n, batchSize)) ? opts.workers : null;
  // The pass here is opened (asynchronously) only when the batches are not computed on workers.
  const here: BatchNormPass | null = runner ? null : await openLayersBatchNormPass(topologyOf(model));
  const moments = batchNormMoments(data, batchSize, flatWeights(model), () => here!, runner);
  const byName = new Map(moments.map((m) => [m.layer, m.moments]));
  const stats: BatchNormLayerStats[] = bns.map((l) => {
    const m = byName.get(l.name);
    if (!m) throw new Error(`batchnorm: no statistics came for layer ${l.name}`);
    return { layer: l.name, mean: m.mean.slice(), variance: m.variance(), count: m.count };
  });
  bns.forEach((l, i) => {
    const mm = l.weights.find((w) => w.originalName.endsWith('moving_mean'));
    const mv = l.weights.find((w) => w.originalName.endsWith('moving_variance'));
    if (!mm || !mv) throw new InputError(`batchnorm: layer ${l.name} has no moving_mean / moving_variance weights`);
    const tm = tf.tensor(Float32Array.from(stats[i]!.mean), mm.shape as number[], 'float32');
    const tv = tf.tensor(Float32Array.from(stats[i]!.variance), mv.shape as number[], 'float32');
    mm.write(tm);
    mv.write(tv);
    tf.dispose([tm, tv]);
  });
  return stats;
}
