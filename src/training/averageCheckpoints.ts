/**
 * Post-hoc SWA (`sharpness swa CKPT...`): the average of several checkpoints of one
 * architecture, with BatchNorm statistics recomputed on data (recomputeBatchNorm.ts).
 * Every weight is averaged in float64 (trainable and not; BatchNorm's moving statistics are
 * then replaced by the recomputed ones).
 */
import type { tfl } from '../engine/tf.ts';
import { InputError, UsageError } from '../errors.ts';
import type { Dataset } from '../io/dataset.ts';
import { firstArchitectureDifference, flatWeights, setFlatWeights, weightInfo } from './modelWeights.ts';
import { recomputeBatchNormInPlace, type BatchNormLayerStats } from './recomputeBatchNorm.ts';
import { RunningAverage } from './swaAverage.ts';
import type { BatchMomentsRunner } from './BatchNormPass.ts';

export interface LabelledModel {
  /** How messages name it (its path). */
  label: string;
  model: tfl.LayersModel;
}

function layerClasses(model: tfl.LayersModel): string[] {
  return model.layers.map((l) => l.getClassName());
}

/**
 * Throws InputError when the models' architectures differ: the same weight names and
 * shapes in the same order, and the same sequence of layer classes. The message names the
 * first difference.
 */
export function assertSameArchitecture(models: readonly LabelledModel[]): void {
  const first = models[0]!;
  const wa = weightInfo(first.model);
  const ca = layerClasses(first.model);
  for (const m of models.slice(1)) {
    const d = firstArchitectureDifference(wa, weightInfo(m.model), first.label, m.label);
    if (d) throw new InputError(`swa: the checkpoints have different architectures: ${d}; only checkpoints of one architecture can be averaged`);
    const cb = layerClasses(m.model);
    const i = ca.findIndex((c, k) => c !== cb[k]);
    if (i >= 0 || ca.length !== cb.length) {
      const k = i >= 0 ? i : Math.min(ca.length, cb.length);
      throw new InputError(
        `swa: the checkpoints have different architectures: layer #${k} is ${ca[k] ?? 'absent'} in ${first.label} but ${cb[k] ?? 'absent'} in ${m.label}; only checkpoints of one architecture can be averaged`,
      );
    }
  }
}

/** The float64 mean of the models' weights (all weights, `model.weights` order). */
export function averageWeights(models: readonly LabelledModel[]): Float64Array {
  if (models.length === 0) throw new UsageError('swa: give at least one checkpoint to average');
  assertSameArchitecture(models);
  const first = flatWeights(models[0]!.model);
  const avg = new RunningAverage(first.length);
  avg.update(first);
  for (const m of models.slice(1)) avg.update(flatWeights(m.model));
  return avg.mean();
}

/**
 * Writes the average of `models` into `target` (a model of the same architecture, e.g. the
 * first one) and recomputes its BatchNorm statistics on `data` (on opts.workers' threads when
 * given: the same statistics). Returns those statistics.
 */
export async function averageIntoInPlace(
  target: tfl.LayersModel,
  models: readonly LabelledModel[],
  data: Dataset,
  opts: { batchSize: number; workers?: BatchMomentsRunner | null | undefined },
): Promise<BatchNormLayerStats[]> {
  const mean = averageWeights(models);
  setFlatWeights(target, mean);
  return recomputeBatchNormInPlace(target, data, opts);
}
