/** Tiny inputs for the reliability tests: a 3 -> 2 softmax checkpoint and matching .npy data. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tf, tfl } from '../../src/engine/tf.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { encodeNpy } from '../../src/io/npy.ts';

export const SAMPLES = 8;

/** Saves a Dense(3 -> 2, softmax) checkpoint with fixed weights in `dir`. */
export async function saveTinyCheckpoint(dir: string, activation: 'softmax' | 'sigmoid' | 'linear' = 'softmax', units = 2): Promise<string> {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units, activation })] });
  const b = m.getWeights()[1]!;
  m.setWeights([tf.tensor2d(Array.from({ length: 3 * units }, (_, i) => ((i % 5) - 2) / 4), [3, units]), tf.zeros(b.shape)]);
  await saveCheckpoint(m, dir, { method: 'tiny' });
  m.dispose();
  return dir;
}

/** Writes x.npy [8, 3] and y.npy [8] (class ids 0/1) in `dir`; returns the data spec. */
export function writeTinyData(dir: string): { x: string; y: string; spec: string } {
  const x = path.join(dir, 'x.npy');
  const y = path.join(dir, 'y.npy');
  writeFileSync(x, encodeNpy(Float32Array.from({ length: SAMPLES * 3 }, (_, i) => Math.sin(i)), [SAMPLES, 3]));
  writeFileSync(y, encodeNpy(Int32Array.from({ length: SAMPLES }, (_, i) => i % 2), [SAMPLES]));
  return { x, y, spec: `npy:${x},${y}` };
}
