/**
 * Loss and error of a model at given weights, on the training data and optionally on
 * evaluation data: what a landscape measures at each point.
 *
 * Two ways, chosen once per landscape from its options (never per point, so a point's
 * value does not depend on how it was reached):
 * - `objective`: one model objective per data set (createModelObjective); each point sets
 *   the trainable weights. Used whenever the non-trainable weights (BatchNorm running
 *   statistics) are the same at every point: rays and random planes, models without
 *   non-trainable weights, and `--bn train` (batch statistics).
 * - `model`: each point writes ALL weights (trainable and not) into a working copy of the
 *   model, recomputes the BatchNorm statistics there with `--bn recompute`, and evaluates
 *   a model objective built on it. Used for lines and planes through checkpoints with
 *   BatchNorm (their running statistics are interpolated like the weights) and for
 *   `--bn recompute`.
 */
import type { tfl } from '../engine/tf.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import type { Dataset } from '../io/dataset.ts';
import { UsageError } from '../errors.ts';
import { buildAnalysisModel } from '../formats/layers/analysisModel.ts';
import { asNetwork, type NetworkLike } from '../formats/layers/layersNetwork.ts';
import { createModelObjective } from '../objective/modelObjective.ts';
import type { Loss } from '../objective/losses.ts';
import { BnMode, type LossAndAccuracy, type Objective } from '../objective/Objective.ts';
import { LandscapeBn, type PointValues } from './landscapeTypes.ts';

/**
 * Sets the BatchNorm running statistics of `model` in place from `data` (one pass); the
 * training module's recomputeBatchNormInPlace has this signature. Injected, so that the
 * landscape does not depend on the training code.
 */
export type RecomputeBatchNorm = (model: tfl.LayersModel, data: Dataset, opts: { batchSize: number }) => Promise<unknown>;

export interface PointEvaluatorOptions {
  loss: Loss;
  bn: LandscapeBn;
  l2: number;
  batchSize: number;
  /** Whether the non-trainable weights differ between points (lines and planes through checkpoints). */
  nonTrainableVary: boolean;
  /** Needed with bn 'recompute' when the model has BatchNorm layers. */
  recomputeBatchNorm?: RecomputeBatchNorm;
}

export const EvaluatorMode = {
  objective: 'objective',
  model: 'model',
} as const;
export type EvaluatorMode = (typeof EvaluatorMode)[keyof typeof EvaluatorMode];

export interface PointEvaluator {
  readonly mode: EvaluatorMode;
  /** Whether `evaluate` reads its nonTrainable argument (mode 'model'). */
  readonly needsNonTrainable: boolean;
  /** Full passes over a data set per point: train, eval, BatchNorm recomputation. */
  readonly passesPerPoint: number;
  /**
   * The values at the point whose trainable weights are `trainable` (the objective's block
   * order: model.trainableWeights) and non-trainable ones `nonTrainable`
   * (model.nonTrainableWeights order). Arguments are not changed or kept.
   */
  evaluate(trainable: ParamVector, nonTrainable: ParamVector): Promise<PointValues>;
  dispose(): void;
}

export { hasBatchNorm } from '../formats/layers/layersNetwork.ts';

/** `x` when finite, else null (JSON has no NaN or Infinity). */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** 1 - accuracy, as (n - correct) / n when the count of correct samples is whole (no 0.09999...). */
export function errorOf(r: LossAndAccuracy, n: number): number | null {
  if (r.accuracy === null || !Number.isFinite(r.accuracy)) return null;
  const k = r.accuracy * n;
  const whole = Math.round(k);
  return Math.abs(k - whole) < 1e-6 ? (n - whole) / n : 1 - r.accuracy;
}

function values(train: LossAndAccuracy, trainN: number, evalR: LossAndAccuracy | null, evalN: number): PointValues {
  const v: PointValues = { trainLoss: finiteOrNull(train.loss), trainError: errorOf(train, trainN) };
  if (evalR) {
    v.evalLoss = finiteOrNull(evalR.loss);
    v.evalError = errorOf(evalR, evalN);
  }
  return v;
}

/**
 * Builds the evaluator for `model` (not changed; copies are made) on `data` and, when
 * given, `evalData`.
 */
export async function createPointEvaluator(
  model: NetworkLike,
  data: Dataset,
  evalData: Dataset | null,
  opts: PointEvaluatorOptions,
): Promise<PointEvaluator> {
  const network = asNetwork(model);
  const recompute = opts.bn === LandscapeBn.recompute && network.hasBatchNorm;
  if (recompute && !opts.recomputeBatchNorm) {
    throw new UsageError('landscape: --bn recompute needs a BatchNorm recomputation function (recomputeBatchNorm)');
  }
  const layersModel = 'analysisNet' in model ? null : model;
  if (recompute && layersModel === null) {
    throw new UsageError('landscape: --bn recompute works on TensorFlow.js layers models only so far; use --bn eval (running statistics interpolated) or --bn train');
  }
  const nTrainable = network.paramNames.length;
  const nOther = network.stateNames.length;
  const interpolateStats = opts.nonTrainableVary && opts.bn !== LandscapeBn.train && nOther > 0;
  const bn: BnMode = opts.bn === LandscapeBn.train ? BnMode.train : BnMode.eval;
  const objectiveOpts = { loss: opts.loss, bn, l2: opts.l2, batchSize: opts.batchSize };
  const dataSets = evalData ? 2 : 1;

  if (!recompute && !interpolateStats) {
    const train = await createModelObjective(network, data, objectiveOpts);
    let evalObj: Objective | null = null;
    try {
      evalObj = evalData ? await createModelObjective(network, evalData, objectiveOpts) : null;
    } catch (e) {
      train.dispose();
      throw e;
    }
    return {
      mode: EvaluatorMode.objective,
      needsNonTrainable: false,
      passesPerPoint: dataSets,
      async evaluate(trainable) {
        const t = train.lossAndAccuracy(trainable);
        const e = evalObj ? evalObj.lossAndAccuracy(trainable) : null;
        return values(t, data.n, e, evalData?.n ?? 0);
      },
      dispose() {
        train.dispose();
        evalObj?.dispose();
      },
    };
  }

  // Each objective does one pass: stream the chunks rather than caching them on the backend.
  const perPoint = { ...objectiveOpts, cacheBytes: 0 };
  const check = (trainable: ParamVector, nonTrainable: ParamVector): void => {
    if (trainable.length !== nTrainable || nonTrainable.length !== nOther) {
      throw new UsageError(
        `landscape: a point has ${trainable.length} trainable and ${nonTrainable.length} other weights, the model ${nTrainable} and ${nOther}`,
      );
    }
  };
  if (!recompute) {
    // Each point sets all weights (its interpolated running statistics included) in a fresh analysis copy.
    const measure = async (d: Dataset, trainable: ParamVector, nonTrainable: ParamVector): Promise<LossAndAccuracy> => {
      const obj = await createModelObjective(network, d, { ...perPoint, state: nonTrainable });
      try {
        return obj.lossAndAccuracy(trainable);
      } finally {
        obj.dispose();
      }
    };
    return {
      mode: EvaluatorMode.model,
      needsNonTrainable: true,
      passesPerPoint: dataSets,
      async evaluate(trainable, nonTrainable) {
        check(trainable, nonTrainable);
        const t = await measure(data, trainable, nonTrainable);
        const e = evalData ? await measure(evalData, trainable, nonTrainable) : null;
        return values(t, data.n, e, evalData?.n ?? 0);
      },
      dispose() {},
    };
  }

  // --bn recompute: a working copy of the layers model whose weights each point overwrites
  // and whose BatchNorm statistics are recomputed there (the caller's model is never touched).
  const work = (await buildAnalysisModel(layersModel!, null)).model;
  const measure = async (d: Dataset): Promise<LossAndAccuracy> => {
    const obj = await createModelObjective(work, d, perPoint);
    try {
      return obj.lossAndAccuracy(obj.params);
    } finally {
      obj.dispose();
    }
  };
  return {
    mode: EvaluatorMode.model,
    needsNonTrainable: true,
    passesPerPoint: dataSets + 1,
    async evaluate(trainable, nonTrainable) {
      check(trainable, nonTrainable);
      // model.weights is trainableWeights followed by nonTrainableWeights, as setWeights expects.
      work.setWeights([...trainable, ...nonTrainable]);
      await opts.recomputeBatchNorm!(work, data, { batchSize: opts.batchSize });
      const t = await measure(data);
      const e = evalData ? await measure(evalData) : null;
      return values(t, data.n, e, evalData?.n ?? 0);
    },
    dispose() {
      work.dispose();
    },
  };
}
