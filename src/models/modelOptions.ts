import { InputError, UsageError } from '../errors.ts';

export interface BuiltinModelOptions {
  /** Hidden units of the MLP (default 128). */
  hidden?: number;
  /** Activation of the output Dense layer (default softmax; 'linear' for regression). */
  outputActivation?: 'softmax' | 'sigmoid' | 'linear';
}

export function checkShape(model: string, shape: readonly number[], minRank: number, maxRank = 8): void {
  if (shape.length < minRank || shape.length > maxRank || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InputError(
      `model: --model ${model} needs samples of rank ${minRank === maxRank ? minRank : `${minRank} to ${maxRank}`} with positive sizes, got [${shape.join(',')}]`,
    );
  }
}

export function checkClasses(model: string, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new UsageError(`model: --model ${model} needs a number of outputs >= 1, got ${numClasses}`);
  }
}

/** [H, W] becomes [H, W, 1]; [H, W, C] is kept. */
export function imageShape(model: string, shape: readonly number[]): { shape: [number, number, number]; reshape: boolean } {
  checkShape(model, shape, 2, 3);
  const [h, w, c] = shape as [number, number, number?];
  if (h < 4 || w < 4) throw new InputError(`model: --model ${model} needs images of at least 4x4, got [${shape.join(',')}]`);
  return { shape: [h, w, c ?? 1], reshape: c === undefined };
}

/**
 * BatchNorm momentum of the built-in models: 0.9 (PyTorch's default, momentum 0.1 in its
 * convention) rather than Keras's 0.99, whose moving statistics still weigh the
 * initial values by 0.99^79 = 45% after one epoch of 5,000 samples at batch 64.
 */
export const BN_MOMENTUM = 0.9;
