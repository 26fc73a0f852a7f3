/** A tiny conv + BatchNorm classifier on 24 seeded 4x4 samples, chunked by 10: a real model objective that runs in milliseconds. */
import { tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { makeDataset } from '../../src/io/makeDataset.ts';
import { createModelObjective } from '../../src/objective/modelObjective.ts';
import { Loss } from '../../src/objective/losses.ts';
import type { Objective } from '../../src/objective/Objective.ts';
import { seedWeights } from '../helpers/layerCases.ts';

export async function tinyConvObjective(): Promise<{ model: tfl.LayersModel; objective: Objective }> {
  const L = tfl.layers;
  const model = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
      L.batchNormalization({}),
      L.flatten(),
      L.dense({ units: 3 }),
    ],
  });
  seedWeights(model, createRng(2));
  const rng = createRng(4);
  const n = 24;
  const x = Float32Array.from({ length: n * 16 }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.int(0, 2));
  const objective = await createModelObjective(model, makeDataset('synthetic:test', [4, 4, 1], x, { kind: 'classes', labels, numClasses: 3 }), {
    loss: Loss.ce,
    batchSize: 10,
  });
  return { model, objective };
}
