/**
 * The layer / activation / loss matrix that the engine must differentiate twice correctly.
 * Each case builds a tiny model with seeded weights, a batch, and a loss.
 */
import { tf, tfl, type Tensor } from '../../src/engine/tf.ts';
import { createRng, type Rng } from '../../src/engine/rng.ts';
import type { LossKind } from './derivatives.ts';

export interface LayerCase {
  name: string;
  /** True when the function has kinks (relu, max-pool...): FD needs a small eps. */
  kinked: boolean;
  loss: LossKind;
  training?: boolean;
  l2?: number;
  build: () => tfl.LayersModel;
  inputShape: number[];
  outputs: number;
}

/** Gives every weight (trainable or not) seeded values; variances stay positive. */
export function seedWeights(model: tfl.LayersModel, rng: Rng): void {
  for (const w of model.weights) {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const vals = new Float32Array(n);
    const isVariance = /moving_variance|gamma/.test(w.name);
    for (let i = 0; i < n; i++) vals[i] = isVariance ? 0.5 + rng.uniform() : 0.5 * rng.normal();
    w.write(tf.tensor(vals, shape));
  }
}

export function makeBatch(c: LayerCase, n: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = createRng(seed);
  const size = c.inputShape.reduce((a, b) => a * b, 1);
  const xs = new Float32Array(n * size);
  for (let i = 0; i < xs.length; i++) xs[i] = rng.normal();
  const x = tf.tensor(xs, [n, ...c.inputShape]);
  let y: Tensor;
  switch (c.loss) {
    case 'ce': {
      const ids = new Int32Array(n);
      for (let i = 0; i < n; i++) ids[i] = rng.int(0, c.outputs - 1);
      y = tf.tensor1d(ids, 'int32');
      break;
    }
    case 'ce-onehot': {
      const ids = Array.from({ length: n }, () => rng.int(0, c.outputs - 1));
      y = tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), c.outputs), 'float32');
      break;
    }
    case 'bce': {
      const v = new Float32Array(n * c.outputs);
      for (let i = 0; i < v.length; i++) v[i] = rng.int(0, 1);
      y = tf.tensor(v, [n, c.outputs]);
      break;
    }
    case 'mse': {
      const v = new Float32Array(n * c.outputs);
      for (let i = 0; i < v.length; i++) v[i] = rng.normal();
      y = tf.tensor(v, [n, c.outputs]);
      break;
    }
  }
  return { x, y };
}

const L = tfl.layers;

function denseAct(activation: string, kinked: boolean, loss: LossKind = 'ce'): LayerCase {
  return {
    name: `Dense + ${activation} (${loss})`,
    kinked,
    loss,
    inputShape: [5],
    outputs: 3,
    build: () =>
      tfl.sequential({
        layers: [
          L.dense({ units: 4, inputShape: [5], activation: activation as never }),
          L.dense({ units: 3 }),
        ],
      }),
  };
}

function conv(extra: Partial<LayerCase> & { name: string; layers: () => tfl.layers.Layer[]; flat?: boolean }): LayerCase {
  return {
    kinked: false,
    loss: 'ce',
    inputShape: [6, 6, 2],
    outputs: 3,
    ...extra,
    build: () =>
      tfl.sequential({
        layers: [L.inputLayer({ inputShape: [6, 6, 2] }), ...extra.layers(), ...(extra.flat ? [] : [L.flatten()]), L.dense({ units: 3 })],
      }),
  };
}

export const LAYER_CASES: LayerCase[] = [
  denseAct('linear', false, 'mse'),
  denseAct('relu', true),
  denseAct('relu6', true),
  denseAct('elu', true),
  denseAct('selu', true),
  denseAct('sigmoid', false),
  denseAct('tanh', false),
  denseAct('softmax', false),
  denseAct('softplus', false),
  denseAct('gelu', false),
  {
    name: 'Dense + LeakyReLU layer',
    kinked: true,
    loss: 'ce',
    inputShape: [5],
    outputs: 3,
    build: () =>
      tfl.sequential({ layers: [L.dense({ units: 4, inputShape: [5] }), L.leakyReLU({ alpha: 0.2 }), L.dense({ units: 3 })] }),
  },
  conv({ name: 'Conv2D 3x3 stride 1 same, bias, relu', kinked: true, layers: () => [L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' })] }),
  conv({ name: 'Conv2D 3x3 stride 2 valid, no bias', layers: () => [L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'valid', useBias: false })] }),
  conv({ name: 'Conv2D 2x2 stride 2 same, fused tanh', layers: () => [L.conv2d({ filters: 2, kernelSize: 2, strides: 2, padding: 'same', activation: 'tanh' })] }),
  conv({ name: 'Conv2D fused sigmoid, bias', layers: () => [L.conv2d({ filters: 2, kernelSize: 3, activation: 'sigmoid' })] }),
  conv({ name: 'DepthwiseConv2D 3x3 same', layers: () => [L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh' })] }),
  conv({ name: 'DepthwiseConv2D stride 2 valid', layers: () => [L.depthwiseConv2d({ kernelSize: 2, strides: 2, padding: 'valid' })] }),
  conv({
    name: 'Conv2D + BatchNorm (inference)',
    layers: () => [L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }), L.batchNormalization({}), L.activation({ activation: 'tanh' })],
  }),
  conv({
    name: 'Conv2D + BatchNorm (training mode)',
    training: true,
    layers: () => [L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }), L.batchNormalization({}), L.activation({ activation: 'tanh' })],
  }),
  conv({ name: 'MaxPooling2D 2x2 stride 2', kinked: true, layers: () => [L.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }), L.maxPooling2d({ poolSize: 2 })] }),
  conv({
    name: 'MaxPooling2D 3x3 stride 1 same (overlapping)',
    kinked: true,
    layers: () => [L.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }), L.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' })],
  }),
  conv({ name: 'AveragePooling2D 2x2 stride 2', layers: () => [L.conv2d({ filters: 2, kernelSize: 3, activation: 'tanh' }), L.averagePooling2d({ poolSize: 2 })] }),
  conv({
    name: 'AveragePooling2D 3x3 stride 1 valid (overlapping)',
    layers: () => [L.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh' }), L.averagePooling2d({ poolSize: 3, strides: 1, padding: 'valid' })],
  }),
  conv({
    name: 'AveragePooling2D 3x3 stride 2 same',
    layers: () => [L.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh' }), L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })],
  }),
  conv({ name: 'GlobalAveragePooling2D', layers: () => [L.conv2d({ filters: 3, kernelSize: 3, activation: 'tanh' }), L.globalAveragePooling2d({})], flat: true }),
  conv({ name: 'GlobalMaxPooling2D', kinked: true, layers: () => [L.conv2d({ filters: 3, kernelSize: 3 }), L.globalMaxPooling2d({})], flat: true }),
  conv({
    name: 'ZeroPadding2D + Dropout + Reshape',
    kinked: true,
    layers: () => [L.zeroPadding2d({ padding: 1 }), L.conv2d({ filters: 2, kernelSize: 3, strides: 2, activation: 'elu' }), L.dropout({ rate: 0.5 }), L.reshape({ targetShape: [18] })],
    flat: true,
  }),
  {
    name: 'Functional residual: Add, Concatenate, Multiply',
    kinked: true,
    loss: 'ce',
    inputShape: [6, 6, 2],
    outputs: 3,
    build: () => {
      const inp = tfl.input({ shape: [6, 6, 2] });
      const a = L.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inp) as tfl.SymbolicTensor;
      const b = L.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(a) as tfl.SymbolicTensor;
      const res = L.add().apply([inp, b]) as tfl.SymbolicTensor;
      const cat = L.concatenate().apply([res, a]) as tfl.SymbolicTensor;
      const gate = L.conv2d({ filters: 4, kernelSize: 1, activation: 'sigmoid' }).apply(cat) as tfl.SymbolicTensor;
      const mul = L.multiply().apply([cat, gate]) as tfl.SymbolicTensor;
      const out = L.dense({ units: 3 }).apply(L.flatten().apply(mul)) as tfl.SymbolicTensor;
      return tfl.model({ inputs: inp, outputs: out });
    },
  },
  { ...denseAct('tanh', false, 'ce-onehot'), name: 'loss: softmax CE, one-hot targets' },
  { ...denseAct('tanh', false, 'mse'), name: 'loss: MSE' },
  { ...denseAct('tanh', false, 'bce'), name: 'loss: binary CE from logits' },
  { ...denseAct('tanh', false, 'ce'), name: 'loss: CE + L2 term', l2: 0.01 },
];
