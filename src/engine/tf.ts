/**
 * The one place the TensorFlow.js packages are imported. Everything else imports
 * `tf` (tfjs-core ops) and `tfl` (tfjs-layers) from here, so a single tfjs-core
 * instance is shared by every backend and by our gradient fixes.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';

export { tf, tfl };
export type Tensor = tf.Tensor;
export type Scalar = tf.Scalar;
export type Variable = tf.Variable;

/** The tfjs version every @tensorflow package is pinned to; fixes in engine/ depend on it. */
export const TFJS_VERSION: string = tf.version_core;
