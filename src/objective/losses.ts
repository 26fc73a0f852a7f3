import { tf, type Scalar, type Tensor } from '../engine/tf.ts';

/** Loss functions, Keras conventions, written from twice-differentiable primitives. */
export const Loss = {
  ce: 'ce',
  mse: 'mse',
  bce: 'bce',
} as const;
export type Loss = (typeof Loss)[keyof typeof Loss];
export const LOSSES: readonly Loss[] = Object.values(Loss);
export function isLoss(x: unknown): x is Loss {
  return typeof x === 'string' && (LOSSES as readonly string[]).includes(x);
}

/** The output activation a loss folds into itself (it is computed from logits). */
export function foldFor(loss: Loss): 'softmax' | 'sigmoid' | null {
  return loss === Loss.ce ? 'softmax' : loss === Loss.bce ? 'sigmoid' : null;
}

/**
 * The row max of z, with a zero gradient. Shifting by it keeps exp() finite; since the
 * shift's own derivative cancels exactly (1 - sum softmax = 0), leaving it off the gradient
 * changes no derivative of any order, and saves the Max gradient's ops (a mask, a cast, a
 * product, ...) in both passes of an HVP: 247 kernels instead of 269 for an MLP HVP, about
 * 5% of its time at batch 128 on wasm.
 */
const rowMaxNoGradient = tf.customGrad(((z: Tensor) => ({
  value: tf.max(z, -1, true),
  gradFunc: () => tf.zerosLike(z),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (z: Tensor) => Tensor;

/**
 * log(sum(exp(z))) along the last axis, shifted by the row max for stability. We do not use
 * tf.logSumExp, whose gradient tfjs builds from ops without second derivatives.
 */
export function logSumExp(z: Tensor): Tensor {
  return tf.tidy(() => {
    const m = rowMaxNoGradient(z);
    return tf.add(tf.squeeze(m, [-1]), tf.log(tf.sum(tf.exp(tf.sub(z, m)), -1)));
  });
}

/**
 * Softmax cross-entropy from logits, mean over samples. `targets` is either int32 class ids
 * [N] or a float [N, K] distribution (one-hot or soft). Not tfjs's built-in softmax
 * cross-entropy or log-softmax ops: their customGrad loses whole blocks of the HVP.
 */
export function crossEntropyFromLogits(logits: Tensor, targets: Tensor): Scalar {
  return tf.tidy(() => {
    const k = logits.shape[logits.shape.length - 1]!;
    const y = targets.dtype === 'int32' ? tf.cast(tf.oneHot(targets as tf.Tensor1D, k), 'float32') : targets;
    const perSample = tf.sub(logSumExp(logits), tf.sum(tf.mul(y, logits), -1));
    return tf.mean(perSample) as Scalar;
  });
}

/** Mean squared error over all elements. */
export function meanSquaredError(outputs: Tensor, targets: Tensor): Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(outputs, targets))) as Scalar);
}

/** Binary cross-entropy from logits: mean of softplus(z) - y z (= -y log s - (1-y) log(1-s)). */
export function binaryCrossEntropyFromLogits(logits: Tensor, targets: Tensor): Scalar {
  return tf.tidy(() => tf.mean(tf.sub(tf.softplus(logits), tf.mul(targets, logits))) as Scalar);
}

// Keras clips probabilities to [eps, 1 - eps] before taking logs.
const EPSILON = 1e-7;

/** Binary cross-entropy from probabilities (a model whose last activation is not sigmoid). */
export function binaryCrossEntropyFromProbabilities(p: Tensor, targets: Tensor): Scalar {
  return tf.tidy(() => {
    const q = tf.clipByValue(p, EPSILON, 1 - EPSILON);
    const t = tf.add(tf.mul(targets, tf.log(q)), tf.mul(tf.sub(1, targets), tf.log(tf.sub(1, q))));
    return tf.neg(tf.mean(t)) as Scalar;
  });
}

/** The mean loss of a batch from the network's outputs before its final activation. */
export function lossFromLogits(loss: Loss, logits: Tensor, targets: Tensor): Scalar {
  switch (loss) {
    case Loss.ce:
      return crossEntropyFromLogits(logits, targets);
    case Loss.bce:
      return binaryCrossEntropyFromLogits(logits, targets);
    case Loss.mse:
      return meanSquaredError(logits, targets);
  }
}

/**
 * The number of correctly predicted samples as a scalar tensor, or null for mse: ce, the
 * argmax against the class id; bce, each output thresholded at logit 0, a sample scoring
 * the fraction of its outputs right. Not differentiable (a count).
 */
export function correctFromLogits(loss: Loss, logits: Tensor, targets: Tensor): Tensor | null {
  if (loss === Loss.mse) return null;
  if (loss === Loss.ce) return tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), targets), 'float32'));
  return tf.sum(tf.mean(tf.cast(tf.equal(tf.cast(tf.greater(logits, 0), 'float32'), targets), 'float32'), -1));
}

/** lambda * ||w||^2 over all given tensors. */
export function l2Penalty(weights: readonly Tensor[], lambda: number): Scalar {
  return tf.tidy(() => tf.mul(tf.addN(weights.map((w) => tf.sum(tf.square(w)))), lambda) as Scalar);
}
