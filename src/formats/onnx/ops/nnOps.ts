/**
 * Network ops: Conv, pooling, normalisation, Gemm / MatMul, Softmax / LogSoftmax, reductions
 * and Pad. Layout: tensors stay NCHW as in ONNX; Conv and pooling transpose to NHWC for
 * tfjs's kernels and back. Padding is always an explicit tf.pad followed by a 'valid'
 * kernel, so every border case (asymmetric pads, auto_pad, ceil_mode) is one code path.
 */
import { tf, type Tensor } from '../../../engine/tf.ts';
import { sizeOf } from '../HostTensor.ts';
import { F, OpError, hostValues, normAxis, optionalHostValues, type OpContext, type Value } from './value.ts';
import type { OpFn } from './elementwise.ts';

const NHWC = [0, 2, 3, 1];
const NCHW = [0, 3, 1, 2];
/** Padding value for max pooling: below any float32 input, and finite (no 0 * inf in gradients). */
const MAX_POOL_PAD = -3.4028234663852886e38;

interface Window2d {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] after auto_pad and ceil_mode. */
  pads: [number, number, number, number];
  /** The part of pads that is ceil_mode's extra (not counted by AveragePool). */
  ceilExtra: [number, number];
}

function pair(v: number[] | undefined, def: number): [number, number] {
  return [v?.[0] ?? def, v?.[1] ?? def];
}

/** Window geometry for a 2-D NCHW input of spatial size [h, w] (1-D ops were lifted to 2-D). */
function window2d(ctx: OpContext, spatial: [number, number], kernel: [number, number], lifted: boolean): Window2d {
  const lift = (v: number[] | undefined, def: number): number[] | undefined => (v && lifted ? [def, ...v] : v);
  const strides = pair(lift(ctx.attrs.ints('strides'), 1), 1);
  const dilations = pair(lift(ctx.attrs.ints('dilations'), 1), 1);
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  let pads: [number, number, number, number];
  if (autoPad === 'NOTSET') {
    const p = ctx.attrs.ints('pads') ?? [0, 0, 0, 0];
    pads = lifted ? [0, p[0] ?? 0, 0, p[1] ?? 0] : [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 0];
  } else if (autoPad === 'VALID') {
    pads = [0, 0, 0, 0];
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = [0, 1].map((i) => {
      const out = Math.ceil(spatial[i]! / strides[i]!);
      return Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!);
    });
    const begin = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)));
    pads = [begin[0]!, begin[1]!, total[0]! - begin[0]!, total[1]! - begin[1]!];
  } else {
    throw new OpError(`auto_pad '${autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  }
  if (pads.some((p) => p < 0)) throw new OpError(`negative pads [${pads.join(',')}]`);
  const ceilExtra: [number, number] = [0, 0];
  if (ctx.attrs.int('ceil_mode', 0) === 1) {
    for (const i of [0, 1]) {
      const span = spatial[i]! + pads[i]! + pads[i + 2]!;
      const eff = (kernel[i]! - 1) * dilations[i]! + 1;
      let out = Math.ceil((span - eff) / strides[i]!) + 1;
      // As PyTorch and ONNX: the last window must start inside the input or its left padding.
      if ((out - 1) * strides[i]! >= spatial[i]! + pads[i]!) out--;
      ceilExtra[i] = Math.max(0, (out - 1) * strides[i]! + eff - span);
    }
  }
  return { kernel, strides, dilations, pads, ceilExtra };
}

function padNhwc(x: Tensor, w: Window2d, value: number, withCeil: boolean): Tensor {
  const [t, l, b, r] = w.pads;
  const eb = withCeil ? w.ceilExtra[0] : 0;
  const er = withCeil ? w.ceilExtra[1] : 0;
  if (t + l + b + r + eb + er === 0) return x;
  return tf.pad(x, [[0, 0], [t, b + eb], [l, r + er], [0, 0]], value);
}

/** Lifts a rank-3 (1-D) NCW tensor to NC1W; rank 4 passes; others are refused. */
function lift(x: Tensor, op: string): { x4: Tensor; lifted: boolean } {
  if (x.rank === 4) return { x4: x, lifted: false };
  if (x.rank === 3) return { x4: tf.expandDims(x, 2), lifted: true };
  throw new OpError(`${op} on rank-${x.rank} input: only 1-D and 2-D (NCW / NCHW) are supported`);
}

function unlift(y: Tensor, lifted: boolean): Tensor {
  return lifted ? tf.squeeze(y, [2]) : y;
}

/** Inserts d-1 zeros between kernel taps along `axis` (differentiable: concat, reshape, slice). */
function dilateKernel(w: Tensor, axis: number, d: number): Tensor {
  if (d === 1) return w;
  const shape = w.shape;
  const k = shape[axis]!;
  const withTaps = tf.expandDims(w, axis + 1);
  const zerosShape = [...withTaps.shape];
  zerosShape[axis + 1] = d - 1;
  const z = tf.concat([withTaps, tf.zeros(zerosShape)], axis + 1);
  const merged = [...shape];
  merged[axis] = k * d;
  const flat = tf.reshape(z, merged);
  const size = [...merged];
  size[axis] = (k - 1) * d + 1;
  return tf.slice(flat, new Array<number>(shape.length).fill(0), size);
}

/**
 * A BatchNormalization (inference) and maybe a Relu folded into the Conv before it:
 * y = relu(s * (conv(x, w) + b - mean) + beta) = relu(conv(x, w * s) + (b - mean) * s + beta)
 * with s = scale / sqrt(var + eps), per output channel (values only: see foldedConvBn).
 */
export interface ConvEpilogue {
  scale: Tensor;
  beta: Tensor;
  mean: Tensor;
  variance: Tensor;
  epsilon: number;
  relu: boolean;
}

function conv(xv: Value | undefined, wv: Value | undefined, bv: Value | undefined, ctx: OpContext, epilogue?: ConvEpilogue): Tensor {
  if (xv === undefined || wv === undefined) throw new OpError('Conv needs X and W');
  const { x4, lifted } = lift(F(xv), 'Conv');
  let w = F(wv);
  if (lifted) w = tf.expandDims(w, 2);
  if (w.rank !== 4) throw new OpError(`W has rank ${w.rank}, expected ${lifted ? 3 : 4}`);
  const [outC, inPerGroup, kh, kw] = w.shape as [number, number, number, number];
  const inC = x4.shape[1]!;
  const group = ctx.attrs.int('group', 1);
  if (inC !== inPerGroup * group || outC % group !== 0) {
    throw new OpError(`X has ${inC} channels, W is [${w.shape.join(',')}] with group ${group}: they do not match`);
  }
  const win = window2d(ctx, [x4.shape[2]!, x4.shape[3]!], [kh, kw], lifted);
  let bias = bv === undefined ? null : F(bv);
  if (epilogue) {
    const s = tf.div(epilogue.scale, tf.sqrt(tf.add(epilogue.variance, epilogue.epsilon)));
    w = tf.mul(w, tf.reshape(s, [outC, 1, 1, 1]));
    bias = tf.add(tf.mul(bias ? tf.sub(bias, epilogue.mean) : tf.neg(epilogue.mean), s), epilogue.beta);
  }
  w = dilateKernel(dilateKernel(w, 2, win.dilations[0]), 3, win.dilations[1]);
  const x = padNhwc(tf.transpose(x4, NHWC), win, 0, false);
  const strides = win.strides;
  let y: Tensor;
  if (group === 1 && epilogue) {
    // bias and ReLU in the convolution's own kernel: no extra pass over its output
    y = tf.fused.conv2d({
      x: x as tf.Tensor4D,
      filter: tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D,
      strides,
      pad: 'valid',
      bias: bias!,
      activation: epilogue.relu ? 'relu' : 'linear',
    });
    return unlift(tf.transpose(y, NCHW), lifted);
  }
  if (group === 1) {
    y = tf.conv2d(x as tf.Tensor4D, tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D, strides, 'valid');
  } else if (inPerGroup === 1 && strides[0] === strides[1]) {
    const mult = outC / inC;
    const f = tf.transpose(tf.reshape(w, [inC, mult, w.shape[2]!, w.shape[3]!]), [2, 3, 0, 1]);
    y = tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, 'valid');
  } else {
    const xs = tf.split(x, group, 3);
    const ws = tf.split(w, group, 0);
    y = tf.concat(
      xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, tf.transpose(ws[g]!, [2, 3, 1, 0]) as tf.Tensor4D, strides, 'valid')),
      3,
    );
  }
  y = tf.transpose(y, NCHW);
  if (bias) y = tf.add(y, tf.reshape(bias, [1, outC, 1, 1]));
  if (epilogue?.relu) y = tf.relu(y);
  return unlift(y, lifted);
}

export const Conv: OpFn = ([xv, wv, bv], ctx) => [conv(xv, wv, bv, ctx)];

/**
 * Conv -> BatchNormalization (inference) (-> Relu) as one convolution (the graph's folded
 * plan, for values only): `convInputs` are the Conv's X, W, B; `bnInputs` the
 * BatchNormalization's scale, B, mean, var.
 */
export function convBatchNorm(convInputs: (Value | undefined)[], bnInputs: (Value | undefined)[], ctx: OpContext, epsilon: number, relu: boolean): Tensor {
  const [sv, bv, mv, vv] = bnInputs;
  if ([sv, bv, mv, vv].some((v) => v === undefined)) throw new OpError('BatchNormalization needs X, scale, B, mean and var');
  const flat = (v: Value) => tf.reshape(F(v), [-1]);
  return conv(convInputs[0], convInputs[1], convInputs[2], ctx, { scale: flat(sv!), beta: flat(bv!), mean: flat(mv!), variance: flat(vv!), epsilon, relu });
}

function poolSetup(xv: Value | undefined, ctx: OpContext, op: string) {
  if (xv === undefined) throw new OpError(`${op} needs X`);
  if (ctx.outputs > 1) throw new OpError(`${op} with an Indices output is not supported`);
  const { x4, lifted } = lift(F(xv), op);
  const k = ctx.attrs.ints('kernel_shape');
  if (!k) throw new OpError('kernel_shape is missing');
  const kernel: [number, number] = lifted ? [1, k[0]!] : [k[0]!, k[1]!];
  const win = window2d(ctx, [x4.shape[2]!, x4.shape[3]!], kernel, lifted);
  if (win.dilations[0] !== 1 || win.dilations[1] !== 1) throw new OpError('dilated pooling is not supported');
  return { x: tf.transpose(x4, NHWC), lifted, win };
}

export const MaxPool: OpFn = ([xv], ctx) => {
  const { x, lifted, win } = poolSetup(xv, ctx, 'MaxPool');
  const y = tf.maxPool(padNhwc(x, win, MAX_POOL_PAD, true) as tf.Tensor4D, win.kernel, win.strides, 'valid');
  return [unlift(tf.transpose(y, NCHW), lifted)];
};

export const AveragePool: OpFn = ([xv], ctx) => {
  const { x, lifted, win } = poolSetup(xv, ctx, 'AveragePool');
  const includePad = ctx.attrs.int('count_include_pad', 0) === 1;
  const [h, w] = [x.shape[1]!, x.shape[2]!];
  const area = win.kernel[0] * win.kernel[1];
  const sum = tf.mul(tf.avgPool(padNhwc(x, win, 0, true) as tf.Tensor4D, win.kernel, win.strides, 'valid'), area);
  // Divisor per output position: the window cells inside the input (plus the explicit pads
  // with count_include_pad); ceil_mode's extra cells never count.
  const ones = tf.ones([1, h, w, 1]);
  const counted = includePad ? padNhwc(ones, win, 1, false) : padNhwc(ones, win, 0, false);
  const extra = includePad ? tf.pad(counted, [[0, 0], [0, win.ceilExtra[0]], [0, win.ceilExtra[1]], [0, 0]]) : padNhwc(ones, win, 0, true);
  const count = tf.mul(tf.avgPool(extra as tf.Tensor4D, win.kernel, win.strides, 'valid'), area);
  return [unlift(tf.transpose(tf.div(sum, count), NCHW), lifted)];
};

function spatialAxes(x: Tensor): number[] {
  return Array.from({ length: x.rank - 2 }, (_, i) => i + 2);
}

export const GlobalAveragePool: OpFn = ([xv]) => {
  const x = F(xv!);
  return [tf.mean(x, spatialAxes(x), true)];
};

export const GlobalMaxPool: OpFn = ([xv]) => {
  const x = F(xv!);
  return [tf.max(x, spatialAxes(x), true)];
};

function channelShape(x: Tensor): number[] {
  return x.shape.map((d, i) => (i === 1 ? d : 1));
}

/**
 * BatchNormalization. Inference: running statistics. training: batch mean and biased
 * variance over every axis but 1 (as PyTorch normalises); onBatchStats gets the batch mean,
 * the UNBIASED variance (n / (n - 1) times the biased one, which is what PyTorch folds into
 * its running variance), n and the node's momentum.
 */
export const BatchNormalization: OpFn = ([xv, sv, bv, mv, vv], ctx) => {
  if ([xv, sv, bv, mv, vv].some((v) => v === undefined)) throw new OpError('BatchNormalization needs X, scale, B, mean and var');
  const x = F(xv!);
  const cs = channelShape(x);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const scale = tf.reshape(F(sv!), cs);
  const bias = tf.reshape(F(bv!), cs);
  let mean: Tensor;
  let variance: Tensor;
  const batchStats = ctx.training || ctx.attrs.int('training_mode', 0) === 1;
  if (batchStats) {
    const axes = x.shape.flatMap((_, i) => (i === 1 ? [] : [i]));
    mean = tf.mean(x, axes, true);
    variance = tf.mean(tf.square(tf.sub(x, mean)), axes, true);
    if (ctx.onBatchStats) {
      const n = sizeOf(x.shape) / x.shape[1]!;
      const info = { count: n, momentum: ctx.attrs.float('momentum', 0.9) };
      ctx.onBatchStats(ctx.inputNames[3]!, ctx.inputNames[4]!, tf.reshape(mean, [-1]), tf.reshape(tf.mul(variance, n / Math.max(n - 1, 1)), [-1]), info);
    }
  } else {
    mean = tf.reshape(F(mv!), cs);
    variance = tf.reshape(F(vv!), cs);
  }
  const y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), scale), bias);
  if (ctx.outputs < 3) return [y];
  // running_mean / running_var outputs (training_mode=1 graphs): ONNX's update, biased variance.
  const m = ctx.attrs.float('momentum', 0.9);
  const run = (r: Value, b: Tensor) => (batchStats ? tf.add(tf.mul(F(r), m), tf.mul(tf.reshape(b, [-1]), 1 - m)) : F(r));
  return [y, run(mv!, mean), run(vv!, variance)];
};

export const LayerNormalization: OpFn = ([xv, sv, bv], ctx) => {
  if (xv === undefined || sv === undefined) throw new OpError('LayerNormalization needs X and Scale');
  const x = F(xv);
  const axis = normAxis(ctx.attrs.int('axis', -1), x.rank);
  const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
  const mean = tf.mean(x, axes, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), axes, true);
  const invStd = tf.rsqrt(tf.add(variance, ctx.attrs.float('epsilon', 1e-5)));
  let y = tf.mul(tf.mul(centred, invStd), F(sv));
  if (bv !== undefined) y = tf.add(y, F(bv));
  return ctx.outputs > 1 ? [y, mean, invStd] : [y];
};

export const Gemm: OpFn = ([av, bv, cv], ctx) => {
  if (av === undefined || bv === undefined) throw new OpError('Gemm needs A and B');
  const alpha = ctx.attrs.float('alpha', 1);
  const beta = ctx.attrs.float('beta', 1);
  let y = tf.matMul(F(av), F(bv), ctx.attrs.int('transA', 0) === 1, ctx.attrs.int('transB', 0) === 1);
  if (alpha !== 1) y = tf.mul(y, alpha);
  if (cv !== undefined && beta !== 0) y = tf.add(y, beta === 1 ? F(cv) : tf.mul(F(cv), beta));
  return [y];
};

/** numpy matmul: 1-D operands are promoted and the added axis removed; batch axes broadcast. */
export const MatMul: OpFn = ([av, bv]) => {
  if (av === undefined || bv === undefined) throw new OpError('MatMul needs A and B');
  let a = F(av);
  let b = F(bv);
  const aVec = a.rank === 1;
  const bVec = b.rank === 1;
  if (aVec) a = tf.expandDims(a, 0);
  if (bVec) b = tf.expandDims(b, 1);
  let y: Tensor;
  if (b.rank === 2 && a.rank > 2) {
    const lead = a.shape.slice(0, -1);
    y = tf.reshape(tf.matMul(tf.reshape(a, [-1, a.shape[a.rank - 1]!]), b), [...lead, b.shape[1]!]);
  } else {
    const r = Math.max(a.rank, b.rank);
    while (a.rank < r) a = tf.expandDims(a, 0);
    while (b.rank < r) b = tf.expandDims(b, 0);
    if (r > 2) {
      const batch = a.shape.slice(0, -2).map((d, i) => Math.max(d, b.shape[i]!));
      a = tf.broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
      b = tf.broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
    }
    y = tf.matMul(a, b);
  }
  if (aVec) y = tf.squeeze(y, [y.rank - 2]);
  if (bVec) y = tf.squeeze(y, [y.rank - 1]);
  return [y];
};

/** max along `axis` with zero gradient: the shift cancels in log-sum-exp at every order. */
const maxNoGradient = (axis: number) =>
  tf.customGrad(((z: Tensor) => ({
    value: tf.max(z, axis, true),
    gradFunc: () => tf.zerosLike(z),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (z: Tensor) => Tensor;

/**
 * x - log(sum(exp(x))) along axis (log-softmax), from primitives with correct second
 * derivatives. The max is subtracted before the log-sum so large logits lose no precision.
 */
export function logSoftmaxAxis(x: Tensor, axis: number): Tensor {
  const shifted = tf.sub(x, maxNoGradient(axis)(x));
  return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true)));
}

/** Applies f along the softmax axis (opset < 13: over the flattened trailing axes). */
function alongAxis(x: Tensor, ctx: OpContext, f: (x: Tensor, axis: number) => Tensor): Tensor {
  if (ctx.opset >= 13) return f(x, normAxis(ctx.attrs.int('axis', -1), x.rank));
  const axis = normAxis(ctx.attrs.int('axis', 1), x.rank);
  const flat = tf.reshape(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))]);
  return tf.reshape(f(flat, 1), x.shape);
}

export const LogSoftmax: OpFn = ([xv], ctx) => [alongAxis(F(xv!), ctx, logSoftmaxAxis)];
export const Softmax: OpFn = ([xv], ctx) => [alongAxis(F(xv!), ctx, (x, a) => tf.exp(logSoftmaxAxis(x, a)))];

function reduce(kind: 'sum' | 'mean' | 'max'): OpFn {
  return ([xv, av], ctx) => {
    const x = F(xv!);
    const axesIn = kind === 'sum' && ctx.opset >= 13 ? optionalHostValues(av, 'axes') : ctx.attrs.ints('axes');
    const keep = ctx.attrs.int('keepdims', 1) === 1;
    if (axesIn === undefined || axesIn.length === 0) {
      if (ctx.attrs.int('noop_with_empty_axes', 0) === 1) return [x];
    }
    const axes = axesIn && axesIn.length > 0 ? axesIn.map((a) => normAxis(a, x.rank, 'axes')) : x.shape.map((_, i) => i);
    const f = kind === 'sum' ? tf.sum : kind === 'mean' ? tf.mean : tf.max;
    return [f(x, axes, keep)];
  };
}

export const ReduceSum = reduce('sum');
export const ReduceMean = reduce('mean');
export const ReduceMax = reduce('max');

export const Pad: OpFn = ([xv, pv, cv], ctx) => {
  if (xv === undefined) throw new OpError('Pad needs data');
  const x = F(xv);
  const pads = ctx.opset < 11 ? (ctx.attrs.ints('pads') ?? []) : hostValues(pv, 'pads');
  const value = ctx.opset < 11 ? ctx.attrs.float('value', 0) : (optionalHostValues(cv, 'constant_value')?.[0] ?? 0);
  const mode = ctx.attrs.string('mode', 'constant');
  const r = x.rank;
  if (pads.length !== 2 * r) throw new OpError(`pads has ${pads.length} values for rank ${r}`);
  if (pads.some((p) => p < 0)) throw new OpError(`negative pads [${pads.join(',')}] are not supported`);
  const paddings = Array.from({ length: r }, (_, i) => [pads[i]!, pads[i + r]!] as [number, number]);
  if (mode === 'constant') return [tf.pad(x, paddings, value)];
  // Not tf.mirrorPad: its gradient in tfjs 4.22 is a plain slice that drops the reflected cells.
  if (mode === 'reflect') return [borderPad(x, paddings, 'reflect')];
  if (mode === 'edge') return [borderPad(x, paddings, 'edge')];
  throw new OpError(`Pad mode '${mode}' is not supported (constant, reflect and edge are)`);
};


/**
 * Edge / reflect padding from slices, broadcasts, reverses and a concat (each with an exact
 * gradient): edge repeats the first / last slice, reflect mirrors around it (excluding it).
 */
function borderPad(x: Tensor, paddings: [number, number][], mode: 'edge' | 'reflect'): Tensor {
  let y = x;
  paddings.forEach(([b, e], axis) => {
    if (b + e === 0) return;
    const dim = y.shape[axis]!;
    if (mode === 'reflect' && (b >= dim || e >= dim)) throw new OpError(`reflect pads [${b},${e}] need an axis longer than ${dim}`);
    const part = (start: number, n: number) =>
      tf.slice(y, y.shape.map((_, i) => (i === axis ? start : 0)), y.shape.map((d, i) => (i === axis ? n : d)));
    const before =
      mode === 'edge' ? tf.broadcastTo(part(0, 1), y.shape.map((d, i) => (i === axis ? b : d))) : tf.reverse(part(1, b), axis);
    const after =
      mode === 'edge' ? tf.broadcastTo(part(dim - 1, 1), y.shape.map((d, i) => (i === axis ? e : d))) : tf.reverse(part(dim - 1 - e, e), axis);
    y = tf.concat([...(b > 0 ? [before] : []), y, ...(e > 0 ? [after] : [])], axis);
  });
  return y;
}
