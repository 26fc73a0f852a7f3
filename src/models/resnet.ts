/**
 * The built-in small ResNet (He et al. 2016, pre-addition BN): a 3x3x8 conv stem with
 * BatchNorm and ReLU, two residual blocks (8 filters at full resolution; 16 filters at
 * stride 2 with a 1x1 projection shortcut), each conv-BN-ReLU-conv-BN, Add, ReLU; global
 * average pooling; Dense(classes, softmax). About 5k parameters for 28x28x1 inputs.
 */
import { tfl } from '../engine/tf.ts';
import { createRng } from '../engine/rng.ts';
import { initWeightsInPlace, KernelInit } from './initWeights.ts';
import { BN_MOMENTUM, checkClasses, imageShape, type BuiltinModelOptions } from './modelOptions.ts';

type Sym = tfl.SymbolicTensor;

const STEM_FILTERS = 16;

/** Conv (no bias, 'same') then BatchNorm, named NAME_conv and NAME_bn. */
export function convBn(x: Sym, filters: number, kernel: number, strides: number, name: string): Sym {
  const L = tfl.layers;
  const c = L.conv2d({ filters, kernelSize: kernel, strides, padding: 'same', useBias: false, name: `${name}_conv` }).apply(x) as Sym;
  return L.batchNormalization({ name: `${name}_bn`, momentum: BN_MOMENTUM }).apply(c) as Sym;
}

/** A pre-sum BasicBlock (He et al.): two 3x3 convBn with ReLU between, a 1x1 projection when the shape changes, ReLU after the sum. */
export function basicBlock(x: Sym, filters: number, strides: number, name: string): Sym {
  const L = tfl.layers;
  let y = convBn(x, filters, 3, strides, `${name}_a`);
  y = L.activation({ activation: 'relu', name: `${name}_a_relu` }).apply(y) as Sym;
  y = convBn(y, filters, 3, 1, `${name}_b`);
  const inChannels = x.shape[x.shape.length - 1];
  const shortcut = strides !== 1 || inChannels !== filters ? convBn(x, filters, 1, strides, `${name}_proj`) : x;
  const sum = L.add({ name: `${name}_add` }).apply([shortcut, y]) as Sym;
  return L.activation({ activation: 'relu', name: `${name}_relu` }).apply(sum) as Sym;
}

export function resnet(inputShape: readonly number[], numClasses: number, seed: number, options: BuiltinModelOptions = {}): tfl.LayersModel {
  const { shape, reshape } = imageShape('resnet', inputShape);
  checkClasses('resnet', numClasses);
  const L = tfl.layers;
  const input = tfl.input({ shape: [...inputShape], name: 'input' });
  let x: Sym = reshape ? (L.reshape({ targetShape: shape, name: 'to_image' }).apply(input) as Sym) : input;
  x = convBn(x, STEM_FILTERS, 3, 2, 'stem');
  x = L.activation({ activation: 'relu', name: 'stem_relu' }).apply(x) as Sym;
  x = basicBlock(x, STEM_FILTERS, 1, 'block1');
  x = basicBlock(x, 2 * STEM_FILTERS, 2, 'block2');
  x = L.globalAveragePooling2d({ name: 'pool' }).apply(x) as Sym;
  const out = L.dense({ units: numClasses, activation: options.outputActivation ?? 'softmax', name: 'logits' }).apply(x) as Sym;
  const model = tfl.model({ inputs: input, outputs: out, name: 'resnet' });
  initWeightsInPlace(model, createRng(seed), (l) => (l.name === 'logits' ? KernelInit.glorot : KernelInit.he));
  return model;
}
