import { tf, type Tensor } from './tf.ts';

/**
 * Gradient registrations that make double backward (Hessian-vector products) correct
 * in tfjs-core 4.22, on every backend. They use only the public registration API
 * (`tf.registerGradient` replaces an existing entry), and only public ops, except
 * `tf.engine().runKernel` for the depthwise backprop kernels, which have no exported op.
 *
 * Three defects are fixed (docs/engine.md has the measurements):
 *  1. Gradients that read the op's saved OUTPUT (Sigmoid, Tanh, Exp, Softmax, Elu): the
 *     saved clone is recorded on the tape before the op itself, so the second backward
 *     pass treats it as a constant and the HVP is silently wrong. We recompute from
 *     the saved INPUT with differentiable ops.
 *  2. Kernels that occur inside first-order gradients but have no gradient of their
 *     own (Conv2DBackpropFilter, MaxPoolGrad, the depthwise backprops, and
 *     the comparison / logical ops used for masks). Each is linear in its tensor
 *     arguments or piecewise constant, so its gradient is exact and cheap.
 *  3. AvgPool's first-order gradient is wrong at 'same'-padded borders (below).
 *  4. The Tile gradient issues one Slice+Add per tile (86,000 ops for one CNN HVP);
 *     a reshape + sum is the same sum in one op.
 *
 * And one is replaced for speed only: tfjs's FusedBatchNorm gradient tiles rsqrt(var) to
 * the whole input (0.46 s a CNN gradient at batch 1000 on wasm, most of it) and computes
 * (x - mean) and dy * scale even when neither is used; ours broadcasts and is lazy.
 */

type Attrs = Record<string, unknown>;
type Strides = [number, number] | number;
type Pad = 'valid' | 'same' | number;

/** Kernels whose gradients this module registers; the regression test walks this list. */
export const PATCHED_GRADIENTS = [
  'Sigmoid',
  'Tanh',
  'Exp',
  'Softmax',
  'Elu',
  'Selu',
  'Tile',
  'FusedBatchNorm',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'MaxPoolGrad',
  'AvgPool',
  'Equal',
  'NotEqual',
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'LogicalAnd',
  'LogicalOr',
  'LogicalNot',
  'IsNan',
  'IsFinite',
] as const;

const zeros = (t: Tensor) => () => tf.zeros(t.shape, 'float32');

// The conv backprop kernels have no exported op with every attribute (the depthwise ones none at all).
function runKernel(name: string, inputs: Record<string, Tensor>, attrs: Attrs): Tensor {
  return tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as Tensor;
}

function registerMaskGradients(): void {
  // Comparisons and logical ops produce masks: piecewise constant, so zero gradient. Without
  // these, the backward pass of a backward pass that used a mask (Max, LeakyRelu, Relu6,
  // ClipByValue, Selu, Minimum, Maximum) throws "gradient function not found".
  for (const kernelName of ['Equal', 'NotEqual', 'Greater', 'Less', 'LessEqual', 'GreaterEqual', 'LogicalAnd', 'LogicalOr']) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => {
        const [a, b] = saved as [Tensor, Tensor];
        return { a: zeros(a), b: zeros(b) };
      },
    });
  }
  for (const kernelName of ['LogicalNot', 'IsNan', 'IsFinite']) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (_dy, saved) => ({ x: zeros((saved as Tensor[])[0]!) }),
    });
  }
}

function registerFromInputGradients(): void {
  tf.registerGradient({
    kernelName: 'Sigmoid',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [Tensor];
      return {
        x: () => {
          const s = tf.sigmoid(x);
          return tf.mul(dy as Tensor, tf.mul(s, tf.sub(1, s)));
        },
      };
    },
  });
  tf.registerGradient({
    kernelName: 'Tanh',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [Tensor];
      return { x: () => tf.mul(dy as Tensor, tf.sub(1, tf.square(tf.tanh(x)))) };
    },
  });
  tf.registerGradient({
    kernelName: 'Exp',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [Tensor];
      return { x: () => tf.mul(dy as Tensor, tf.exp(x)) };
    },
  });
  tf.registerGradient({
    kernelName: 'Softmax',
    inputsToSave: ['logits'],
    gradFunc: (dy, saved, attrs) => {
      const [logits] = saved as [Tensor];
      const dim = (attrs as Attrs)['dim'] as number;
      return {
        logits: () => {
          const y = tf.softmax(logits, dim);
          const dyTimesY = tf.mul(dy as Tensor, y);
          return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
        },
      };
    },
  });
  // exp(min(x, 0)) rather than exp(x): the unselected branch of `where` still enters the
  // second backward pass, and exp of a large positive x would turn its 0 * inf into NaN.
  tf.registerGradient({
    kernelName: 'Elu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [Tensor];
      return { x: () => tf.where(tf.greater(x, 0), dy as Tensor, tf.mul(dy as Tensor, tf.exp(tf.minimum(x, 0)))) };
    },
  });
  const SELU_SCALE = 1.0507009873554804934193349852946;
  const SELU_SCALEALPHA = 1.7580993408473768599402175208123;
  tf.registerGradient({
    kernelName: 'Selu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [Tensor];
      return {
        x: () =>
          tf.where(
            tf.greater(x, 0),
            tf.mul(dy as Tensor, SELU_SCALE),
            tf.mul(tf.mul(dy as Tensor, SELU_SCALEALPHA), tf.exp(tf.minimum(x, 0))),
          ),
      };
    },
  });
}

function registerTileGradient(): void {
  tf.registerGradient({
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [Tensor];
      const reps = (attrs as Attrs)['reps'] as number[];
      return {
        x: () => {
          // Tile lays copies out rep-major along each axis, so axis k of dy splits as [reps[k], x.shape[k]].
          const split: number[] = [];
          const repAxes: number[] = [];
          x.shape.forEach((n, k) => {
            split.push(reps[k]!, n);
            repAxes.push(2 * k);
          });
          return tf.reshape(tf.sum(tf.reshape(dy as Tensor, split), repAxes), x.shape);
        },
      };
    },
  });
}

function registerBatchNormGradient(): void {
  // y = (x - mean) * g + offset with g = scale / sqrt(variance + eps), per channel. Per-channel
  // values are broadcast (never tiled), per-channel sums are taken before multiplying by
  // per-channel factors, and nothing is computed for an input off the path (mean and
  // variance are constants in inference mode).
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
      const d = dy as Tensor;
      const eps = (attrs as Attrs)['varianceEpsilon'] as number;
      const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
      const sumTo = (t: Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
      const rsd = () => tf.rsqrt(tf.add(variance, eps));
      const gain = () => (scale == null ? rsd() : tf.mul(rsd(), scale));
      const dyCentred = () => sumTo(tf.mul(d, tf.sub(x, mean)));
      return {
        x: () => tf.mul(d, gain()),
        mean: () => tf.mul(sumTo(d), tf.neg(gain())),
        variance: () => {
          const r = rsd();
          const c = tf.mul(tf.mul(r, tf.mul(r, r)), -0.5);
          return tf.mul(dyCentred(), scale == null ? c : tf.mul(c, scale));
        },
        scale: () => tf.mul(dyCentred(), rsd()),
        offset: () => sumTo(d),
      };
    },
  });
}

/** The attributes the convolution backprop kernels share. */
function convAttrs(a: Attrs): { strides: Strides; pad: Pad; dilations: Strides; dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined } {
  return {
    strides: a['strides'] as Strides,
    pad: a['pad'] as Pad,
    dilations: (a['dilations'] as Strides | undefined) ?? [1, 1],
    dimRoundingMode: a['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  };
}

function registerConvBackpropGradients(): void {
  // dW = Conv2DBackpropFilter(x, dy) is bilinear in (x, dy). Its adjoint w.r.t. x is the
  // transposed convolution of dy by ddW, and w.r.t. dy the convolution of x by ddW.
  tf.registerGradient({
    kernelName: 'Conv2DBackpropFilter',
    inputsToSave: ['x', 'dy'],
    gradFunc: (ddw, saved, attrs) => {
      const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as Attrs;
      const strides = a['strides'] as Strides;
      const pad = a['pad'] as Pad;
      const dataFormat = (a['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC';
      const dimRoundingMode = a['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined;
      return {
        x: () =>
          runKernel(
            'Conv2DBackpropInput',
            { dy, filter: ddw as Tensor },
            { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape },
          ),
        dy: () => tf.conv2d(x, ddw as tf.Tensor4D, strides, pad, dataFormat, 1, dimRoundingMode),
      };
    },
  });
  tf.registerGradient({
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    inputsToSave: ['x', 'dy'],
    gradFunc: (ddw, saved, attrs) => {
      const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dilations, dimRoundingMode } = convAttrs(attrs as Attrs);
      return {
        x: () =>
          runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            { dy, filter: ddw as Tensor },
            { strides, pad, dilations, dimRoundingMode, inputShape: x.shape },
          ),
        dy: () => tf.depthwiseConv2d(x, ddw as tf.Tensor4D, strides, pad, 'NHWC', dilations, dimRoundingMode),
      };
    },
  });
  tf.registerGradient({
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dilations, dimRoundingMode } = convAttrs(attrs as Attrs);
      return {
        dy: () => tf.depthwiseConv2d(ddx as tf.Tensor4D, filter, strides, pad, 'NHWC', dilations, dimRoundingMode),
        filter: () =>
          runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: ddx as Tensor, dy },
            { strides, pad, dilations, dimRoundingMode, filterShape: filter.shape },
          ),
      };
    },
  });
}

function registerPoolGradGradients(): void {
  // MaxPoolGrad(dy, x, y) routes each dy entry to its window's argmax: linear in dy, and
  // piecewise constant in x and y. Its adjoint w.r.t. dy gathers ddx at those argmax positions.
  tf.registerGradient({
    kernelName: 'MaxPoolGrad',
    inputsToSave: ['dy', 'input', 'output'],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, input, output] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const a = attrs as Attrs;
      const filterSize = a['filterSize'] as Strides;
      const strides = a['strides'] as Strides;
      const pad = a['pad'] as 'valid' | 'same' | number;
      return {
        dy: () => {
          if (typeof pad === 'number') {
            throw new Error(`MaxPoolGrad gradient: numeric padding (${pad}) is not supported; use 'same' or 'valid'`);
          }
          const { indexes } = tf.maxPoolWithArgmax(input, filterSize, strides, pad, true);
          const picked = tf.gather(tf.reshape(ddx as Tensor, [-1]), tf.reshape(indexes, [-1]));
          indexes.dispose();
          return tf.reshape(picked, dy.shape);
        },
        input: zeros(input),
        output: zeros(output),
      };
    },
  });
  // tfjs's AvgPool gradient divides by the full window size, but its forward pass (cpu, wasm)
  // averages over the window cells inside the input only, so with 'same' padding the
  // first-order gradient itself is wrong at the borders. We differentiate the forward
  // definition: dx = (windowed-sum)' (dy / count), the adjoint being a depthwise transposed
  // convolution by a ones filter, whose own gradient is registered above.
  tf.registerGradient({
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor4D];
      const a = attrs as Attrs;
      return {
        x: () => {
          const info = tf.backend_util.computePool2DInfo(
            x.shape,
            a['filterSize'] as Strides,
            a['strides'] as Strides,
            1,
            a['pad'] as Pad,
            a['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
          );
          const invCount = tf.tensor4d(inverseWindowCounts(info), [1, info.outHeight, info.outWidth, 1]);
          const ones = tf.ones([info.filterHeight, info.filterWidth, info.inChannels, 1]);
          return runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: tf.mul(dy as Tensor, invCount), filter: ones },
            { strides: [info.strideHeight, info.strideWidth], pad: padOf(info), dilations: [1, 1], inputShape: x.shape },
          );
        },
      };
    },
  });
}

/** 1 / (number of input cells inside each pooling window), row-major over the output. */
function inverseWindowCounts(info: tf.backend_util.Conv2DInfo): Float32Array {
  const out = new Float32Array(info.outHeight * info.outWidth);
  const span = (o: number, stride: number, before: number, size: number, extent: number) => {
    const start = o * stride - before;
    return Math.min(start + size, extent) - Math.max(start, 0);
  };
  for (let i = 0; i < info.outHeight; i++) {
    const rows = span(i, info.strideHeight, info.padInfo.top, info.filterHeight, info.inHeight);
    for (let j = 0; j < info.outWidth; j++) {
      const cols = span(j, info.strideWidth, info.padInfo.left, info.filterWidth, info.inWidth);
      out[i * info.outWidth + j] = 1 / (rows * cols);
    }
  }
  return out;
}

/** The forward pass's resolved padding, as explicit NHWC padding for the transposed conv. */
function padOf(info: tf.backend_util.Conv2DInfo): [[number, number], [number, number], [number, number], [number, number]] {
  const p = info.padInfo;
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

/** tfjs's own registrations that we replaced, kept so a test can prove the defects still exist. */
export const ORIGINAL_GRADIENTS = new Map<string, tf.GradConfig | undefined>();

let done = false;
/** Registers every fix above. Idempotent; call before any gradient is taken. */
export function installSecondOrderGradients(): void {
  if (done) return;
  for (const k of PATCHED_GRADIENTS) ORIGINAL_GRADIENTS.set(k, tf.getGradient(k));
  registerMaskGradients();
  registerFromInputGradients();
  registerTileGradient();
  registerBatchNormGradient();
  registerConvBackpropGradients();
  registerPoolGradGradients();
  done = true;
}
