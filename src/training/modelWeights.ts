/**
 * A layers model's weights as flat arrays (all weights in `model.weights` order, trainable
 * and not), and the comparison of two architectures by their weights.
 */
import { tf, tfl } from '../engine/tf.ts';
import { InputError } from '../errors.ts';

export interface WeightInfo {
  /** The weight's name as saved (LayerVariable.originalName, e.g. 'conv1/kernel'). */
  name: string;
  shape: number[];
  trainable: boolean;
}

export function weightInfo(model: tfl.LayersModel): WeightInfo[] {
  return model.weights.map((w) => ({ name: w.originalName, shape: [...(w.shape as number[])], trainable: w.trainable }));
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Every weight's values, concatenated in `model.weights` order (or only the trainable ones). */
export function flatWeights(model: tfl.LayersModel, which: 'all' | 'trainable' = 'all'): Float32Array {
  const ws = which === 'all' ? model.weights : model.trainableWeights;
  const out = new Float32Array(ws.reduce((a, w) => a + sizeOf(w.shape as number[]), 0));
  let off = 0;
  for (const w of ws) {
    const d = w.read().dataSync() as Float32Array;
    out.set(d, off);
    off += d.length;
  }
  return out;
}

/** Writes flat values (float32 or float64, `model.weights` order) into the model's weights. */
export function setFlatWeights(model: tfl.LayersModel, values: ArrayLike<number>, which: 'all' | 'trainable' = 'all'): void {
  const ws = which === 'all' ? model.weights : model.trainableWeights;
  const total = ws.reduce((a, w) => a + sizeOf(w.shape as number[]), 0);
  if (values.length !== total) {
    throw new InputError(`train: expected ${total} values for the model's weights, got ${values.length}`);
  }
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  let off = 0;
  for (const w of ws) {
    const n = sizeOf(w.shape as number[]);
    const t = tf.tensor(f32.subarray(off, off + n), w.shape as number[], 'float32');
    w.write(t);
    t.dispose();
    off += n;
  }
}

/** Copies all weights of `from` into `to` (same architecture). */
export function copyWeights(from: tfl.LayersModel, to: tfl.LayersModel): void {
  const ws = from.getWeights();
  to.setWeights(ws);
}

/**
 * The first difference between two architectures' weight lists (count, then per position
 * name and shape), as a phrase; null when they are the same. `a` and `b` label the two.
 */
export function firstArchitectureDifference(wa: readonly WeightInfo[], wb: readonly WeightInfo[], a: string, b: string): string | null {
  const n = Math.min(wa.length, wb.length);
  for (let i = 0; i < n; i++) {
    const x = wa[i]!;
    const y = wb[i]!;
    if (x.name !== y.name) return `weight #${i} is ${x.name} in ${a} but ${y.name} in ${b}`;
    if (!tf.util.arraysEqual(x.shape, y.shape)) {
      return `weight ${x.name} has shape [${x.shape.join(',')}] in ${a} but [${y.shape.join(',')}] in ${b}`;
    }
  }
  if (wa.length !== wb.length) {
    const extra = wa.length > wb.length ? `${wa[n]!.name} (in ${a} only)` : `${wb[n]!.name} (in ${b} only)`;
    return `${a} has ${wa.length} weights but ${b} has ${wb.length}; first unmatched: ${extra}`;
  }
  return null;
}
