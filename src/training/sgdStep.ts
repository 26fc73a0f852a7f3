/**
 * Heavy-ball SGD, as PyTorch's SGD without dampening or Nesterov:
 *
 *   m <- mu m + g,   w <- w - lr m      (m starts at 0; mu = 0 is plain SGD)
 *
 * The L2 term lambda ||w||^2 is part of the loss, so it reaches the update through g
 * (g = grad L + 2 lambda w), not as decoupled weight decay.
 */
import { tf, type Tensor, type Variable } from '../engine/tf.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import * as pv from '../engine/paramVector.ts';
import { UsageError } from '../errors.ts';

export function validateMomentum(momentum: unknown, where = 'train'): number {
  if (typeof momentum !== 'number' || !Number.isFinite(momentum) || momentum < 0 || momentum >= 1) {
    throw new UsageError(`${where}: --momentum must be a number in [0, 1), got ${String(momentum)}`);
  }
  return momentum;
}

/** One heavy-ball step, pure: returns new w and m (the caller owns them). */
export function heavyBallStep(
  w: ParamVector,
  m: ParamVector,
  g: ParamVector,
  lr: number,
  momentum: number,
): { w: Tensor[]; m: Tensor[] } {
  if (w.length !== m.length || w.length !== g.length) {
    throw new UsageError(`train: w, m and g must have as many blocks, got ${w.length}, ${m.length}, ${g.length}`);
  }
  return tf.tidy(() => {
    const m2 = m.map((mi, i) => tf.add(tf.mul(mi, momentum), g[i]!));
    const w2 = w.map((wi, i) => tf.sub(wi, tf.mul(m2[i]!, lr)));
    return { w: w2, m: m2 };
  });
}

/**
 * The optimizer the train loop uses: owns its momentum buffers and updates the given
 * variables in place (`stepInPlace`).
 */
export class HeavyBall {
  readonly momentum: number;
  private buffers: Tensor[];
  private readonly vars: readonly Variable[];

  constructor(vars: readonly Variable[], momentum: number, buffers?: readonly Float32Array[]) {
    this.momentum = validateMomentum(momentum);
    this.vars = vars;
    if (buffers) {
      if (buffers.length !== vars.length || buffers.some((b, i) => b.length !== vars[i]!.size)) {
        throw new UsageError(`train: the saved momentum buffers do not match the model's ${vars.length} trainable weights`);
      }
      this.buffers = buffers.map((b, i) => tf.tensor(b, vars[i]!.shape, 'float32'));
    } else {
      this.buffers = pv.zerosLike(vars);
    }
  }

  /** m <- mu m + g; w <- w - lr m, on the variables given at construction. */
  stepInPlace(grads: ParamVector, lr: number): void {
    const { w, m } = heavyBallStep(this.vars, this.buffers, grads, lr, this.momentum);
    this.vars.forEach((v, i) => v.assign(w[i]!));
    pv.dispose(w, this.buffers);
    this.buffers = m;
  }

  /** Copies of the momentum buffers (for the resumable state). */
  bufferValues(): Float32Array[] {
    return this.buffers.map((b) => Float32Array.from(b.dataSync() as Float32Array));
  }

  dispose(): void {
    pv.dispose(this.buffers);
    this.buffers = [];
  }
}
