/**
 * The network the train loop differentiates: a copy of the user's (or built-in) model with
 * the output softmax (for ce) or sigmoid (for bce) made linear, so the loss is computed
 * from logits by src/objective/losses.ts. Everything else is kept as it is: dropout stays
 * active in training, BatchNorm keeps its momentum and updates its moving statistics.
 * Checkpoints are saved from a model of the original topology (weights copied back), so
 * users get the model they asked for.
 */
import { tf, tfl } from '../engine/tf.ts';
import type { Rng } from '../engine/rng.ts';
import type { Loss } from '../objective/losses.ts';
import { foldOutputActivation, outputLayer, topologyOf } from '../formats/layers/analysisModel.ts';
import { foldFor } from '../objective/losses.ts';

export { topologyOf, type ModelJson } from '../formats/layers/analysisModel.ts';
export { foldFor } from '../objective/losses.ts';

/** A copy of `model` whose output is logits for `loss` (see module comment), with the same weights. */
export async function buildTrainingNetwork(model: tfl.LayersModel, loss: Loss): Promise<tfl.LayersModel> {
  const json = topologyOf(model);
  const fold = foldFor(loss);
  if (fold) foldOutputActivation(outputLayer(json), fold);
  const net = await tfl.models.modelFromJSON({ modelTopology: json } as unknown as tf.io.ModelJSON);
  net.setWeights(model.getWeights());
  return net;
}

/** Layers whose training-mode behaviour draws random numbers. */
const SEEDABLE_NOISE = new Set(['Dropout', 'SpatialDropout1D']);
const UNSEEDABLE_NOISE = new Set(['GaussianDropout', 'AlphaDropout', 'GaussianNoise', 'SpatialDropout2D']);

/** Names of layers that draw their own random numbers in training (so runs are not reproducible). */
export function unseedableNoiseLayers(model: tfl.LayersModel): string[] {
  return model.layers.filter((l) => UNSEEDABLE_NOISE.has(l.getClassName())).map((l) => l.name);
}

/**
 * Gives every Dropout layer a seed drawn from `rng` for the next forward pass. tfjs's
 * dropout draws from JavaScript's unseeded global random source unless its layer has a seed, and then the same mask on every
 * call; setting a fresh seed per step makes the masks vary and reproducible.
 */
export function seedDropout(model: tfl.LayersModel, rng: Rng): void {
  for (const layer of model.layers) {
    if (SEEDABLE_NOISE.has(layer.getClassName())) (layer as unknown as { seed?: number }).seed = rng.int(0, 0x7fffffff);
  }
}

/** Output units (product of the output shape but the batch axis). */
export function outputUnits(model: tfl.LayersModel): number {
  return (model.outputs[0]!.shape as (number | null)[]).slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
}
