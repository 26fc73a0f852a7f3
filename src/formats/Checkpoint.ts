/**
 * A loaded checkpoint, whatever its format: the network the measures run, what results
 * record about it (path, sha256, parameter counts) and the format's own object for the
 * commands that write checkpoints back.
 */
import type { tf, tfl } from '../engine/tf.ts';
import { UsageError } from '../errors.ts';
import type { Sidecar } from '../io/sidecar.ts';
import { CheckpointFormat, type Network } from './Network.ts';

export interface CheckpointWeight {
  /** The weight's name in the checkpoint (a manifest name such as 'dense_Dense1/kernel', an ONNX initializer name). */
  name: string;
  shape: number[];
  dtype: string;
  /** False for state such as BatchNorm running statistics. */
  trainable: boolean;
}

interface CheckpointBase {
  /** The path as given: a checkpoint directory, or the directory of a given model.json, or an .onnx file. */
  dir: string;
  network: Network;
  /** A content hash, stable across copies (see each format's loader). */
  sha256: string;
  paramCount: number;
  trainableParamCount: number;
  /** Every weight, trainable or not, in the model's order. */
  weights: CheckpointWeight[];
  sidecar?: Sidecar;
  dispose(): void;
}

export interface LayersCheckpoint extends CheckpointBase {
  format: typeof CheckpointFormat.layers;
  model: tfl.LayersModel;
  /** model.json as parsed. */
  modelJson: tf.io.ModelJSON;
}

/** The loaded ONNX model; its type lives with the ONNX format. */
export interface OnnxCheckpoint<M = unknown> extends CheckpointBase {
  format: typeof CheckpointFormat.onnx;
  onnx: M;
}

export type Checkpoint = LayersCheckpoint | OnnxCheckpoint;

/** The layers model of a checkpoint, for the commands that work on layers models only so far. */
export function requireLayers(c: Checkpoint, command: string): LayersCheckpoint {
  if (c.format === CheckpointFormat.layers) return c;
  throw new UsageError(
    `${command}: ${c.dir} is an ${c.format} checkpoint; ${command} works on TensorFlow.js layers models only so far (the measures, evaluate and info read both)`,
  );
}
