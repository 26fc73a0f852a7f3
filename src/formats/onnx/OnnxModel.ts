/**
 * An ONNX graph loaded as a model the analyses can differentiate: its parameters (float
 * initializers in weight slots), BatchNorm state, and a forward pass on the engine whose
 * first and second derivatives are exact.
 */
import type { Tensor } from '../../engine/tf.ts';
import type { BatchStatsCallback } from './ops/value.ts';
export type { BatchStatsCallback, BatchStatsInfo } from './ops/value.ts';
export { SUPPORTED_OPS } from './opTable.ts';

export interface OnnxTensorInfo {
  name: string;
  shape: number[];
  dtype: string;
}

export interface OnnxForwardOptions {
  training: boolean;
  skipFinal: boolean;
  /**
   * Called once per BatchNormalization node when training: the names of its running mean
   * and running variance initializers, the batch mean and the UNBIASED batch variance
   * (n / (n - 1) times the biased one used to normalise), both of shape [C], and
   * {count: n (values per channel), momentum: the node's attribute}. The tensors belong
   * to the caller's tf.tidy scope: tf.keep them to use them after it ends.
   */
  onBatchStats?: BatchStatsCallback;
  /** Values only, never differentiated: Conv -> BatchNormalization (-> Relu) run as one convolution (OnnxGraph's RunOptions.fuse). */
  fuse?: boolean;
}

export interface OnnxModel {
  /** The .onnx path. */
  file: string;
  /** SHA-256 over the .onnx bytes followed by the external-data bytes in initializer order. */
  sha256: string;
  /** The ai.onnx opset the model imports. */
  opset: number;
  /** producer_name and producer_version. */
  producer: string;
  /** One-line notes (dtype conversions, BatchNorm nodes exported in training mode). */
  notes: string[];
  inputName: string;
  /** Full input shape with the batch dim (null = dynamic). */
  inputShape: (number | null)[];
  outputName: string;
  outputShape: (number | null)[];
  /** Trainable parameters, in graph initializer order. */
  params: OnnxTensorInfo[];
  /** BatchNormalization running means and variances. */
  state: OnnxTensorInfo[];
  /** Every other initializer. */
  constants: OnnxTensorInfo[];
  /** Op type -> number of nodes. */
  opCounts: Record<string, number>;
  /** Initial value of a param or state tensor, as float32 (a copy). */
  initialValue(name: string): Float32Array;
  /** The activation ending the graph that a loss can fold, or null. */
  finalActivation: 'softmax' | 'logsoftmax' | 'sigmoid' | null;
  /** Largest number of float elements of any intermediate tensor per sample. */
  largestActivationPerSample: number;
  /**
   * Differentiable forward pass (no readback; works inside tf.grad and HVPs). Intermediates
   * belong to the caller's scope: call it inside tf.tidy. Dropout is the identity.
   */
  forward(x: Tensor, params: readonly Tensor[], state: readonly Tensor[], opts: OnnxForwardOptions): Tensor;
  /** The model as ONNX bytes with new values for params and state; external data inlined. */
  serialize(params: readonly Float32Array[], state: readonly Float32Array[]): Uint8Array;
  /** Frees the engine copies of constants. */
  dispose(): void;
}
