/** The built-in MLP: Flatten (for samples of rank >= 2), Dense(hidden, relu), Dense(classes, softmax). */
import { tfl } from '../engine/tf.ts';
import { createRng } from '../engine/rng.ts';
import { initWeightsInPlace, KernelInit } from './initWeights.ts';
import { checkClasses, checkShape, type BuiltinModelOptions } from './modelOptions.ts';

export const MLP_HIDDEN = 128;

export function mlp(inputShape: readonly number[], numClasses: number, seed: number, options: BuiltinModelOptions = {}): tfl.LayersModel {
  checkShape('mlp', inputShape, 1);
  checkClasses('mlp', numClasses);
  const hidden = options.hidden ?? MLP_HIDDEN;
  const L = tfl.layers;
  // Flatten needs samples of rank >= 2; vectors go straight into the first Dense.
  const flat = inputShape.length > 1;
  const model = tfl.sequential({
    name: 'mlp',
    layers: [
      ...(flat ? [L.flatten({ inputShape: [...inputShape], name: 'flatten' })] : []),
      L.dense({ ...(flat ? {} : { inputShape: [...inputShape] }), units: hidden, activation: 'relu', name: 'dense1' }),
      L.dense({ units: numClasses, activation: options.outputActivation ?? 'softmax', name: 'logits' }),
    ],
  });
  initWeightsInPlace(model, createRng(seed), (l) => (l.name === 'logits' ? KernelInit.glorot : KernelInit.he));
  return model;
}
