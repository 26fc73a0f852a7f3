import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tfl } from '../../src/engine/tf.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { createRng } from '../../src/engine/rng.ts';
import { seedWeights } from './layerCases.ts';

export async function tempDir(prefix = 'sharpness-test-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

const L = tfl.layers;

/** A small MNIST-shaped MLP with seeded weights, saved as a checkpoint. */
export async function saveMnistMlp(dir: string, seed: number, hidden = 16): Promise<string> {
  const m = tfl.sequential({
    layers: [L.flatten({ inputShape: [28, 28, 1] }), L.dense({ units: hidden, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' })],
  });
  seedWeights(m, createRng(seed));
  await saveCheckpoint(m, dir, { method: 'test', seed });
  m.dispose();
  return dir;
}
