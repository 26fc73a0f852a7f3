/**
 * Times the wasm kernels of src/engine/wasmKernels.ts against the alternative designs (a JS
 * loop over the wasm heap where ours is composed from wasm kernels, and the other way round;
 * tfjs-backend-wasm's own Conv2DBackpropInput), on CNN-sized inputs. Run:
 *   node --import=tsx bench/wasmKernels.bench.ts
 */
import { tf, tfl } from '../src/engine/tf.ts';
import { installWasmKernels } from '../src/engine/wasmKernels.ts';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;
type KernelArgs = Parameters<tf.KernelFunc>[0];
type Shape4 = [number, number, number, number];
interface Heap {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/** Conv2DBackpropFilter as one loop: dW += x patch (outer) dy, accumulated in float64. */
function conv2DBackpropFilterLoop(args: KernelArgs): TensorInfo {
  const backend = args.backend as Heap;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outChannels: Co, filterHeight: FH, filterWidth: FW } = info;
  const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const acc = new Float64Array(FH * FW * Ci * Co);
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  const xv = backend.typedArrayFromHeap(x);
  const dyv = backend.typedArrayFromHeap(dy);
  for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const dyOff = ((b * OH + oh) * OW + ow) * Co;
    for (let fh = 0; fh < FH; fh++) {
      const xr = oh * sh + fh - padInfo.top;
      if (xr < 0 || xr >= H) continue;
      for (let fw = 0; fw < FW; fw++) {
        const xc = ow * sw + fw - padInfo.left;
        if (xc < 0 || xc >= W) continue;
        const xOff = ((b * H + xr) * W + xc) * Ci;
        const wOff = (fh * FW + fw) * Ci * Co;
        for (let ci = 0; ci < Ci; ci++) {
          const v = xv[xOff + ci];
          const base = wOff + ci * Co;
          for (let co = 0; co < Co; co++) acc[base + co] += v * dyv[dyOff + co];
        }
      }
    }
  }
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

/**
 * DepthwiseConv2dNativeBackpropFilter composed from wasm kernels: one stride-1 depthwise conv
 * over (c, b) channel pairs, x as [1, H, W, C*B] and dy as an [OH, OW, C*B, M] filter dilated
 * by the stride, then a sum over b.
 */
function depthwiseFilterComposed(args: KernelArgs): TensorInfo {
  const backend = args.backend as Heap & { disposeData(id: tf.DataId): boolean };
  const run = (name: string, inputs: Record<string, TensorInfo>, attrs: tf.NamedAttrMap) =>
    tf.getKernel(name, 'wasm').kernelFunc({ inputs, backend, attrs }) as TensorInfo;
  const view = (t: TensorInfo, shape: number[]): TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype });
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad, undefined, true);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, filterHeight: FH, filterWidth: FW } = info;
  const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const M = attrs.filterShape[3];
  const xT = run('Transpose', { x }, { perm: [1, 2, 3, 0] });
  const dyT = run('Transpose', { x: view(dy, [B, OH, OW, C, M]) }, { perm: [1, 2, 3, 0, 4] });
  const bottom = Math.max(0, FH - H - padInfo.top + (OH - 1) * sh);
  const right = Math.max(0, FW - W - padInfo.left + (OW - 1) * sw);
  const conv = run('DepthwiseConv2dNative', { x: view(xT, [1, H, W, C * B]), filter: view(dyT, [OH, OW, C * B, M]) }, {
    strides: [1, 1], dilations: [sh, sw], pad: [[0, 0], [padInfo.top, bottom], [padInfo.left, right], [0, 0]], dataFormat: 'NHWC',
  });
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);
  let cropped = conv;
  if (conv.shape[1] !== FH || conv.shape[2] !== FW) {
    cropped = run('Slice', { x: conv }, { begin: [0, 0, 0, 0], size: [1, FH, FW, C * B * M] });
    backend.disposeData(conv.dataId);
  }
  const dW = run('Sum', { x: view(cropped, [FH, FW, C, B, M]) }, { axis: [3], keepDims: false });
  backend.disposeData(cropped.dataId);
  return dW;
}

/** DepthwiseConv2dNativeBackpropInput as one scatter loop. */
function depthwiseInputLoop(args: KernelArgs): TensorInfo {
  const backend = args.backend as Heap;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as Shape4, attrs.strides, 1, attrs.pad, undefined, true);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, filterHeight: FH, filterWidth: FW } = info;
  const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const M = filter.shape[3];
  const CM = C * M;
  const out = backend.makeOutput([B, H, W, C], 'float32');
  const dx = backend.typedArrayFromHeap(out);
  const dyv = backend.typedArrayFromHeap(dy);
  const w = backend.typedArrayFromHeap(filter);
  dx.fill(0);
  for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const dyOff = ((b * OH + oh) * OW + ow) * CM;
    for (let fh = 0; fh < FH; fh++) {
      const xr = oh * sh + fh - padInfo.top;
      if (xr < 0 || xr >= H) continue;
      for (let fw = 0; fw < FW; fw++) {
        const xc = ow * sw + fw - padInfo.left;
        if (xc < 0 || xc >= W) continue;
        const xOff = ((b * H + xr) * W + xc) * C;
        const wOff = (fh * FW + fw) * CM;
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let m = 0; m < M; m++) s += dyv[dyOff + c * M + m] * w[wOff + c * M + m];
          dx[xOff + c] += s;
        }
      }
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(f: () => tf.Tensor, reps = 15): number {
  for (let i = 0; i < 3; i++) f().dispose();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const r = f();
    r.dataSync();
    ts.push(performance.now() - t0);
    r.dispose();
  }
  return median(ts);
}

function withKernel<T>(name: string, kernel: tf.KernelFunc | tf.KernelConfig, f: () => T): T {
  const ours = tf.getKernel(name, 'wasm');
  const config = typeof kernel === 'function' ? { kernelName: name, backendName: 'wasm', kernelFunc: kernel } : kernel;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel(config);
  config.setupFunc?.(tf.backend());
  try {
    return f();
  } finally {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(ours);
  }
}

function backpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4, strides: number, pad: 'same' | 'valid'): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor;
}

function heapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
}

tf.env().set('PROD', true);
// tfjs-backend-wasm's own Conv2DBackpropInput, captured before installWasmKernels replaces it.
const PACKAGE_CONV2D_BACKPROP_INPUT = tf.getKernel('Conv2DBackpropInput', 'wasm');
void BackendWasm;
installWasmKernels();
await tf.setBackend('wasm');
await tf.ready();

const rows: string[] = [];
for (const [stride, pad] of [[1, 'same'], [2, 'same'], [1, 'valid']] as const) {
  const x = tf.randomNormal([128, 28, 28, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
  const fshape: Shape4 = [3, 3, 8, 16];
  const y = tf.conv2d(x, tf.zeros(fshape) as tf.Tensor4D, stride, pad);
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 2) as tf.Tensor4D;
  const conv = () => backpropFilter(x, dy, fshape, stride, pad);
  const composed = time(conv);
  const loop = withKernel('Conv2DBackpropFilter', conv2DBackpropFilterLoop, () => time(conv, 5));
  const fwd = time(() => tf.conv2d(x, tf.zeros(fshape) as tf.Tensor4D, stride, pad));
  const filter = tf.randomNormal(fshape, 0, 1, 'float32', 9) as tf.Tensor4D;
  const runBI = () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter },
    { strides: stride, pad, dataFormat: 'NHWC', inputShape: x.shape }) as tf.Tensor;
  const bi = time(runBI);
  const biNative = withKernel('Conv2DBackpropInput', PACKAGE_CONV2D_BACKPROP_INPUT, () => time(runBI, 5));
  rows.push(`Conv2DBackpropFilter x[128,28,28,8] f3x3x8x16 stride ${stride} ${pad}: composed ${composed.toFixed(1)} ms, JS loop ${loop.toFixed(1)} ms (forward conv2d ${fwd.toFixed(1)} ms)`);
  rows.push(`Conv2DBackpropInput (same sizes, stride ${stride} ${pad}): composed ${bi.toFixed(1)} ms, tfjs-backend-wasm's own ${biNative.toFixed(1)} ms`);

  const dshape: Shape4 = [3, 3, 8, 1];
  const dwy = tf.depthwiseConv2d(x, tf.zeros(dshape) as tf.Tensor4D, stride, pad);
  const ddy = tf.randomNormal(dwy.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
  const dfilter = tf.randomNormal(dshape, 0, 1, 'float32', 4) as tf.Tensor4D;
  const runF = () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: ddy },
    { strides: stride, pad, dilations: 1, filterShape: dshape }) as tf.Tensor;
  const runI = () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: ddy, filter: dfilter },
    { strides: stride, pad, dilations: 1, inputShape: x.shape }) as tf.Tensor;
  const fC = time(runF);
  const fC2 = withKernel('DepthwiseConv2dNativeBackpropFilter', depthwiseFilterComposed, () => time(runF, 5));
  const iC = time(runI);
  const iL = withKernel('DepthwiseConv2dNativeBackpropInput', depthwiseInputLoop, () => time(runI, 5));
  const dfwd = time(() => tf.depthwiseConv2d(x, dfilter, stride, pad));
  rows.push(`Depthwise x[128,28,28,8] f3x3x8x1 stride ${stride} ${pad}: BackpropFilter JS loop ${fC.toFixed(1)} / composed ${fC2.toFixed(1)} ms; BackpropInput composed ${iC.toFixed(1)} / JS loop ${iL.toFixed(1)} ms (forward ${dfwd.toFixed(1)} ms)`);
}

const px = tf.randomNormal([128, 28, 28, 16], 0, 1, 'float32', 5) as tf.Tensor4D;
const py = tf.maxPool(px, 2, 2, 'valid');
const pdy = tf.randomNormal(py.shape, 0, 1, 'float32', 6);
const mpg = time(() => tf.engine().runKernel('MaxPoolGrad', { dy: pdy, input: px, output: py }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor);
const apg = time(() => tf.engine().runKernel('AvgPoolGrad', { dy: pdy, input: px }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor);
const mpf = time(() => tf.maxPool(px, 2, 2, 'valid'));
rows.push(`pool 2x2/2 on [128,28,28,16]: MaxPoolGrad ${mpg.toFixed(1)} ms, AvgPoolGrad ${apg.toFixed(1)} ms (forward maxPool ${mpf.toFixed(1)} ms)`);

// XNNPACK operators are cached per filter tensor; check the composed kernels free them.
const x = tf.randomNormal([32, 28, 28, 8], 0, 1, 'float32', 7) as tf.Tensor4D;
const dy = tf.randomNormal([32, 28, 28, 16], 0, 1, 'float32', 8) as tf.Tensor4D;
for (let i = 0; i < 20; i++) backpropFilter(x, dy, [3, 3, 8, 16], 1, 'same').dispose();
const before = heapBytes();
const tensorsBefore = tf.memory().numTensors;
for (let i = 0; i < 300; i++) backpropFilter(x, dy, [3, 3, 8, 16], 1, 'same').dispose();
rows.push(`300 more Conv2DBackpropFilter calls: wasm heap ${before} -> ${heapBytes()} bytes, tensors ${tensorsBefore} -> ${tf.memory().numTensors}`);

// End to end: one gradient of the built-in CNN (docs/engine.md) (Conv2D 3x3x8, BatchNorm, ReLU, MaxPool 2,
// Flatten, Dense 10 on 28x28x1) over 128 samples.
const cnn = tfl.sequential({
  layers: [
    tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same' }),
    tfl.layers.batchNormalization(),
    tfl.layers.reLU(),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 10 }),
  ],
});
const cx = tf.randomNormal([128, 28, 28, 1], 0, 1, 'float32', 10);
const cy = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32', 11) as tf.Tensor1D, 10);
const weights = cnn.trainableWeights.map((w) => w.read() as tf.Variable);
const cnnGrad = () =>
  tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(cy, cnn.apply(cx, { training: true }) as tf.Tensor) as tf.Scalar, weights);
    return tf.addN(Object.values(grads).map((g) => tf.sum(g)));
  });
rows.push(`CNN gradient, batch 128: ${time(cnnGrad).toFixed(1)} ms`);

console.log(rows.join('\n'));
