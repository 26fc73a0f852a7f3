import { asNetwork, type NetworkLike } from '../formats/layers/layersNetwork.ts';
import { unitsOf } from '../formats/Network.ts';
import type { Dataset } from '../io/dataset.ts';
import { UsageError } from '../errors.ts';
import { LOSSES, Loss, isLoss } from './losses.ts';

/** `auto` or one of the losses; what --loss accepts. */
export const LOSS_CHOICES = ['auto', ...LOSSES] as const;
export type LossChoice = (typeof LOSS_CHOICES)[number];

function outputUnits(model: NetworkLike): number {
  return unitsOf(asNetwork(model).outputShape);
}

/**
 * --loss auto: cross-entropy for class labels (binary cross-entropy when the model has a
 * single output unit), mean squared error for regression targets. An explicit choice
 * that cannot work with the data is a usage error.
 */
export function resolveLoss(choice: string, data: Dataset, model: NetworkLike): Loss {
  const classes = data.targets.kind === 'classes';
  if (choice === 'auto') {
    if (!classes) return Loss.mse;
    return outputUnits(model) === 1 ? Loss.bce : Loss.ce;
  }
  if (!isLoss(choice)) throw new UsageError(`loss: --loss must be one of ${LOSS_CHOICES.join(', ')}, got ${choice}`);
  if (choice === Loss.ce && !classes) {
    throw new UsageError(`loss: --loss ce needs class labels but ${data.spec} has regression targets; use --loss mse`);
  }
  if (choice === Loss.ce && outputUnits(model) < 2) {
    throw new UsageError(`loss: --loss ce needs at least 2 output units, the model has ${outputUnits(model)}; use --loss bce`);
  }
  if (choice === Loss.bce && data.targets.kind === 'classes' && data.targets.numClasses > 2 && outputUnits(model) === 1) {
    throw new UsageError(`loss: --loss bce with one output unit needs binary labels but ${data.spec} has ${data.targets.numClasses} classes`);
  }
  return choice;
}
