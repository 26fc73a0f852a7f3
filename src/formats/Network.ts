/**
 * A checkpoint's network, whatever file format it came from: what the objective,
 * predictions and data checks need. One implementation per format (formats/layers,
 * formats/onnx); measures never see the format.
 */
import type { Tensor, tf } from '../engine/tf.ts';

/** The output activation a loss folds into itself, so the network is run up to its logits. */
export type Fold = 'softmax' | 'sigmoid' | null;

export const CheckpointFormat = {
  /** A TensorFlow.js layers-model directory (model.json + weight files). */
  layers: 'layers-model',
  /** An ONNX graph (.onnx), e.g. from torch.onnx.export. */
  onnx: 'onnx',
} as const;
export type CheckpointFormat = (typeof CheckpointFormat)[keyof typeof CheckpointFormat];

/** A runnable copy of a network made for measurement; it owns its tensors. */
export interface AnalysisNet {
  /** The trainable parameters as variables the forward pass reads (assign to move the point). */
  readonly vars: readonly tf.Variable[];
  /** One name per variable: the checkpoint's own names (a layers weight name, an ONNX initializer). */
  readonly names: readonly string[];
  /** The activation actually folded away ('softmax', 'sigmoid') or null. */
  readonly folded: Fold;
  /** The non-trainable weights the forward pass reads (BatchNorm running statistics), in Network.weights().other order. */
  readonly state: readonly tf.Variable[];
  /**
   * The forward pass on a batch. training=false: BatchNorm uses running statistics;
   * true: batch statistics, running statistics untouched. Dropout is the identity.
   * Differentiable to second order; no reads back to the CPU inside.
   */
  apply(x: Tensor, training: boolean): Tensor;
  /**
   * A faster inference forward pass (training=false) for values only, never differentiated:
   * equal to apply(x, false) up to float32 rounding. Absent where the format has none.
   */
  readonly infer?: (x: Tensor) => Tensor;
  dispose(): void;
}

/** The forward pass for values only (never differentiated): `infer` where the net has one and training is false, else apply. */
export function forwardValues(net: AnalysisNet, x: Tensor, training: boolean): Tensor {
  return !training && net.infer ? net.infer(x) : net.apply(x, training);
}

export interface Network {
  readonly format: CheckpointFormat;
  /** The input shape of one sample (no batch axis); null where any size is accepted. */
  readonly inputShape: readonly (number | null)[];
  /** The output shape of one sample (no batch axis). */
  readonly outputShape: readonly (number | null)[];
  /** Floats per sample in the largest activation (chunk sizing). */
  readonly largestActivation: number;
  /** The activation ending the network ('softmax', 'sigmoid', 'linear', ...), or null when unknown. */
  readonly outputActivation: string | null;
  /** The trainable weights' names, in AnalysisNet.vars order. */
  readonly paramNames: readonly string[];
  /** The non-trainable weights' names (BatchNorm running statistics), in AnalysisNet.state order. */
  readonly stateNames: readonly string[];
  /** Whether some layer or node normalises with BatchNorm statistics. */
  readonly hasBatchNorm: boolean;
  /** A copy made for measurement with `fold` removed from the output when the network ends with it. */
  analysisNet(fold: Fold): Promise<AnalysisNet>;
  /** Copies of the checkpoint's weights: trainable (AnalysisNet.vars order) and the others (AnalysisNet.state order). */
  weights(): { trainable: Tensor[]; other: Tensor[] };
  /**
   * What two checkpoints must share for a line or plane through them: one entry per
   * weight (its kind, shape and trainability), the layer classes for layers models. Names
   * may differ.
   */
  architecture(): string[];
}

/** Product of a per-sample shape (unknown dimensions count 1). */
export function unitsOf(shape: readonly (number | null)[]): number {
  return shape.reduce<number>((a, b) => a * (b ?? 1), 1);
}
