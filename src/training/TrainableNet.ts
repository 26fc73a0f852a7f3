/**
 * What the train loop (trainLoop.ts) needs of the network it trains, whatever its format:
 * the parameters as variables, a training-mode forward pass that also updates running
 * statistics, and all weights as one flat array (the run state, SWA's average). One
 * implementation wraps a TensorFlow.js layers model (layersTrainableNet.ts), one an ONNX
 * graph (onnxTrainableNet.ts).
 */
import type { Tensor, Variable } from '../engine/tf.ts';
import type { Rng } from '../engine/rng.ts';

export interface TrainableNet {
  /** The trainable parameters, as variables the forward pass reads; the optimizer moves them. */
  readonly vars: readonly Variable[];
  /** Whether the network has BatchNorm layers (nodes): its training pass depends on how a batch is split. */
  readonly batchNorm: boolean;
  /** Output units per sample (product of the output shape but the batch axis). */
  readonly outputUnits: number;
  /** Values in flatWeights(). */
  readonly weightCount: number;
  /** Draws the next step's randomness (dropout seeds) from rng; called once per minibatch. */
  seedStep(rng: Rng): void;
  /**
   * The training-mode forward pass to the output the loss reads (logits when an activation
   * is folded): BatchNorm normalises by batch statistics and updates its running statistics
   * (at once, or when the step ends: endStep). Differentiable; call inside a gradient.
   */
  trainingOutput(x: Tensor): Tensor;
  /** Snapshots the running statistics; the function returned puts them back (SAM: only the first pass updates them). */
  saveState(): () => void;
  /** Ends a step (applies running-statistic updates the passes recorded, where the format defers them). */
  endStep(): void;
  /** All weights, trainable and not, in this net's fixed order. */
  flatWeights(): Float32Array;
  /** Writes flatWeights()-ordered values (float32 or float64) into the weights. */
  setFlatWeights(values: ArrayLike<number>): void;
}
