import type { Tensor } from '../engine/tf.ts';
import type { ParamVector } from '../engine/paramVector.ts';

/** How BatchNorm layers normalise while a measure evaluates the loss. */
export const BnMode = {
  /** Running statistics, as at inference and as PyHessian does (the default). */
  eval: 'eval',
  /** Statistics of each chunk (batch statistics); running statistics left untouched. */
  train: 'train',
} as const;
export type BnMode = (typeof BnMode)[keyof typeof BnMode];
export const BN_MODES: readonly BnMode[] = Object.values(BnMode);
export function isBnMode(x: unknown): x is BnMode {
  return typeof x === 'string' && (BN_MODES as readonly string[]).includes(x);
}

/** Full-dataset passes spent, recorded in every result. */
export interface Cost {
  lossEvaluations: number;
  gradients: number;
  hvps: number;
}

export interface LossAndAccuracy {
  loss: number;
  /** Fraction correct; null for regression. */
  accuracy: number | null;
}

/**
 * What every measure consumes: a scalar function of the parameters with its gradient
 * and Hessian-vector products. Model objectives stream the whole dataset in chunks and
 * weight each chunk by its size, so every value is the exact full-dataset quantity
 * whatever the chunk size. Arguments are never modified; returned tensors belong to
 * the caller.
 */
export interface Objective {
  /** 'model', 'quadratic', 'linear-regression', 'logistic-regression'. */
  readonly kind: string;
  /** One name per parameter block (the model's weight names). */
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  /** Total number of parameters. */
  readonly dimension: number;
  /** Samples the loss averages over (0 for a closed-form function of w alone). */
  readonly numSamples: number;
  /** The point the objective was built at (the checkpoint's w*). Owned by the objective. */
  readonly params: ParamVector;
  loss(w: ParamVector): number;
  lossAndAccuracy(w: ParamVector): LossAndAccuracy;
  grad(w: ParamVector): { value: number; grad: Tensor[] };
  hvp(w: ParamVector, v: ParamVector): Tensor[];
  /** Passes spent so far. */
  readonly cost: Readonly<Cost>;
  dispose(): void;
}

export function newCost(): Cost {
  return { lossEvaluations: 0, gradients: 0, hvps: 0 };
}
