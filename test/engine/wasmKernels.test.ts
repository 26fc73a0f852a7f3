import test, { type ExecutionContext } from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { installWasmKernels } from '../../src/engine/wasmKernels.ts';

// The order the engine uses: our kernels first, then the wasm package (which registers its own
// MaxPoolGrad / AvgPoolGrad / ... over ours until the backend is set), twice to check idempotence.
tf.env().set('PROD', true);
installWasmKernels();
installWasmKernels();

test.before(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  await tf.setBackend('cpu');
});

type Backend = 'cpu' | 'wasm';
type Shape4 = [number, number, number, number];
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];
type Pad = 'valid' | 'same' | number | ExplicitPad;
type Values = Float32Array | Int32Array | Uint8Array;
interface Input {
  values: Float32Array;
  shape: number[];
}

/** Seeded normal values, generated on cpu so every backend sees identical inputs. */
async function randn(shape: number[], seed: number, mean = 0): Promise<Input> {
  await tf.setBackend('cpu');
  const t = tf.randomNormal(shape, mean, 1, 'float32', seed);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return { values, shape };
}

function map(input: Input, f: (v: number) => number): Input {
  return { values: input.values.map(f), shape: input.shape };
}

/** Runs `kernel` on `backend` with tensors made from `inputs`; returns the outputs' values. */
async function runOn(backend: Backend, kernel: string, inputs: Record<string, Input>, attrs: object): Promise<Values[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values, v.shape);
    const out = tf.engine().runKernel(kernel, ts, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(out) ? out : [out]).map((o) => o.dataSync());
  });
}

/** max |a - e| <= rtol * max(|e|, 1e-6); NaN or a length mismatch never passes. */
function assertClose(t: ExecutionContext, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  t.is(actual.length, expected.length, `${what}: length`);
  let err = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  t.true(err <= rtol * scale, `${what}: max abs error ${err} > ${rtol} * ${scale}`);
}

function convOutShape(x: Shape4, filter: Shape4, strides: number | [number, number], pad: Pad, depthwise: boolean): number[] {
  return tf.backend_util.computeConv2DInfo(x, filter, strides, 1, pad, undefined, depthwise).outShape;
}

const RTOL = 1e-4;

interface ConvCase {
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' },
  { x: [3, 10, 7, 1], filter: [2, 3, 1, 5], strides: [2, 1], pad: 'same' },
  { x: [2, 8, 8, 2], filter: [5, 5, 2, 3], strides: 3, pad: 'same' },
  { x: [2, 9, 8, 2], filter: [2, 2, 2, 3], strides: 3, pad: 'same' },
  { x: [2, 6, 6, 4], filter: [1, 1, 4, 2], strides: 2, pad: 'valid' },
  { x: [2, 7, 6, 3], filter: [3, 3, 3, 2], strides: 1, pad: 1 },
  // Padding wider than the filter: the transposed conv needs negative padding.
  { x: [2, 7, 6, 3], filter: [2, 2, 3, 2], strides: 2, pad: 3 },
  { x: [2, 7, 6, 3], filter: [3, 3, 3, 2], strides: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
];

function describe(c: ConvCase, extra = ''): string {
  return `x ${c.x} filter ${c.filter} strides ${c.strides} pad ${JSON.stringify(c.pad)}${extra}`;
}

test.serial('Conv2DBackpropFilter on wasm matches cpu (strides 1-3, same / valid / numeric / explicit padding)', async (t) => {
  let seed = 100;
  for (const c of CONV_CASES) {
    const x = await randn(c.x, seed++);
    const dy = await randn(convOutShape(c.x, c.filter, c.strides, c.pad, false), seed++);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
    const [want] = await runOn('cpu', 'Conv2DBackpropFilter', { x, dy }, attrs);
    const [got] = await runOn('wasm', 'Conv2DBackpropFilter', { x, dy }, attrs);
    assertClose(t, got!, want!, RTOL, describe(c));
  }
});

test.serial('Conv2DBackpropInput on wasm matches cpu', async (t) => {
  let seed = 200;
  for (const c of CONV_CASES) {
    const filter = await randn(c.filter, seed++);
    const dy = await randn(convOutShape(c.x, c.filter, c.strides, c.pad, false), seed++);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
    const [want] = await runOn('cpu', 'Conv2DBackpropInput', { dy, filter }, attrs);
    const [got] = await runOn('wasm', 'Conv2DBackpropInput', { dy, filter }, attrs);
    assertClose(t, got!, want!, RTOL, describe(c));
  }
});

test.serial('Conv2DBackpropFilter on wasm rejects NCHW with a clear error', async (t) => {
  const x = await randn([1, 2, 5, 5], 1);
  const dy = await randn([1, 3, 5, 5], 2);
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] };
  await t.throwsAsync(runOn('wasm', 'Conv2DBackpropFilter', { x, dy }, attrs), { message: /NCHW is not supported/ });
});

test.serial('DepthwiseConv2dNativeBackpropFilter and -Input on wasm match cpu (channel multiplier 1 and 2)', async (t) => {
  let seed = 300;
  for (const c of CONV_CASES) {
    for (const multiplier of [1, 2]) {
      const filterShape: Shape4 = [c.filter[0], c.filter[1], c.x[3], multiplier];
      const x = await randn(c.x, seed++);
      const filter = await randn(filterShape, seed++);
      const dy = await randn(convOutShape(c.x, filterShape, c.strides, c.pad, true), seed++);
      const common = { strides: c.strides, pad: c.pad, dilations: 1 };
      const what = describe({ ...c, filter: filterShape });
      const fAttrs = { ...common, filterShape };
      const [wantF] = await runOn('cpu', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, fAttrs);
      const [gotF] = await runOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, fAttrs);
      assertClose(t, gotF!, wantF!, RTOL, `filter grad, ${what}`);
      const iAttrs = { ...common, inputShape: c.x };
      const [wantI] = await runOn('cpu', 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, iAttrs);
      const [gotI] = await runOn('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, iAttrs);
      assertClose(t, gotI!, wantI!, RTOL, `input grad, ${what}`);
    }
  }
});

interface PoolCase {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same';
}

const POOL_CASES: PoolCase[] = [
  { filterSize: 2, strides: 2, pad: 'valid' },
  { filterSize: 2, strides: 2, pad: 'same' },
  { filterSize: 3, strides: 2, pad: 'valid' },
  { filterSize: 3, strides: 2, pad: 'same' },
  { filterSize: 3, strides: 1, pad: 'same' },
  { filterSize: 2, strides: 1, pad: 'valid' },
  { filterSize: [3, 2], strides: [1, 2], pad: 'same' },
];

const POOL_X: Shape4 = [2, 7, 7, 3];

/** Inputs that break wasm's own kernels: all negative, and small integers with many ties. */
async function poolInputs(seed: number): Promise<Record<string, Input>> {
  const base = await randn(POOL_X, seed);
  return {
    normal: base,
    'all negative': map(base, (v) => v - 10),
    ties: map(base, (v) => Math.round(v) - 2),
  };
}

function poolOutShape(c: PoolCase): number[] {
  return tf.backend_util.computePool2DInfo(POOL_X, c.filterSize, c.strides, 1, c.pad).outShape;
}

async function maxPoolOutput(x: Input, c: PoolCase): Promise<Input> {
  await tf.setBackend('cpu');
  return tf.tidy(() => {
    const y = tf.maxPool(tf.tensor4d(x.values, POOL_X), c.filterSize, c.strides, c.pad);
    return { values: y.dataSync() as Float32Array, shape: y.shape };
  });
}

test.serial('MaxPoolGrad on wasm matches cpu: negative maxima, ties, overlapping windows, same / valid', async (t) => {
  let seed = 400;
  for (const c of POOL_CASES) {
    for (const [kind, x] of Object.entries(await poolInputs(seed++))) {
      const dy = await randn(poolOutShape(c), seed++);
      const output = await maxPoolOutput(x, c);
      const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
      const [want] = await runOn('cpu', 'MaxPoolGrad', { dy, input: x, output }, attrs);
      const [got] = await runOn('wasm', 'MaxPoolGrad', { dy, input: x, output }, attrs);
      assertClose(t, got!, want!, RTOL, `${kind} ${JSON.stringify(c)}`);
    }
  }
});

test.serial('MaxPoolWithArgmax on wasm matches cpu, with and without the batch in the index', async (t) => {
  let seed = 500;
  for (const c of POOL_CASES) {
    for (const [kind, x] of Object.entries(await poolInputs(seed++))) {
      for (const includeBatchInIndex of [false, true]) {
        const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad, includeBatchInIndex };
        const [wantV, wantI] = await runOn('cpu', 'MaxPoolWithArgmax', { x }, attrs);
        const [gotV, gotI] = await runOn('wasm', 'MaxPoolWithArgmax', { x }, attrs);
        const what = `${kind} ${JSON.stringify(attrs)}`;
        assertClose(t, gotV!, wantV!, 0, `values, ${what}`);
        t.deepEqual(Array.from(gotI!), Array.from(wantI!), `indexes, ${what}`);
      }
    }
  }
});

/**
 * The exact gradient of sum(avgPool(x) * dy) w.r.t. x: the loss is linear in x, so its
 * derivative along e_i is loss(e_i), computed with cpu's AvgPool forward on every basis
 * vector at once (stacked along the batch axis).
 */
async function avgPoolGradReference(dy: Input, c: PoolCase): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const [B, H, W, C] = POOL_X;
  const n = B * H * W * C;
  return tf.tidy(() => {
    const basis = tf.reshape(tf.eye(n), [n * B, H, W, C]) as tf.Tensor4D;
    const pooled = tf.avgPool(basis, c.filterSize, c.strides, c.pad);
    const dyAll = tf.tile(tf.tensor(dy.values, dy.shape), [n, 1, 1, 1]);
    return tf.sum(tf.reshape(tf.mul(pooled, dyAll), [n, -1]), 1).dataSync() as Float32Array;
  });
}

test.serial('AvgPoolGrad on wasm is the exact gradient of AvgPool; equals cpu where no window is clipped', async (t) => {
  let seed = 600;
  for (const c of POOL_CASES) {
    const x = await randn(POOL_X, seed++);
    const dy = await randn(poolOutShape(c), seed++);
    const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
    const [got] = await runOn('wasm', 'AvgPoolGrad', { dy, input: x }, attrs);
    assertClose(t, got!, await avgPoolGradReference(dy, c), RTOL, `reference, ${JSON.stringify(c)}`);
    // cpu's AvgPoolGrad divides clipped ('same') windows by the full window size, so it only
    // agrees where padding clips nothing.
    if (c.pad === 'valid') {
      const [want] = await runOn('cpu', 'AvgPoolGrad', { dy, input: x }, attrs);
      assertClose(t, got!, want!, RTOL, `cpu, ${JSON.stringify(c)}`);
    }
  }
});

/** sum(conv2d(x, w)^2) on the current backend, summed in float64. */
function convLoss(x: tf.Tensor4D, w: Float32Array, shape: Shape4, strides: number, pad: Pad): number {
  const y = tf.tidy(() => tf.conv2d(x, tf.tensor4d(w, shape), strides, pad).dataSync());
  let s = 0;
  for (const v of y) s += v * v;
  return s;
}

test.serial('grad of sum(conv2d(x, w)^2) w.r.t. w on wasm equals central finite differences (rel 1e-3)', async (t) => {
  // The loss is quadratic in w, so central differences are exact but for float32 rounding of
  // y (summed in float64 here): with eps = 1e-2 the error is ~1e-5 of the largest component.
  const eps = 1e-2;
  const shape: Shape4 = [3, 3, 2, 3];
  for (const [strides, pad] of [[1, 'same'], [2, 'same'], [2, 'valid']] as const) {
    const xIn = await randn([2, 7, 6, 2], 700);
    const wIn = await randn(shape, 701);
    await tf.setBackend('wasm');
    const x = tf.tensor4d(xIn.values, xIn.shape as Shape4);
    const grad = tf.tidy(() =>
      tf.grad((w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, strides, pad))))(
        tf.tensor4d(wIn.values, shape),
      ).dataSync(),
    );
    const fd = wIn.values.map((_, i) => {
      const plus = wIn.values.slice();
      const minus = wIn.values.slice();
      plus[i]! += eps;
      minus[i]! -= eps;
      return (convLoss(x, plus, shape, strides, pad) - convLoss(x, minus, shape, strides, pad)) / (2 * eps);
    });
    x.dispose();
    assertClose(t, grad, fd, 1e-3, `strides ${strides} ${pad}`);
  }
});

/** A small net through every kernel above: conv, depthwise conv, max pool of negatives, avg pool. */
function netLoss(x: tf.Tensor4D, w1: tf.Tensor4D, w2: tf.Tensor4D): tf.Scalar {
  const h1 = tf.conv2d(x, w1, 1, 'same');
  const h2 = tf.depthwiseConv2d(h1, w2, 2, 'same');
  const h3 = tf.maxPool(tf.sub(tf.tanh(h2), 2) as tf.Tensor4D, 3, 2, 'same');
  const h4 = tf.avgPool(h3, 2, 1, 'valid');
  return tf.sum(tf.square(h4));
}

async function netGrads(backend: Backend, inputs: Input[]): Promise<Values[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const [x, w1, w2] = inputs.map((v) => tf.tensor4d(v.values, v.shape as Shape4));
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => netLoss(x!, a as tf.Tensor4D, b as tf.Tensor4D))([w1!, w2!]);
    return grads.map((g) => g.dataSync());
  });
}

test.serial('gradients of a conv / depthwise / max-pool / avg-pool net agree between wasm and cpu', async (t) => {
  const inputs = [await randn([4, 12, 12, 2], 800), await randn([3, 3, 2, 4], 801), await randn([3, 3, 4, 2], 802)];
  const want = await netGrads('cpu', inputs);
  const got = await netGrads('wasm', inputs);
  assertClose(t, got[0]!, want[0]!, RTOL, 'conv filter');
  assertClose(t, got[1]!, want[1]!, RTOL, 'depthwise filter');
});

test.serial('installWasmKernels is idempotent once the wasm backend is running', async (t) => {
  const x = map(await randn(POOL_X, 900), (v) => v - 10);
  const c = POOL_CASES[3]!;
  const dy = await randn(poolOutShape(c), 901);
  const output = await maxPoolOutput(x, c);
  const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
  const [before] = await runOn('wasm', 'MaxPoolGrad', { dy, input: x, output }, attrs);
  installWasmKernels();
  await tf.setBackend('cpu');
  const [after] = await runOn('wasm', 'MaxPoolGrad', { dy, input: x, output }, attrs);
  t.deepEqual(Array.from(after!), Array.from(before!));
});

test.serial('no tensors or wasm buffers leak over 100 gradient steps inside tf.tidy', async (t) => {
  const inputs = [await randn([2, 8, 8, 2], 1000), await randn([3, 3, 2, 4], 1001), await randn([3, 3, 4, 2], 1002)];
  await tf.setBackend('wasm');
  const [x, w1, w2] = inputs.map((v) => tf.tensor4d(v.values, v.shape as Shape4));
  const step = () =>
    tf.tidy(() => {
      tf.grads((a: tf.Tensor, b: tf.Tensor) => netLoss(x!, a as tf.Tensor4D, b as tf.Tensor4D))([w1!, w2!]);
      const argmax = tf.maxPoolWithArgmax(tf.neg(tf.abs(x!)) as tf.Tensor4D, 2, 2, 'same');
      tf.conv2dTranspose(argmax.result as tf.Tensor4D, tf.ones([2, 2, 2, 2]) as tf.Tensor4D, [2, 8, 8, 2], 2, 'same');
    });
  step();
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const tensors = tf.memory().numTensors;
  const buffers = backend.numDataIds();
  for (let i = 0; i < 100; i++) step();
  t.is(tf.memory().numTensors, tensors);
  t.is(backend.numDataIds(), buffers, 'data buffers held by the wasm backend (kernel intermediates)');
  for (const v of [x, w1, w2]) v!.dispose();
});
