/**
 * The loss of a training network on some samples of a dataset, as the train loop takes it:
 * the samples' tensors (targets shaped for the loss), the training-mode logits, the loss
 * from logits (src/objective/losses.ts) and the correct count. One instance serves the
 * train loop's whole-minibatch step and every chunk of a chunked step, in this thread or a
 * worker thread (stepWorkerMain.ts), so a chunk's numbers do not depend on where it runs.
 */
import { tf, type Scalar, type Tensor } from '../engine/tf.ts';
import { valueAndGrad } from '../engine/autodiff.ts';
import * as pv from '../engine/paramVector.ts';
import { createRng } from '../engine/rng.ts';
import type { Dataset } from '../io/dataset.ts';
import { Loss, correctFromLogits, lossFromLogits } from '../objective/losses.ts';
import type { TrainableNet } from './TrainableNet.ts';

/** One chunk's loss (mean over its samples), correct count (null for mse) and flat gradient (TrainableNet.vars order). */
export interface ChunkGradient {
  value: number;
  hits: number | null;
  grad: Float32Array;
}

export class MinibatchLoss {
  private readonly units: number;
  private readonly per: number;

  constructor(
    readonly net: TrainableNet,
    readonly data: Dataset,
    readonly loss: Loss,
  ) {
    this.units = net.outputUnits;
    this.per = data.sampleShape.reduce((a, b) => a * b, 1);
  }

  /** The samples idx[start .. start + size) as tensors (the caller disposes them). */
  batchTensors(idx: Int32Array, start: number, size: number): { x: Tensor; y: Tensor } {
    const per = this.per;
    const d = this.data;
    const xs = new Float32Array(size * per);
    for (let r = 0; r < size; r++) {
      const s = idx[start + r]!;
      xs.set(d.x.subarray(s * per, (s + 1) * per), r * per);
    }
    const x = tf.tensor(xs, [size, ...d.sampleShape], 'float32');
    const t = d.targets;
    let y: Tensor;
    if (t.kind === 'classes') {
      const labels = new Int32Array(size);
      for (let r = 0; r < size; r++) labels[r] = t.labels[idx[start + r]!]!;
      if (this.loss === Loss.ce) y = tf.tensor1d(labels, 'int32');
      else if (this.units === 1) y = tf.tensor2d(Float32Array.from(labels), [size, 1]);
      else y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), this.units), 'float32'));
    } else {
      const ys = new Float32Array(size * t.dim);
      for (let r = 0; r < size; r++) {
        const s = idx[start + r]!;
        ys.set(t.values.subarray(s * t.dim, (s + 1) * t.dim), r * t.dim);
      }
      y = tf.tensor2d(ys, [size, t.dim]);
    }
    return { x, y };
  }

  /** The training-mode output, flattened per sample. */
  logits(x: Tensor): Tensor {
    const out = this.net.trainingOutput(x);
    return out.rank > 2 ? tf.reshape(out, [out.shape[0]!, -1]) : out;
  }

  lossOf(logits: Tensor, y: Tensor): Scalar {
    return lossFromLogits(this.loss, logits, y);
  }

  /** The correct count as a scalar tensor (correctFromLogits), or null for mse. */
  hitsOf(logits: Tensor, y: Tensor): Tensor | null {
    return correctFromLogits(this.loss, logits, y);
  }

  /**
   * The loss and gradient of samples idx[start .. start + size) at the network's current
   * weights; `seed` seeds the pass's dropout (createRng(seed)); `withHits` also counts the
   * correct samples.
   */
  chunkGradient(idx: Int32Array, start: number, size: number, seed: number, withHits: boolean): ChunkGradient {
    this.net.seedStep(createRng(seed));
    const { x, y } = this.batchTensors(idx, start, size);
    let hits: Tensor | null = null;
    try {
      const g = valueAndGrad(() => {
        const logits = this.logits(x);
        const h = withHits ? this.hitsOf(logits, y) : null;
        if (h) hits = tf.keep(h);
        return this.lossOf(logits, y);
      }, this.net.vars);
      const grad = pv.flatten(g.grads);
      pv.dispose(g.grads);
      let count: number | null = null;
      if (hits) count = (hits as Tensor).dataSync()[0]!;
      return { value: g.value, hits: count, grad };
    } finally {
      if (hits) (hits as Tensor).dispose();
      tf.dispose([x, y]);
    }
  }
}
