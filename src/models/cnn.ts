/**
 * The built-in CNN (the benchmark model of docs/engine.md): Conv2D 3x3x8 (valid, no bias),
 * BatchNorm, ReLU, MaxPool 2, Flatten, Dense(classes, softmax). [H, W] inputs are
 * reshaped to [H, W, 1].
 */
import { tfl } from '../engine/tf.ts';
import { createRng } from '../engine/rng.ts';
import { initWeightsInPlace, KernelInit } from './initWeights.ts';
import { BN_MOMENTUM, checkClasses, imageShape, type BuiltinModelOptions } from './modelOptions.ts';

export function cnn(inputShape: readonly number[], numClasses: number, seed: number, options: BuiltinModelOptions = {}): tfl.LayersModel {
  const { shape, reshape } = imageShape('cnn', inputShape);
  checkClasses('cnn', numClasses);
  const L = tfl.layers;
  const layers: tfl.layers.Layer[] = [];
  if (reshape) layers.push(L.reshape({ inputShape: [...inputShape], targetShape: shape, name: 'to_image' }));
  layers.push(
    L.conv2d({ ...(reshape ? {} : { inputShape: shape }), filters: 8, kernelSize: 3, useBias: false, name: 'conv1' }),
    L.batchNormalization({ name: 'bn1', momentum: BN_MOMENTUM }),
    L.activation({ activation: 'relu', name: 'relu1' }),
    L.maxPooling2d({ poolSize: 2, name: 'pool1' }),
    L.flatten({ name: 'flatten' }),
    L.dense({ units: numClasses, activation: options.outputActivation ?? 'softmax', name: 'logits' }),
  );
  const model = tfl.sequential({ name: 'cnn', layers });
  initWeightsInPlace(model, createRng(seed), (l) => (l.name === 'logits' ? KernelInit.glorot : KernelInit.he));
  return model;
}
