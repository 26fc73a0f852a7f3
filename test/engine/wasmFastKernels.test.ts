/**
 * The fast wasm kernels (src/engine/wasmFastKernels.ts) give the values of the wasm package's
 * own kernels (and of cpu), on shapes that take the fast path and on shapes that fall back,
 * and leak no wasm buffers.
 */
import test, { type ExecutionContext } from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { useBackend } from '../helpers/engine.ts';
import { ensureWasmFastKernels, fastPathCounts, useWasmFastKernels, WASM_FAST_KERNELS } from '../../src/engine/wasmFastKernels.ts';

tf.env().set('PROD', true);

test.before(async () => {
  await useBackend('wasm');
  ensureWasmFastKernels();
});

test.after.always(() => {
  useWasmFastKernels(WASM_FAST_KERNELS);
});

type Inputs = Record<string, { values: Float32Array | Int32Array; shape: number[]; dtype?: 'float32' | 'int32' }>;

/** Seeded values in [-2, 2) from a small LCG (backend-independent). */
function values(n: number, seed: number, offset = 0): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 4 - 2 + offset;
  }
  return out;
}
const input = (shape: number[], seed: number, offset = 0) => ({ values: values(shape.reduce((a, b) => a * b, 1), seed, offset), shape });

/** Runs `kernel` on `backend` (wasm with the fast kernels `fast` or not); returns output values and shapes. */
async function run(backend: 'cpu' | 'wasm', fast: boolean, kernel: string, inputs: Inputs, attrs: object) {
  await tf.setBackend(backend);
  useWasmFastKernels(fast ? WASM_FAST_KERNELS : []);
  return tf.tidy(() => {
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values, v.shape, v.dtype ?? 'float32');
    const out = tf.engine().runKernel(kernel, ts, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(out) ? out : [out]).map((o) => ({ values: o.dataSync(), shape: o.shape }));
  });
}

function assertClose(t: ExecutionContext, got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, what: string): void {
  t.is(got.length, want.length, `${what}: length`);
  let err = 0;
  let scale = 1e-6;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  t.true(err <= rtol * scale, `${what}: max abs error ${err} > ${rtol} * ${scale}`);
}

/** Fast wasm against the package's wasm kernel and against cpu; `fastPath`: whether the fast path must be taken. */
async function check(t: ExecutionContext, kernel: string, inputs: Inputs, attrs: object, rtol: number, what: string, fastPath?: boolean) {
  const n0 = fastPathCounts[kernel] ?? 0;
  const fast = await run('wasm', true, kernel, inputs, attrs);
  if (fastPath !== undefined) t.is((fastPathCounts[kernel] ?? 0) > n0, fastPath, `${what}: fast path taken`);
  const slow = await run('wasm', false, kernel, inputs, attrs);
  const cpu = await run('cpu', false, kernel, inputs, attrs);
  t.is(fast.length, slow.length);
  fast.forEach((f, i) => {
    t.deepEqual(f.shape, slow[i]!.shape, `${what}: shape`);
    assertClose(t, f.values, slow[i]!.values, rtol, `${what} vs the wasm package`);
    assertClose(t, f.values, cpu[i]!.values, rtol, `${what} vs cpu`);
  });
}

test.serial('BatchMatMul with transposed operands (2-D and batched) matches the package and cpu', async (t) => {
  let seed = 1;
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    for (const batch of [[], [1], [3]]) {
      const a = input([...batch, ...(ta ? [70, 50] : [50, 70])], seed++);
      const b = input([...batch, ...(tb ? [40, 70] : [70, 40])], seed++);
      await check(t, 'BatchMatMul', { a, b }, { transposeA: ta, transposeB: tb }, 1e-5, `transposeA ${ta} transposeB ${tb} batch [${batch}]`, (ta || tb) && batch[0] !== 3);
    }
  }
});

test.serial('Sum and Mean over leading axes (fast path) and other axes (package) match', async (t) => {
  const x = input([6, 9, 7, 5], 11, 0.5);
  const x5 = input([3, 4, 6, 5, 2], 12, 0.5);
  const cases: [typeof x, number[], boolean, boolean][] = [
    [x, [0, 1, 2], false, true],
    [x, [0, 1, 2], true, true],
    [x, [2, 0, 1], false, true],
    [x, [0, 1], false, false],
    [x, [1, 2], false, false],
    [x, [3], true, false],
    [x, [0, 1, 2, 3], false, false],
    [x5, [0, 1, 2], false, true],
    [x5, [0, 1, 2, 3], true, true],
  ];
  for (const [inp, axis, keepDims, fastPath] of cases) {
    // Below 2^14 elements the fast path is skipped: repeat along the first axis so it is taken.
    const copies = Math.ceil(2 ** 14 / inp.values.length) + 1;
    const big = { values: new Float32Array(inp.values.length * copies), shape: [inp.shape[0]! * copies, ...inp.shape.slice(1)] };
    for (let k = 0; k < copies; k++) big.values.set(inp.values.map((v) => v * (1 + k / 8)), k * inp.values.length);
    for (const kernel of ['Sum', 'Mean']) {
      await check(t, kernel, { x: big }, { axis, keepDims }, 2e-5, `${kernel} [${big.shape}] axis [${axis}] keepDims ${keepDims}`, fastPath);
    }
  }
});

test.serial('binary ops broadcasting a per-channel tensor (either operand) match', async (t) => {
  const x = input([40, 13, 11, 8], 21);
  const c = input([8], 22, 3);
  const c4 = input([1, 1, 1, 8], 23, 3);
  const c2 = input([11, 8], 24, 3);
  const same = input([40, 13, 11, 8], 25);
  const row = input([1, 13, 11, 8], 26, 3);
  for (const kernel of ['Multiply', 'Add', 'Sub', 'RealDiv']) {
    for (const [a, b, what, fastPath] of [
      [x, c, '[N,H,W,C] op [C]', true],
      [c, x, '[C] op [N,H,W,C]', true],
      [x, c4, '[N,H,W,C] op [1,1,1,C]', true],
      [c4, x, '[1,1,1,C] op [N,H,W,C]', true],
      [x, c2, '[N,H,W,C] op [W,C]', true],
      [x, same, 'same shapes', false],
      [row, x, '[1,H,W,C] op [N,H,W,C]', false],
    ] as const) {
      await check(t, kernel, { a, b }, {}, 1e-6, `${kernel} ${what}`, fastPath);
    }
  }
});

test.serial('FusedBatchNorm with and without offset and scale matches', async (t) => {
  const x = input([30, 20, 10, 6], 31, 5);
  const mean = input([6], 32, 4);
  const variance = { values: values(6, 33).map((v) => v * v + 0.5), shape: [6] };
  const offset = input([6], 34);
  const scale = input([6], 35);
  for (const [extra, what] of [
    [{ offset, scale }, 'offset and scale'],
    [{ scale }, 'scale only'],
    [{ offset }, 'offset only'],
    [{}, 'neither'],
  ] as const) {
    await check(t, 'FusedBatchNorm', { x, mean, variance, ...extra }, { varianceEpsilon: 1e-3 }, 1e-5, what, true);
  }
});

test.serial('GatherV2 (axes 0 and 1, slices of 1 and more) matches, and rejects an index out of range', async (t) => {
  const x = input([50, 30, 4], 41);
  const flat = input([6000], 42);
  const idx = (n: number, max: number, seed: number) => ({ values: Int32Array.from(values(n, seed), (v) => Math.floor(((v + 2) / 4) * max)), shape: [n], dtype: 'int32' as const });
  await check(t, 'GatherV2', { x: flat, indices: idx(20000, 6000, 43) }, { axis: 0, batchDims: 0 }, 0, '1-D', true);
  await check(t, 'GatherV2', { x, indices: idx(70, 50, 44) }, { axis: 0, batchDims: 0 }, 0, 'axis 0');
  await check(t, 'GatherV2', { x, indices: idx(70, 30, 45) }, { axis: 1, batchDims: 0 }, 0, 'axis 1');
  const bad = { values: Int32Array.from([0, 5, 6000]), shape: [3], dtype: 'int32' as const };
  await t.throwsAsync(run('wasm', true, 'GatherV2', { x: flat, indices: bad }, { axis: 0, batchDims: 0 }), { message: /index value 6000 is not in \[0, 5999\]/ });
});

test.serial('Identity and same-dtype Cast share data: a clone outlives its source, and values are equal', async (t) => {
  await tf.setBackend('wasm');
  useWasmFastKernels(WASM_FAST_KERNELS);
  const before = tf.engine().backend.numDataIds();
  const x = tf.tensor(values(1000, 51));
  const y = tf.clone(x);
  const z = tf.cast(x, 'float32');
  const want = x.dataSync().slice();
  x.dispose();
  t.deepEqual(y.dataSync(), want);
  t.deepEqual(z.dataSync(), want);
  const i = tf.cast(y, 'int32');
  t.is(i.dtype, 'int32');
  tf.dispose([y, z, i]);
  t.is(tf.engine().backend.numDataIds(), before);
});

test.serial('no wasm buffers leak over repeated fast kernels, inside and outside gradients', async (t) => {
  await tf.setBackend('wasm');
  useWasmFastKernels(WASM_FAST_KERNELS);
  const x = tf.tensor(values(40 * 13 * 11 * 8, 61), [40, 13, 11, 8]);
  const c = tf.tensor(values(8, 62));
  const w = tf.variable(tf.tensor(values(8 * 5, 63), [8, 5]));
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.engine().gradients(() => {
        const bn = tf.batchNorm(x, c, tf.add(tf.square(c), 1), c, c);
        const y = tf.matMul(tf.reshape(tf.mul(bn, c), [-1, 8]), w);
        return tf.sum(tf.mul(tf.mean(y, 0), tf.slice(tf.sum(bn, [0, 1, 2]), 0, 5))) as tf.Scalar;
      }, [w]);
      grads[0]!.dataSync();
      tf.gather(tf.reshape(x, [-1]), tf.tensor1d([0, 3, 7], 'int32')).dataSync();
    });
  step();
  const ids = tf.engine().backend.numDataIds();
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) step();
  t.is(tf.engine().backend.numDataIds(), ids);
  t.is(tf.memory().numTensors, tensors);
  tf.dispose([x, c, w]);
});

test.serial('useWasmFastKernels rejects an unknown name', (t) => {
  t.throws(() => useWasmFastKernels(['Conv2D']), { message: /no fast kernel Conv2D/ });
});
