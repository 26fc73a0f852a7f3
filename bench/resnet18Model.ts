/**
 * ResNet-18 in its CIFAR form (He et al. 2016; the variant of Keskar et al. / PyHessian /
 * curvlinops benchmarks): a 3x3x64 conv stem (stride 1, no max-pool) with BatchNorm and ReLU,
 * four stages of two BasicBlocks (64, 128, 256, 512 filters; stages 2-4 start at stride 2
 * with a 1x1 conv + BN projection shortcut), each block conv3x3-BN-ReLU-conv3x3-BN, Add,
 * ReLU; global average pooling; Dense(classes, softmax). Convolutions have no bias, as in
 * torchvision. 11,173,962 trainable parameters for 32x32x3 inputs and 10 classes (plus 9,600
 * BatchNorm running statistics). Built with the same layers, names and seeded He
 * initialisation as the built-in resnet (src/models/resnet.ts), so a checkpoint of it opens
 * like any other; bench/pytorch_resnet18.py builds the same function from its weights.
 */
import { tfl } from '../src/engine/tf.ts';
import { createRng } from '../src/engine/rng.ts';
import { initWeightsInPlace, KernelInit } from '../src/models/initWeights.ts';
import { basicBlock, convBn } from '../src/models/resnet.ts';

type Sym = tfl.SymbolicTensor;

/** Filters of the four stages, and the first stride of each. */
export const STAGES: readonly { filters: number; stride: number }[] = [
  { filters: 64, stride: 1 },
  { filters: 128, stride: 2 },
  { filters: 256, stride: 2 },
  { filters: 512, stride: 2 },
];

/** The block names in order ('s1b1' .. 's4b2'), with their filters, stride and whether they project. */
export function blocks(): { name: string; filters: number; stride: number; proj: boolean }[] {
  const out: { name: string; filters: number; stride: number; proj: boolean }[] = [];
  let channels = 64;
  STAGES.forEach((s, i) => {
    for (let b = 0; b < 2; b++) {
      const stride = b === 0 ? s.stride : 1;
      out.push({ name: `s${i + 1}b${b + 1}`, filters: s.filters, stride, proj: stride !== 1 || channels !== s.filters });
      channels = s.filters;
    }
  });
  return out;
}

export function resnet18(inputShape: readonly [number, number, number], numClasses: number, seed: number): tfl.LayersModel {
  const L = tfl.layers;
  const input = tfl.input({ shape: [...inputShape], name: 'input' });
  let x = convBn(input, 64, 3, 1, 'stem');
  x = L.activation({ activation: 'relu', name: 'stem_relu' }).apply(x) as Sym;
  for (const b of blocks()) x = basicBlock(x, b.filters, b.stride, b.name);
  x = L.globalAveragePooling2d({ name: 'pool' }).apply(x) as Sym;
  const out = L.dense({ units: numClasses, activation: 'softmax', name: 'logits' }).apply(x) as Sym;
  const model = tfl.model({ inputs: input, outputs: out, name: 'resnet18' });
  initWeightsInPlace(model, createRng(seed), (l) => (l.name === 'logits' ? KernelInit.glorot : KernelInit.he));
  return model;
}
