/**
 * Kernels that tfjs-backend-wasm 4.22 lacks or gets wrong, registered through tfjs's public
 * kernel registry so that first-order training is correct on wasm:
 *
 * - Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput:
 *   missing, so any conv filter gradient (and any depthwise gradient) throws.
 * - MaxPoolGrad, MaxPoolWithArgmax: wrong when a window's maximum is negative (the argmax
 *   falls back to index 0).
 * - AvgPoolGrad: where 'same' (or numeric) padding clips a window it divides by the full
 *   window size, while AvgPool divides by the clipped count, so the gradient is not the
 *   gradient of the forward op (the cpu kernel has the same bug; this fixes wasm only).
 * - Conv2DBackpropInput: correct but a scalar C++ loop, ~7x slower than the forward conv.
 *
 * The conv kernels but the depthwise filter gradient are composed from wasm's own Transpose /
 * Conv2D / DepthwiseConv2dNative / Slice / Sum at the TensorInfo level (XNNPACK does the
 * arithmetic); the others are loops over the wasm heap, whichever measured faster
 * (bench/wasmKernels.bench.ts). All are NHWC only, like the wasm backend itself.
 */
import { tf } from './tf.ts';

type TensorInfo = tf.TensorInfo;
type Shape4 = [number, number, number, number];
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];
type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The part of tfjs-backend-wasm's BackendWasm these kernels use (kept local: no import of the package). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

const WASM = 'wasm';

function wasmBackend(args: KernelArgs): WasmBackend {
  return args.backend as WasmBackend;
}

/** Runs another wasm kernel directly on TensorInfos; the caller owns (and disposes) the result. */
function run(name: string, backend: WasmBackend, inputs: Record<string, TensorInfo>, attrs: tf.NamedAttrMap): TensorInfo {
  const kernel = tf.getKernel(name, WASM);
  if (kernel == null) throw new Error(`wasmKernels: the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/** The same data seen with another shape; only valid while `info` is alive (no refcount taken). */
function view(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

function float32View(backend: WasmBackend, info: TensorInfo): Float32Array {
  const a = backend.typedArrayFromHeap(info);
  if (!(a instanceof Float32Array)) throw new Error(`wasmKernels: expected a float32 tensor, got ${info.dtype}`);
  return a;
}

function explicitPad(top: number, bottom: number, left: number, right: number): ExplicitPad {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

function assertNHWC(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat === 'NCHW') {
    throw new Error(`${kernel} (wasm): dataFormat NCHW is not supported; the wasm backend only runs NHWC`);
  }
}

function assertNoDilation(kernel: string, dilations: number | [number, number] | undefined): void {
  const d = dilations ?? 1;
  if (typeof d === 'number' ? d !== 1 : d[0] !== 1 || d[1] !== 1) {
    throw new Error(`${kernel} (wasm): dilations must be 1, got ${String(d)}`);
  }
}

/**
 * dW[fh, fw, ci, co] = sum over b, oh, ow of x[b, oh*sh + fh - top, ow*sw + fw - left, ci] * dy[b, oh, ow, co].
 * With the batch as the contraction ("channel") axis this is one stride-1 Conv2D of
 * x^T [Ci, H, W, B] with dy^T [OH, OW, B, Co] as the filter, dilated by the forward stride.
 */
function conv2DBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  assertNHWC('Conv2DBackpropFilter', attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { inHeight: H, inWidth: W, inChannels: Ci, outChannels: Co, filterHeight: FH, filterWidth: FW } = info;
  const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const xT = run('Transpose', backend, { x }, { perm: [3, 1, 2, 0] });
  const dyT = run('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
  // Bottom/right padding that makes the output exactly FH x FW; negative means trailing
  // input rows no window reaches, so pad 0 and crop the extra output instead.
  const bottom = FH - H - padInfo.top + (OH - 1) * sh;
  const right = FW - W - padInfo.left + (OW - 1) * sw;
  const conv = run('Conv2D', backend, { x: xT, filter: dyT }, {
    strides: [1, 1],
    dilations: [sh, sw],
    pad: explicitPad(padInfo.top, Math.max(0, bottom), padInfo.left, Math.max(0, right)),
    dataFormat: 'NHWC',
  });
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);
  let cropped = conv;
  if (conv.shape[1] !== FH || conv.shape[2] !== FW) {
    cropped = run('Slice', backend, { x: conv }, { begin: [0, 0, 0, 0], size: [Ci, FH, FW, Co] });
    backend.disposeData(conv.dataId);
  }
  const dW = run('Transpose', backend, { x: cropped }, { perm: [1, 2, 0, 3] });
  backend.disposeData(cropped.dataId);
  return dW;
}

/**
 * dW[fh, fw, c, m] = sum over b, oh, ow of x[b, oh*sh + fh - top, ow*sw + fw - left, c] * dy[b, oh, ow, c*M + m].
 * A loop over the wasm heap: composing it from wasm kernels needs a depthwise conv with an
 * OH x OW filter, which XNNPACK runs slower than this loop (23 vs 19 ms at x [128,28,28,8],
 * 193 vs 74 ms with 32 channels). Partial sums are kept per (fh, fw, ow) so that with stride 1
 * the inner loop runs over contiguous memory, in float64, and reduced over ow at the end.
 */
function depthwiseConv2dNativeBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  assertNoDilation('DepthwiseConv2dNativeBackpropFilter', attrs.dilations);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, true, 'channelsLast');
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, filterHeight: FH, filterWidth: FW } = info;
  const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const M = attrs.filterShape[3];
  const CM = C * M;
  const partial = new Float64Array(FH * FW * OW * CM);
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  const xv = float32View(backend, x);
  const dyv = float32View(backend, dy);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const dyRow = (b * OH + oh) * OW * CM;
      for (let fh = 0; fh < FH; fh++) {
        const xr = oh * sh + fh - padInfo.top;
        if (xr < 0 || xr >= H) continue;
        const xRow = (b * H + xr) * W * C;
        for (let fw = 0; fw < FW; fw++) {
          // Output columns whose input column ow*sw + fw - left lies inside the image.
          const ow0 = Math.max(0, Math.ceil((padInfo.left - fw) / sw));
          const ow1 = Math.min(OW, Math.floor((W - 1 + padInfo.left - fw) / sw) + 1);
          const p = (fh * FW + fw) * OW * CM;
          if (sw === 1 && M === 1) {
            const shift = xRow + (fw - padInfo.left) * C;
            for (let j = ow0 * C, end = ow1 * C; j < end; j++) partial[p + j] += xv[shift + j] * dyv[dyRow + j];
            continue;
          }
          for (let ow = ow0; ow < ow1; ow++) {
            const xo = xRow + (ow * sw + fw - padInfo.left) * C;
            const o = ow * CM;
            for (let c = 0; c < C; c++) {
              const v = xv[xo + c];
              for (let m = 0; m < M; m++) partial[p + o + c * M + m] += v * dyv[dyRow + o + c * M + m];
            }
          }
        }
      }
    }
  }
  const dW = float32View(backend, out);
  for (let k = 0; k < FH * FW; k++) {
    for (let i = 0; i < CM; i++) {
      let s = 0;
      for (let ow = 0; ow < OW; ow++) s += partial[(k * OW + ow) * CM + i];
      dW[k * CM + i] = s;
    }
  }
  return out;
}

/**
 * dy zero-dilated by the forward stride and zero-padded so that a stride-1 'valid' conv with
 * an FH x FW filter yields H x W: dy[b, oh, ow] lands at row top + oh*sh, column left + ow*sw
 * of an [B, H + FH - 1, W + FW - 1, C] tensor; rows or columns outside it (negative padding,
 * possible with explicit pads wider than the filter) are dropped.
 */
function dilateAndPad(backend: WasmBackend, dy: TensorInfo, info: tf.backend_util.Conv2DInfo, top: number, left: number): TensorInfo {
  const { batchSize: B, inHeight: H, inWidth: W, filterHeight: FH, filterWidth: FW } = info;
  const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = info;
  const C = dy.shape[3];
  const Hp = H + FH - 1;
  const Wp = W + FW - 1;
  const out = backend.makeOutput([B, Hp, Wp, C], 'float32');
  const o = float32View(backend, out);
  const dyv = float32View(backend, dy);
  o.fill(0);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const r = top + oh * sh;
      if (r < 0 || r >= Hp) continue;
      for (let ow = 0; ow < OW; ow++) {
        const c = left + ow * sw;
        if (c < 0 || c >= Wp) continue;
        const src = ((b * OH + oh) * OW + ow) * C;
        o.set(dyv.subarray(src, src + C), ((b * Hp + r) * Wp + c) * C);
      }
    }
  }
  return out;
}

/**
 * The input gradient of a conv is the "full" correlation of dy (dilated by the stride) with
 * the spatially flipped filter: a stride-1 conv with padding FH-1-top on top and
 * H + top - (OH-1)*sh - 1 at the bottom (likewise for columns). Returns the padded input and
 * the padding to hand to the conv; when stride is 1 and the padding non-negative, dy itself.
 */
function transposedConvInput(
  backend: WasmBackend, dy: TensorInfo, info: tf.backend_util.Conv2DInfo,
): { input: TensorInfo; pad: ExplicitPad } {
  const { inHeight: H, inWidth: W, filterHeight: FH, filterWidth: FW } = info;
  const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const top = FH - 1 - padInfo.top;
  const left = FW - 1 - padInfo.left;
  const bottom = H + padInfo.top - (OH - 1) * sh - 1;
  const right = W + padInfo.left - (OW - 1) * sw - 1;
  if (sh === 1 && sw === 1 && top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
    return { input: dy, pad: explicitPad(top, bottom, left, right) };
  }
  return { input: dilateAndPad(backend, dy, info, top, left), pad: explicitPad(0, 0, 0, 0) };
}

/**
 * Replaces wasm's own Conv2DBackpropInput, which is correct but a scalar C++ loop (about 7x
 * the forward conv at batch 128): one XNNPACK Conv2D of the (dilated, padded) dy with the
 * flipped filter W'[fh, fw, co, ci] = W[FH-1-fh, FW-1-fw, ci, co].
 */
function conv2DBackpropInput(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  assertNHWC('Conv2DBackpropInput', attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as Shape4, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { inChannels: Ci, outChannels: Co, filterHeight: FH, filterWidth: FW } = info;
  const { input, pad } = transposedConvInput(backend, dy, info);
  const flipped = backend.makeOutput([FH, FW, Co, Ci], 'float32');
  const w = float32View(backend, filter);
  const wf = float32View(backend, flipped);
  for (let fh = 0; fh < FH; fh++) {
    for (let fw = 0; fw < FW; fw++) {
      const src = ((FH - 1 - fh) * FW + (FW - 1 - fw)) * Ci * Co;
      const dst = (fh * FW + fw) * Co * Ci;
      for (let ci = 0; ci < Ci; ci++) {
        for (let co = 0; co < Co; co++) wf[dst + co * Ci + ci] = w[src + ci * Co + co];
      }
    }
  }
  const dx = run('Conv2D', backend, { x: input, filter: flipped }, { strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' });
  if (input !== dy) backend.disposeData(input.dataId);
  backend.disposeData(flipped.dataId);
  return dx;
}

/**
 * The transposed depthwise conv: a stride-1 depthwise conv of the (dilated, padded) dy with
 * the spatially flipped filter, summed over the channel multiplier.
 */
function depthwiseConv2dNativeBackpropInput(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  assertNoDilation('DepthwiseConv2dNativeBackpropInput', attrs.dilations);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as Shape4, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, true, 'channelsLast');
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, filterHeight: FH, filterWidth: FW } = info;
  const M = filter.shape[3];
  const CM = C * M;
  const { input, pad } = transposedConvInput(backend, dy, info);
  const flipped = backend.makeOutput([FH, FW, CM, 1], 'float32');
  const w = float32View(backend, filter);
  const wf = float32View(backend, flipped);
  for (let fh = 0; fh < FH; fh++) {
    for (let fw = 0; fw < FW; fw++) {
      const src = ((FH - 1 - fh) * FW + (FW - 1 - fw)) * CM;
      wf.set(w.subarray(src, src + CM), (fh * FW + fw) * CM);
    }
  }
  const conv = run('DepthwiseConv2dNative', backend, { x: input, filter: flipped }, {
    strides: [1, 1],
    dilations: [1, 1],
    pad,
    dataFormat: 'NHWC',
  });
  if (input !== dy) backend.disposeData(input.dataId);
  backend.disposeData(flipped.dataId);
  if (M === 1) return conv;
  const dx = run('Sum', backend, { x: view(conv, [B, H, W, C, M]) }, { axis: [4], keepDims: false });
  backend.disposeData(conv.dataId);
  return dx;
}

/** Window bounds of pooling output (yR, yC), clipped to the input. */
function poolWindow(info: tf.backend_util.Conv2DInfo, yR: number, yC: number): [number, number, number, number] {
  const r = yR * info.strideHeight - info.padInfo.top;
  const c = yC * info.strideWidth - info.padInfo.left;
  return [
    Math.max(0, r), Math.min(info.inHeight, r + info.effectiveFilterHeight),
    Math.max(0, c), Math.min(info.inWidth, c + info.effectiveFilterWidth),
  ];
}

/**
 * For every window and channel, the flat input index of its maximum: the first strictly
 * greater value in row-major window order, -1 when there is none (all NaN or -Infinity);
 * the same rule as tfjs-backend-cpu's maxPoolPositions, so ties resolve the same way.
 */
function maxPositions(xv: Float32Array | Int32Array | Uint8Array, info: tf.backend_util.Conv2DInfo): Int32Array {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const pos = new Int32Array(B * OH * OW * C);
  const best = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    for (let yR = 0; yR < OH; yR++) {
      for (let yC = 0; yC < OW; yC++) {
        const [r0, r1, c0, c1] = poolWindow(info, yR, yC);
        const o = ((b * OH + yR) * OW + yC) * C;
        best.fill(-Infinity);
        pos.fill(-1, o, o + C);
        for (let xR = r0; xR < r1; xR++) {
          for (let xC = c0; xC < c1; xC++) {
            const off = ((b * H + xR) * W + xC) * C;
            for (let d = 0; d < C; d++) {
              const v = xv[off + d];
              if (v > best[d]) {
                best[d] = v;
                pos[o + d] = off + d;
              }
            }
          }
        }
      }
    }
  }
  return pos;
}

/** dx: each window's dy goes to the position of its maximum, summed where windows overlap. */
function maxPoolGrad(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as Shape4, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = float32View(backend, out);
  const dyv = float32View(backend, dy);
  const pos = maxPositions(backend.typedArrayFromHeap(input), info);
  dx.fill(0);
  for (let i = 0; i < pos.length; i++) {
    const p = pos[i];
    if (p >= 0) dx[p] += dyv[i];
  }
  return out;
}

/** Max values and their flat indices ((b*H + r)*W + c)*C + d, without the b term unless includeBatchInIndex. */
function maxPoolWithArgmax(args: KernelArgs): TensorInfo[] {
  const backend = wasmBackend(args);
  const { x } = args.inputs as { x: TensorInfo };
  const attrs = args.attrs as unknown as tf.MaxPoolWithArgmaxAttrs;
  const info = tf.backend_util.computePool2DInfo(x.shape as Shape4, attrs.filterSize, attrs.strides, 1, attrs.pad);
  const pooled = backend.makeOutput(info.outShape, x.dtype);
  const indexes = backend.makeOutput(info.outShape, 'int32');
  const pv = backend.typedArrayFromHeap(pooled);
  const iv = backend.typedArrayFromHeap(indexes);
  const xv = backend.typedArrayFromHeap(x);
  const pos = maxPositions(xv, info);
  const inPerBatch = info.inHeight * info.inWidth * info.inChannels;
  const outPerBatch = info.outHeight * info.outWidth * info.inChannels;
  for (let i = 0; i < pos.length; i++) {
    const p = pos[i];
    pv[i] = p >= 0 ? xv[p] : -Infinity;
    iv[i] = p < 0 || attrs.includeBatchInIndex ? p : p - Math.floor(i / outPerBatch) * inPerBatch;
  }
  return [pooled, indexes];
}

/** dx: each window's dy spread evenly over the window's in-bounds positions (AvgPool's divisor). */
function avgPoolGrad(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const attrs = args.attrs as unknown as tf.AvgPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as Shape4, attrs.filterSize, attrs.strides, 1, attrs.pad);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = float32View(backend, out);
  const dyv = float32View(backend, dy);
  dx.fill(0);
  const share = new Float32Array(C);
  for (let b = 0; b < B; b++) {
    for (let yR = 0; yR < OH; yR++) {
      for (let yC = 0; yC < OW; yC++) {
        const [r0, r1, c0, c1] = poolWindow(info, yR, yC);
        const count = (r1 - r0) * (c1 - c0);
        if (count <= 0) continue;
        const dyOff = ((b * OH + yR) * OW + yC) * C;
        for (let d = 0; d < C; d++) share[d] = dyv[dyOff + d] / count;
        for (let xR = r0; xR < r1; xR++) {
          for (let xC = c0; xC < c1; xC++) {
            const off = ((b * H + xR) * W + xC) * C;
            for (let d = 0; d < C; d++) dx[off + d] += share[d];
          }
        }
      }
    }
  }
  return out;
}

/** Kernels tfjs-backend-wasm does not register at all. */
const ADDED: readonly tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: WASM, kernelFunc: conv2DBackpropFilter },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: WASM, kernelFunc: depthwiseConv2dNativeBackpropFilter },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: WASM, kernelFunc: depthwiseConv2dNativeBackpropInput },
];

/** Kernels tfjs-backend-wasm registers wrongly (or slowly); importing the package (re)registers its own. */
const REPLACED: readonly tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropInput', backendName: WASM, kernelFunc: conv2DBackpropInput },
  { kernelName: 'MaxPoolGrad', backendName: WASM, kernelFunc: maxPoolGrad },
  { kernelName: 'MaxPoolWithArgmax', backendName: WASM, kernelFunc: maxPoolWithArgmax },
  { kernelName: 'AvgPoolGrad', backendName: WASM, kernelFunc: avgPoolGrad },
];

function ensureRegistered(config: tf.KernelConfig): void {
  const current = tf.getKernel(config.kernelName, config.backendName);
  if (current?.kernelFunc === config.kernelFunc) return;
  if (current != null) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

function ensureReplacements(): void {
  for (const config of REPLACED) ensureRegistered(config);
}

/**
 * Registers the kernels above for the 'wasm' backend; idempotent. Safe before
 * '@tensorflow/tfjs-backend-wasm' is imported: if the package is imported later its own
 * MaxPoolGrad / MaxPoolWithArgmax / AvgPoolGrad overwrite ours, so an added kernel's setupFunc
 * (which tfjs runs whenever the wasm backend is set) puts the replacements back.
 */
export function installWasmKernels(): void {
  const [first, ...rest] = ADDED;
  ensureRegistered({ ...first, setupFunc: ensureReplacements });
  for (const config of rest) ensureRegistered(config);
  ensureReplacements();
}
