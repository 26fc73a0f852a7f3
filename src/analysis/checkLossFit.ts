/**
 * The loss must fit the model and the data; two mismatches would otherwise give silently
 * wrong numbers:
 * - cross-entropy on a model whose output is a sigmoid: ce applies a softmax to the outputs,
 *   so the sigmoid's probabilities would be read as logits (the loss and every derivative
 *   wrong, no error);
 * - targets that are probability rows (label smoothing, soft labels: [N, K] rows in [0, 1]
 *   summing to 1, not all 0/1) are regression targets to the data loader, so `--loss auto`
 *   would pick mse without saying so.
 * Both are usage errors that say what loss would be used and how to choose another.
 */
import { UsageError } from '../errors.ts';
import type { Dataset } from '../io/dataset.ts';
import { Loss } from '../objective/losses.ts';

/** Whether regression targets are rows of probabilities (soft or label-smoothed class targets). */
export function hasSoftClassTargets(data: Dataset): boolean {
  const t = data.targets;
  if (t.kind !== 'regression' || t.dim < 2) return false;
  const v = t.values;
  let hard = true;
  for (let r = 0; r * t.dim < v.length; r++) {
    let sum = 0;
    for (let j = 0; j < t.dim; j++) {
      const x = v[r * t.dim + j]!;
      if (!(x >= 0 && x <= 1)) return false;
      if (x !== 0 && x !== 1) hard = false;
      sum += x;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return !hard;
}

/**
 * Refuses a loss that does not fit (see the module comment). `choice` is --loss as given,
 * `loss` what it resolved to, `activation` the model's output activation (null: unknown).
 */
export function checkLossFit(choice: string, loss: Loss, data: Dataset, activation: string | null): void {
  if (loss === Loss.ce && activation === 'sigmoid') {
    const how = choice === 'auto' ? '--loss auto chose ce (class labels and several output units)' : '--loss ce';
    throw new UsageError(
      `loss: ${how} does not fit a model whose output is a sigmoid: ce applies a softmax to the outputs, so the sigmoid's probabilities would be read as logits; use --loss bce (one sigmoid per class)`,
    );
  }
  if (choice === 'auto' && hasSoftClassTargets(data)) {
    throw new UsageError(
      `loss: ${data.spec} has targets that are rows of probabilities (label-smoothed or soft targets), which are read as regression targets: --loss auto would use ${loss}; pass --loss mse to fit them by mean squared error, or give class ids or one-hot rows for cross-entropy`,
    );
  }
}
