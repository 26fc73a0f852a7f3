/** A job module for the pool tests: item i is a float32 reduction on the engine, so threads must agree bit for bit. */
import { tf } from '../../src/engine/tf.ts';
import { NumericError } from '../../src/errors.ts';

export interface SinesDescription {
  /** The item that fails with a NumericError, if any. */
  fail?: number;
  /** The item that throws a plain Error, if any. */
  crash?: number;
}

export function sineSum(i: number): number {
  return tf.tidy(() => tf.sum(tf.sin(tf.mul(tf.range(0, 500 + i, 1, 'float32'), 0.37)))).dataSync()[0]!;
}

export async function openJob(d: SinesDescription) {
  return {
    compute(i: number) {
      if (i === d.fail) throw new NumericError(`sines: the loss is NaN at item ${i}`);
      if (i === d.crash) throw new Error(`sines: crashed at item ${i}`);
      return { i, value: sineSum(i), thread: 'worker' };
    },
    dispose() {},
  };
}
