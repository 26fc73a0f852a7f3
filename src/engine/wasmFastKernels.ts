/**
 * Faster versions of tfjs-backend-wasm 4.22 kernels that gradients and Hessian-vector
 * products spend most of their time in. Each wraps the package's own kernel and gives the
 * same values (up to float32 rounding); none changes what is computed. Measured on the
 * 2-core machine of docs/engine.md (bench/engine.bench.ts, batch 1000):
 *
 * - BatchMatMul with transposeA or transposeB: the package runs XNNPACK only when neither
 *   flag is set and otherwise a scalar blocked loop, 10-15x slower; every matMul gradient
 *   sets a flag. We transpose the flagged operand (one copy) and call the XNNPACK path.
 *   MLP gradient 5x, HVP 4x faster.
 * - Identity, and Cast to the same dtype: the package copies the data; tfjs-core runs an
 *   Identity for every tensor a gradient saves (and a Cast in its gradient). We share the
 *   data (a reference count), as the cpu backend does.
 * - Sum and Mean over leading axes (a per-channel sum over [N, H, W, C]): the package
 *   transposes the input first (9x an elementwise op); XNNPACK's average pooling over
 *   [H, W] and a short sum over N is 5x faster, and more accurate.
 * - Binary ops broadcasting a small tensor along the innermost axes (x[N, H, W, C] * s[C]):
 *   XNNPACK's broadcast loop is 4x slower than an elementwise op when C is small; we tile
 *   the small operand to a few thousand values and broadcast over the outer axis only.
 * - FusedBatchNorm (a scalar C++ loop, 8x slower than an elementwise op): the same
 *   arithmetic as three tiled elementwise passes.
 * - GatherV2: the package checks each index in JavaScript through a closure (80 ns an
 *   index); a plain loop does the check and the copy (the max-pool second derivative
 *   gathers 1.35M values per CNN HVP at batch 1000).
 *
 * bench/engineAblation.ts measures each (CNN at batch 1000, all together: gradient 3.8x,
 * HVP 3.1x faster, with the BatchNorm gradient and unfusedGradientMode.ts).
 *
 * Installed by ensureWasmFastKernels() (idempotent, a few map look-ups; called before
 * gradients and objectives are built). Safe to call before the wasm package is imported:
 * it does nothing then, and wraps the package's kernels on a later call.
 */
import { tf } from './tf.ts';

type TensorInfo = tf.TensorInfo;
type KernelArgs = Parameters<tf.KernelFunc>[0];

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  incRef(dataId: tf.DataId): void;
}

const WASM = 'wasm';
/** Below this many elements the package's kernels are fast enough; ours would only add calls. */
const MIN_SIZE = 1 << 14;
/** Tiled broadcast operands are made at least this long (values), so XNNPACK runs long rows. */
const MIN_ROW = 1024;

/** How many times each kernel took its fast path (tests check that they do). */
export const fastPathCounts: Record<string, number> = {};
const took = (name: string) => {
  fastPathCounts[name] = (fastPathCounts[name] ?? 0) + 1;
};

/** The package's kernels we wrap, as they were when wrapped. */
const originals = new Map<string, tf.KernelFunc>();
const ours = new Set<tf.KernelFunc>();

function original(name: string): tf.KernelFunc {
  const k = originals.get(name) ?? tf.getKernel(name, WASM)?.kernelFunc;
  if (k == null) throw new Error(`wasmFastKernels: the wasm backend has no ${name} kernel`);
  return k;
}

function call(name: string, backend: WasmBackend, inputs: Record<string, TensorInfo>, attrs: object = {}): TensorInfo {
  return original(name)({ inputs, backend, attrs } as unknown as KernelArgs) as TensorInfo;
}

/** The same data seen with another shape; only valid while `info` is alive (no reference taken). */
function view(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function share(backend: WasmBackend, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

function swapLastTwo(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return call('Transpose', backend, { x }, { perm });
}

function batchMatMul(args: KernelArgs): TensorInfo {
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  // Batched products (outer dims > 1) take the slow loop either way.
  if ((!transposeA && !transposeB) || sizeOf(a.shape.slice(0, -2)) !== 1 || sizeOf(b.shape.slice(0, -2)) !== 1) {
    return original('BatchMatMul')(args) as TensorInfo;
  }
  const backend = args.backend as unknown as WasmBackend;
  took('BatchMatMul');
  const a2 = transposeA ? swapLastTwo(backend, a) : a;
  const b2 = transposeB ? swapLastTwo(backend, b) : b;
  try {
    return call('BatchMatMul', backend, { a: a2, b: b2 }, { transposeA: false, transposeB: false });
  } finally {
    if (a2 !== a) backend.disposeData(a2.dataId);
    if (b2 !== b) backend.disposeData(b2.dataId);
  }
}

function identity(args: KernelArgs): TensorInfo {
  const x = (args.inputs as { x: TensorInfo }).x;
  if (x.dtype === 'string') return original('Identity')(args) as TensorInfo;
  took('Identity');
  return share(args.backend as unknown as WasmBackend, x);
}

function cast(args: KernelArgs): TensorInfo {
  const x = (args.inputs as { x: TensorInfo }).x;
  if (x.dtype === 'string' || x.dtype !== (args.attrs as { dtype?: string }).dtype) return original('Cast')(args) as TensorInfo;
  took('Cast');
  return share(args.backend as unknown as WasmBackend, x);
}

/**
 * Sum or Mean over the leading axes 0..k-1 (k >= 3) of a float32 tensor, e.g. the per-channel
 * sum over [N, H, W, C]. The package transposes the input to bring those axes innermost
 * (9x the cost of an elementwise op); XNNPACK's average pooling reduces the two axes
 * before the kept ones in one pass, in place, and more accurately (window sums, then a
 * short sum over the rest). Null when the shapes are not of that kind.
 */
function reduceLeading(args: KernelArgs, op: 'Sum' | 'Mean'): TensorInfo | null {
  const x = (args.inputs as { x: TensorInfo }).x;
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  const k = axes.length;
  if (k < 3 || k >= rank || !axes.every((ax, i) => ax === i) || x.dtype !== 'float32' || sizeOf(x.shape) < MIN_SIZE) return null;
  const backend = args.backend as unknown as WasmBackend;
  took(op);
  const kept = x.shape.slice(k);
  const r = sizeOf(kept);
  const [h, w] = [x.shape[k - 2]!, x.shape[k - 1]!];
  const a = sizeOf(x.shape.slice(0, k - 2));
  const pooled = call('AvgPool', backend, { x: view(x, [a, h, w, r]) }, { filterSize: [h, w], strides: [h, w], pad: 'valid' });
  const temps = [pooled];
  try {
    let out: TensorInfo;
    if (op === 'Mean') {
      out = call('Mean', backend, { x: view(pooled, [a, r]) }, { axis: [0], keepDims: false });
    } else {
      const count = call('Fill', backend, {}, { shape: [], value: h * w, dtype: 'float32' });
      temps.push(count);
      const windowSums = call('Multiply', backend, { a: view(pooled, [a, r]), b: count });
      temps.push(windowSums);
      out = call('Sum', backend, { x: windowSums }, { axis: [0], keepDims: false });
    }
    out.shape = keepDims ? [...Array(k).fill(1), ...kept] : kept;
    return out;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

function sum(args: KernelArgs): TensorInfo {
  return reduceLeading(args, 'Sum') ?? (original('Sum')(args) as TensorInfo);
}

function mean(args: KernelArgs): TensorInfo {
  return reduceLeading(args, 'Mean') ?? (original('Mean')(args) as TensorInfo);
}

/**
 * How to run big (op) small with `small` broadcast along big's innermost axes, tiled to a
 * row of `row` values; null when the shapes are not of that kind or too small to gain.
 */
function tiledPlan(big: TensorInfo, small: TensorInfo): { row: number; rows: number } | null {
  const s = sizeOf(small.shape);
  const n = sizeOf(big.shape);
  if (s === 1 || s >= MIN_ROW || n < MIN_SIZE || small.shape.length > big.shape.length) return null;
  const dims = small.shape.slice(small.shape.findIndex((d) => d !== 1));
  const tail = big.shape.slice(big.shape.length - dims.length);
  if (!tail.every((d, i) => d === dims[i])) return null;
  // The shortest suffix of big's shape at least MIN_ROW long (a multiple of s), short of the whole.
  let row = s;
  for (let i = big.shape.length - dims.length - 1; i >= 1 && row < MIN_ROW; i--) row *= big.shape[i]!;
  if (row < MIN_ROW || row >= n) return null;
  return { row, rows: n / row };
}

function tiledBinary(name: string) {
  return (args: KernelArgs): TensorInfo => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const aBig = sizeOf(a.shape) >= sizeOf(b.shape);
    const [big, small] = aBig ? [a, b] : [b, a];
    const plan = a.dtype === 'float32' && b.dtype === 'float32' ? tiledPlan(big, small) : null;
    if (plan === null) return original(name)(args) as TensorInfo;
    const backend = args.backend as unknown as WasmBackend;
    took(name);
    const s = sizeOf(small.shape);
    const tiled = call('Tile', backend, { x: view(small, [s]) }, { reps: [plan.row / s] });
    try {
      const bigView = view(big, [plan.rows, plan.row]);
      const out = call(name, backend, aBig ? { a: bigView, b: tiled } : { a: tiled, b: bigView });
      out.shape = big.shape.slice();
      return out;
    } finally {
      backend.disposeData(tiled.dataId);
    }
  };
}

/** A [row] float32 tensor whose value j is f(j % c). */
function tiledVector(backend: WasmBackend, row: number, c: number, f: (ch: number) => number): TensorInfo {
  const out = backend.makeOutput([row], 'float32');
  const v = backend.typedArrayFromHeap(out) as Float32Array;
  for (let ch = 0; ch < c; ch++) v[ch] = f(ch);
  for (let j = c; j < row; j++) v[j] = v[j - c]!;
  return out;
}

function fusedBatchNorm(args: KernelArgs): TensorInfo {
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  const c = x!.shape[x!.shape.length - 1]!;
  const perChannel = (t: TensorInfo | undefined) => t == null || (t.dtype === 'float32' && sizeOf(t.shape) === c && t.shape[t.shape.length - 1] === c);
  const plan = x!.dtype === 'float32' && [mean, variance, offset, scale].every(perChannel) ? tiledPlan(x!, mean!) : null;
  if (plan === null) return original('FusedBatchNorm')(args) as TensorInfo;
  const backend = args.backend as unknown as WasmBackend;
  took('FusedBatchNorm');
  // Read the per-channel values before allocating: an allocation may grow (and move) the heap.
  const read = (t: TensorInfo | undefined) => (t == null ? null : Float32Array.from(backend.typedArrayFromHeap(t) as Float32Array));
  const [m, v, o, g] = [read(mean), read(variance), read(offset), read(scale)];
  const mRow = tiledVector(backend, plan.row, c, (ch) => m![ch]!);
  const sRow = tiledVector(backend, plan.row, c, (ch) => (g ? g[ch]! : 1) / Math.sqrt(v![ch]! + varianceEpsilon));
  const xView = view(x!, [plan.rows, plan.row]);
  const centred = call('Sub', backend, { a: xView, b: mRow });
  const scaled = call('Multiply', backend, { a: centred, b: sRow });
  backend.disposeData(centred.dataId);
  backend.disposeData(mRow.dataId);
  backend.disposeData(sRow.dataId);
  let out = scaled;
  if (o != null) {
    const oRow = tiledVector(backend, plan.row, c, (ch) => o[ch]!);
    out = call('Add', backend, { a: scaled, b: oRow });
    backend.disposeData(scaled.dataId);
    backend.disposeData(oRow.dataId);
  }
  out.shape = x!.shape.slice();
  return out;
}

/**
 * GatherV2 without batch dimensions. The package checks every index in JavaScript through
 * util.assert with a message closure (80 ns an index: 0.1 s for the 1.35M argmax indices
 * of the CNN's max-pool second derivative); a plain loop checks and copies in 2 ns.
 */
function gatherV2(args: KernelArgs): TensorInfo {
  const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
  const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims?: number };
  if ((batchDims ?? 0) !== 0 || indices.dtype !== 'int32' || (x.dtype !== 'float32' && x.dtype !== 'int32')) {
    return original('GatherV2')(args) as TensorInfo;
  }
  const backend = args.backend as unknown as WasmBackend;
  took('GatherV2');
  const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const dim = x.shape[ax]!;
  const outer = sizeOf(x.shape.slice(0, ax));
  const slice = sizeOf(x.shape.slice(ax + 1));
  const outShape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  const out = backend.makeOutput(outShape, x.dtype);
  // Views after the allocation, which may have grown (and moved) the heap.
  const xv = backend.typedArrayFromHeap(x);
  const iv = backend.typedArrayFromHeap(indices);
  const ov = backend.typedArrayFromHeap(out);
  const n = iv.length;
  for (let i = 0; i < n; i++) {
    const k = iv[i]!;
    if (!(k >= 0 && k < dim)) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${k} is not in [0, ${dim - 1}]`);
    }
  }
  if (slice === 1) {
    for (let o = 0; o < outer; o++) {
      const xo = o * dim;
      const oo = o * n;
      for (let i = 0; i < n; i++) ov[oo + i] = xv[xo + iv[i]!]!;
    }
  } else {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < n; i++) {
        const from = (o * dim + iv[i]!) * slice;
        ov.set(xv.subarray(from, from + slice), (o * n + i) * slice);
      }
    }
  }
  return out;
}

const WRAPPERS: Record<string, tf.KernelFunc> = {
  BatchMatMul: batchMatMul as tf.KernelFunc,
  Identity: identity as tf.KernelFunc,
  Cast: cast as tf.KernelFunc,
  Sum: sum as tf.KernelFunc,
  Mean: mean as tf.KernelFunc,
  Multiply: tiledBinary('Multiply') as tf.KernelFunc,
  Add: tiledBinary('Add') as tf.KernelFunc,
  Sub: tiledBinary('Sub') as tf.KernelFunc,
  RealDiv: tiledBinary('RealDiv') as tf.KernelFunc,
  FusedBatchNorm: fusedBatchNorm as tf.KernelFunc,
  GatherV2: gatherV2 as tf.KernelFunc,
};
for (const f of Object.values(WRAPPERS)) ours.add(f);

/** The wrapped kernels' names (tests and benchmarks switch them one by one). */
export const WASM_FAST_KERNELS: readonly string[] = Object.keys(WRAPPERS);

let enabled: readonly string[] = WASM_FAST_KERNELS;
let allWrapped = false;

/**
 * Wraps the wasm package's kernels (those enabled, by default all of the above); idempotent.
 * Does nothing for kernels the wasm package has not registered (not imported yet).
 */
export function ensureWasmFastKernels(): void {
  if (allWrapped) return;
  let present = 0;
  for (const name of enabled) {
    const current = tf.getKernel(name, WASM);
    if (current == null) continue;
    present++;
    if (ours.has(current.kernelFunc)) continue;
    originals.set(name, current.kernelFunc);
    tf.unregisterKernel(name, WASM);
    tf.registerKernel({ ...current, kernelFunc: WRAPPERS[name]! });
  }
  // Once the wasm package is loaded its registrations are final (an import runs once).
  if (present === enabled.length) allWrapped = true;
}

/**
 * Enables only the named fast kernels and puts the wasm package's own back for the others
 * (benchmarks compare them one by one; tests compare them with the originals).
 */
export function useWasmFastKernels(names: readonly string[]): void {
  for (const name of names) {
    if (!(name in WRAPPERS)) throw new Error(`useWasmFastKernels: no fast kernel ${name}; there are ${WASM_FAST_KERNELS.join(', ')}`);
  }
  enabled = [...names];
  allWrapped = false;
  for (const name of WASM_FAST_KERNELS) {
    if (names.includes(name)) continue;
    const current = tf.getKernel(name, WASM);
    const orig = originals.get(name);
    if (current == null || orig == null || !ours.has(current.kernelFunc)) continue;
    tf.unregisterKernel(name, WASM);
    tf.registerKernel({ ...current, kernelFunc: orig });
  }
  ensureWasmFastKernels();
}
