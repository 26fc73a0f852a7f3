/**
 * Seeded weight initialisation. tfjs initialisers draw from their own random source, so
 * every weight is overwritten from an Rng (each weight from rng.fork(its index), so one
 * weight's values do not depend on the others' sizes). Same seed, same weights, on every
 * backend.
 *
 * Kernels (rank >= 2) are drawn uniform in [-limit, limit]:
 *   he      limit = sqrt(6 / fan_in)             (ReLU layers; He et al. 2015)
 *   glorot  limit = sqrt(6 / (fan_in + fan_out)) (Keras's default; output layers)
 * with fan_in = receptive field x input channels, fan_out = receptive field x output
 * channels. Biases and BatchNorm's beta and moving_mean are 0; gamma and moving_variance 1.
 * Any other weight of rank < 2 is 0.
 */
import { tf, tfl } from '../engine/tf.ts';
import type { Rng } from '../engine/rng.ts';

export const KernelInit = { he: 'he', glorot: 'glorot' } as const;
export type KernelInit = (typeof KernelInit)[keyof typeof KernelInit];

/** fan_in and fan_out of a kernel shape (Dense [in, out], Conv [kh, kw, in, out], ...). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: receptive * shape[shape.length - 2]!, fanOut: receptive * shape[shape.length - 1]! };
}

function valuesFor(name: string, shape: readonly number[], init: KernelInit, rng: Rng): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const leaf = name.split('/').pop() ?? name;
  if (/gamma|moving_variance/.test(leaf)) return out.fill(1);
  if (shape.length < 2) return out;
  const { fanIn, fanOut } = fans(shape);
  const limit = init === KernelInit.he ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < n; i++) out[i] = (2 * rng.uniform() - 1) * limit;
  return out;
}

/**
 * Overwrites every weight of `model` from `rng`. `kernelInit(layer)` chooses the kernel
 * scaling per layer (default: glorot everywhere).
 */
export function initWeightsInPlace(
  model: tfl.LayersModel,
  rng: Rng,
  kernelInit: (layer: tfl.layers.Layer) => KernelInit = () => KernelInit.glorot,
): void {
  let index = 0;
  for (const layer of model.layers) {
    const init = kernelInit(layer);
    for (const w of layer.weights) {
      const shape = w.shape as number[];
      const t = tf.tensor(valuesFor(w.originalName, shape, init, rng.fork(index++)), shape, 'float32');
      w.write(t);
      t.dispose();
    }
  }
}
