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
import { tf, tfl, type Tensor } from '../engine/tf.ts';
import type { Dataset } from '../io/dataset.ts';
import { InputError, UsageError } from '../errors.ts';
import { topologyOf } from './trainingModel.ts';

export interface BatchNormLayerStats {
  layer: string;
  /** Per channel, float64. */
  mean: Float64Array;
  /** Population variance per channel, float64. */
  variance: Float64Array;
  /** Values per channel that were averaged (samples x positions). */
  count: number;
}

const NOISE_LAYERS = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianDropout', 'AlphaDropout', 'GaussianNoise']);

function isModelLayer(l: tfl.layers.Layer): boolean {
  return (l as unknown as { layers?: unknown }).layers !== undefined;
}

/** The model's BatchNormalization layers (top level); refuses nested models that hold some. */
export function batchNormLayers(model: tfl.LayersModel): tfl.layers.Layer[] {
  for (const l of model.layers) {
    if (isModelLayer(l) && batchNormLayers(l as unknown as tfl.LayersModel).length > 0) {
      throw new InputError(`batchnorm: layer ${l.name} is a nested model with BatchNormalization layers; flatten the model to recompute its statistics`);
    }
  }
  return model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
}

/** Per-channel running mean and sum of squared deviations (Chan et al.'s merge). */
export class ChannelMoments {
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  count = 0;
  constructor(readonly channels: number) {
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
  }

  /** Adds a batch given as row-major [rows, channels] values. */
  add(values: ArrayLike<number>): void {
    const c = this.channels;
    const rows = values.length / c;
    if (rows === 0) return;
    const bm = new Float64Array(c);
    for (let r = 0, k = 0; r < rows; r++) for (let j = 0; j < c; j++, k++) bm[j] += values[k]!;
    for (let j = 0; j < c; j++) bm[j] = bm[j]! / rows;
    const bm2 = new Float64Array(c);
    for (let r = 0, k = 0; r < rows; r++) {
      for (let j = 0; j < c; j++, k++) {
        const d = values[k]! - bm[j]!;
        bm2[j] += d * d;
      }
    }
    this.merge(bm, bm2, rows);
  }

  /** Adds a batch given by its per-channel means, sums of squared deviations and row count. */
  merge(bm: ArrayLike<number>, bm2: ArrayLike<number>, rows: number): void {
    if (rows === 0) return;
    const c = this.channels;
    const n = this.count;
    const total = n + rows;
    for (let j = 0; j < c; j++) {
      const delta = bm[j]! - this.mean[j]!;
      this.mean[j] = this.mean[j]! + (delta * rows) / total;
      this.m2[j] = this.m2[j]! + bm2[j]! + (delta * delta * n * rows) / total;
    }
    this.count = total;
  }

  variance(): Float64Array {
    return this.m2.map((v) => v / this.count);
  }
}

function channelsLast(t: Tensor, axis: number): Tensor {
  const rank = t.rank;
  const a = axis < 0 ? axis + rank : axis;
  if (a === rank - 1) return t;
  const perm = [...Array(rank).keys()].filter((i) => i !== a).concat([a]);
  return tf.transpose(t, perm);
}

/**
 * Sets the moving_mean and moving_variance of every BatchNormalization layer of `model`
 * to the statistics of its input over `data` (see module comment), in place. Returns the
 * statistics in float64; an empty list when the model has no BatchNorm layer.
 */
export async function recomputeBatchNormInPlace(
  model: tfl.LayersModel,
  data: Dataset,
  opts: { batchSize: number },
): Promise<BatchNormLayerStats[]> {
  const bns = batchNormLayers(model);
  if (bns.length === 0) return [];
  const batchSize = opts.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new UsageError(`batchnorm: --batch-size must be an integer >= 1, got ${batchSize}`);
  }
  if (data.n === 0) throw new InputError(`batchnorm: ${data.spec} is empty`);
  const json = topologyOf(model);
  for (const layer of json.config.layers) {
    if (NOISE_LAYERS.has(layer.class_name)) {
      if ('rate' in layer.config) layer.config['rate'] = 0;
      if ('stddev' in layer.config) layer.config['stddev'] = 0;
    }
  }
  const copy = await tfl.models.modelFromJSON({ modelTopology: json } as unknown as tf.io.ModelJSON);
  let probe: tfl.LayersModel | null = null;
  try {
    copy.setWeights(model.getWeights());
    const copyBns = bns.map((l) => copy.getLayer(l.name));
    const inputs = copyBns.map((l) => {
      try {
        return l.input as tfl.SymbolicTensor;
      } catch (e) {
        throw new InputError(`batchnorm: layer ${l.name} is applied more than once; its statistics are ambiguous (${(e as Error).message.split('\n')[0]})`);
      }
    });
    probe = tfl.model({ inputs: copy.inputs, outputs: inputs });
    const axes = copyBns.map((l) => {
      const axis = (l.getConfig() as { axis?: number | number[] }).axis ?? -1;
      if (Array.isArray(axis)) {
        if (axis.length !== 1) throw new InputError(`batchnorm: layer ${l.name} normalises over several axes; not supported`);
        return axis[0]!;
      }
      return axis;
    });
    const channels = copyBns.map((l, i) => {
      const shape = (l.input as tfl.SymbolicTensor).shape;
      const a = axes[i]! < 0 ? axes[i]! + shape.length : axes[i]!;
      return shape[a] as number;
    });
    const moments = channels.map((c) => new ChannelMoments(c));
    const per = data.sampleShape.reduce((a, b) => a * b, 1);
    for (let start = 0; start < data.n; start += batchSize) {
      const size = Math.min(batchSize, data.n - start);
      const outs = tf.tidy(() => {
        const x = tf.tensor(data.x.subarray(start * per, (start + size) * per), [size, ...data.sampleShape], 'float32');
        const y = probe!.apply(x, { training: true }) as Tensor | Tensor[];
        const list = Array.isArray(y) ? y : [y];
        return list.map((t, i) => tf.reshape(channelsLast(t, axes[i]!), [-1, channels[i]!]));
      });
      outs.forEach((t, i) => moments[i]!.add(t.dataSync()));
      tf.dispose(outs);
    }
    const stats: BatchNormLayerStats[] = bns.map((l, i) => ({
      layer: l.name,
      mean: moments[i]!.mean.slice(),
      variance: moments[i]!.variance(),
      count: moments[i]!.count,
    }));
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
  } finally {
    // The probe shares the copy's layers; disposing the copy releases their weights.
    copy.dispose();
  }
}
