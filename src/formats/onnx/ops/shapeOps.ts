/**
 * Ops that move or select elements: Shape, Reshape, Flatten, Transpose, Concat, Unsqueeze,
 * Squeeze, Slice, Split, Gather, Expand, and the constant makers (Constant,
 * ConstantOfShape, Range). On host operands they compute on the host, so shape arithmetic
 * follows each call's batch size; on engine tensors they use differentiable tfjs ops.
 */
import { tf, type Tensor } from '../../../engine/tf.ts';
import {
  HostTensor,
  broadcastShapes,
  hostConcat,
  hostGather,
  hostMap,
  hostReshape,
  hostSlice,
  hostTranspose,
  isHost,
  sizeOf,
} from '../HostTensor.ts';
import { decodeTensor } from '../tensorProto.ts';
import { OpError, T, allHost, hostValues, normAxis, optionalHostValues, type Value } from './value.ts';
import type { OpFn } from './elementwise.ts';

function need(v: Value | undefined, what: string): Value {
  if (v === undefined) throw new OpError(`${what} is missing`);
  return v;
}

function reshapeValue(x: Value, shape: number[]): Value {
  return isHost(x) ? hostReshape(x, shape) : tf.reshape(x, shape);
}

export const Shape: OpFn = ([x], ctx) => {
  const s = need(x, 'input').shape;
  const r = s.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(ctx.attrs.int('start', 0));
  const end = clamp(ctx.attrs.int('end', r));
  return [HostTensor.vector('int64', s.slice(start, Math.max(start, end)))];
};

export const Reshape: OpFn = ([x, s], ctx) => {
  const data = need(x, 'data');
  const target = ctx.opset < 5 ? (ctx.attrs.ints('shape') ?? []) : hostValues(s, 'shape');
  const allowZero = ctx.attrs.int('allowzero', 0) === 1;
  const out = target.map((d, i) => (d === 0 && !allowZero ? data.shape[i]! : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = sizeOf(data.shape);
  if (out.filter((d) => d === -1).length > 1) throw new OpError(`shape [${target.join(',')}] has more than one -1`);
  const inferred = out.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
  if (sizeOf(inferred) !== total || inferred.some((d) => !Number.isInteger(d))) {
    throw new OpError(`cannot reshape [${data.shape.join(',')}] to [${target.join(',')}]`);
  }
  return [reshapeValue(data, inferred)];
};

export const Flatten: OpFn = ([x], ctx) => {
  const data = need(x, 'input');
  const r = data.shape.length;
  const axis = ctx.attrs.int('axis', 1);
  const a = axis < 0 ? axis + r : axis;
  return [reshapeValue(data, [sizeOf(data.shape.slice(0, a)), sizeOf(data.shape.slice(a))])];
};

export const Transpose: OpFn = ([x], ctx) => {
  const data = need(x, 'input');
  const r = data.shape.length;
  const perm = ctx.attrs.ints('perm') ?? [...Array(r).keys()].reverse();
  return [isHost(data) ? hostTranspose(data, perm) : tf.transpose(data, perm)];
};

export const Concat: OpFn = (inputs, ctx) => {
  const xs = inputs.filter((v): v is Value => v !== undefined);
  if (xs.length === 0) throw new OpError('Concat needs inputs');
  const axis = normAxis(ctx.attrs.int('axis', 0), xs[0]!.shape.length);
  if (allHost(xs)) return [hostConcat(xs as HostTensor[], axis)];
  const nonEmpty = xs.filter((v) => sizeOf(v.shape) > 0);
  const float = nonEmpty.some((v) => (isHost(v) ? v.dtype === 'float32' : v.dtype === 'float32'));
  const ts = nonEmpty.map((v) => (float ? tf.cast(T(v), 'float32') : T(v)));
  return [ts.length === 1 ? ts[0]! : tf.concat(ts, axis)];
};

function axesOf(ctx: Parameters<OpFn>[1], input: Value | undefined): number[] | undefined {
  return ctx.opset >= 13 ? optionalHostValues(input, 'axes') : ctx.attrs.ints('axes');
}

export const Unsqueeze: OpFn = ([x, a], ctx) => {
  const data = need(x, 'data');
  const axes = axesOf(ctx, a) ?? [];
  const r = data.shape.length + axes.length;
  const norm = axes.map((ax) => normAxis(ax, r, 'axes')).sort((p, q) => p - q);
  const out = [...data.shape];
  for (const ax of norm) out.splice(ax, 0, 1);
  return [reshapeValue(data, out)];
};

export const Squeeze: OpFn = ([x, a], ctx) => {
  const data = need(x, 'data');
  const r = data.shape.length;
  const axes = axesOf(ctx, a)?.map((ax) => normAxis(ax, r, 'axes'));
  const drop = new Set(axes ?? data.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
  for (const ax of drop) if (data.shape[ax] !== 1) throw new OpError(`cannot squeeze axis ${ax} of size ${data.shape[ax]}`);
  return [reshapeValue(data, data.shape.filter((_, i) => !drop.has(i)))];
};

/** Strided selection along several axes: per axis start, count, step (any sign). */
function sliceValue(data: Value, starts: number[], counts: number[], steps: number[]): Value {
  if (isHost(data)) return hostSlice(data, starts, counts, steps);
  if (steps.every((s) => s === 1)) return tf.slice(data, starts, counts);
  let t: Tensor = data;
  const begin = starts.map((s, i) => (steps[i] === 1 ? s : 0));
  const size = counts.map((c, i) => (steps[i] === 1 ? c : data.shape[i]!));
  t = tf.slice(t, begin, size);
  steps.forEach((st, axis) => {
    if (st === 1) return;
    const idx = Array.from({ length: counts[axis]! }, (_, k) => starts[axis]! + k * st);
    t = selectAlong(t, axis, tf.tensor1d(idx, 'int32'));
  });
  return t;
}

/**
 * Selects entries along `axis` by integer indices as a product with a one-hot matrix, not
 * tf.gather: its gradient needs UnsortedSegmentSum, which tfjs-backend-wasm lacks, and the
 * product's derivatives are exact at every order. Output: shape[:axis] + idx.shape + shape[axis+1:].
 */
export function selectAlong(data: Tensor, axis: number, idx: Tensor): Tensor {
  const dim = data.shape[axis]!;
  const flatIdx = tf.reshape(idx, [-1]);
  const k = flatIdx.shape[0]!;
  // int32 one-hot then a cast: tfjs-backend-wasm 4.22 writes integer bits into a float32 oneHot.
  const pick = tf.cast(tf.oneHot(flatIdx, dim), 'float32'); // [k, dim]
  const pre = data.shape.slice(0, axis);
  const post = data.shape.slice(axis + 1);
  let y: Tensor;
  if (axis === 0) {
    y = tf.matMul(pick, tf.reshape(data, [dim, -1])); // [k, post]
  } else {
    const rows = tf.reshape(data, [sizeOf(pre), dim, sizeOf(post)]);
    y = tf.matMul(tf.broadcastTo(tf.expandDims(pick, 0), [sizeOf(pre), k, dim]), rows); // [pre, k, post]
  }
  return tf.reshape(y, [...pre, ...idx.shape, ...post]);
}

export const Slice: OpFn = ([x, s, e, a, st], ctx) => {
  const data = need(x, 'data');
  const r = data.shape.length;
  let startsIn: number[];
  let endsIn: number[];
  let axesIn: number[] | undefined;
  let stepsIn: number[] | undefined;
  if (ctx.opset < 10) {
    startsIn = ctx.attrs.ints('starts') ?? [];
    endsIn = ctx.attrs.ints('ends') ?? [];
    axesIn = ctx.attrs.ints('axes');
  } else {
    startsIn = hostValues(s, 'starts');
    endsIn = hostValues(e, 'ends');
    axesIn = optionalHostValues(a, 'axes');
    stepsIn = optionalHostValues(st, 'steps');
  }
  const axes = (axesIn ?? startsIn.map((_, i) => i)).map((ax) => normAxis(ax, r, 'axes'));
  const starts = new Array<number>(r).fill(0);
  const counts = [...data.shape];
  const steps = new Array<number>(r).fill(1);
  axes.forEach((ax, i) => {
    const dim = data.shape[ax]!;
    const step = stepsIn?.[i] ?? 1;
    if (step === 0) throw new OpError('a step of 0');
    let b = startsIn[i]!;
    let en = endsIn[i]!;
    if (b < 0) b += dim;
    if (en < 0) en += dim;
    if (step > 0) {
      b = Math.min(Math.max(b, 0), dim);
      en = Math.min(Math.max(en, 0), dim);
    } else {
      b = Math.min(Math.max(b, 0), dim - 1);
      en = Math.min(Math.max(en, -1), dim - 1);
    }
    starts[ax] = b;
    counts[ax] = Math.max(0, Math.ceil((en - b) / step));
    steps[ax] = step;
  });
  return [sliceValue(data, starts, counts, steps)];
};

export const Split: OpFn = ([x, sp], ctx) => {
  const data = need(x, 'input');
  const r = data.shape.length;
  const axis = normAxis(ctx.attrs.int('axis', 0), r);
  const dim = data.shape[axis]!;
  let sizes = ctx.opset >= 13 ? optionalHostValues(sp, 'split') : ctx.attrs.ints('split');
  if (sizes === undefined || sizes.length === 0) {
    const n = ctx.attrs.int('num_outputs', ctx.outputs);
    const each = Math.ceil(dim / n);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
  }
  if (sizes.reduce((p, q) => p + q, 0) !== dim) throw new OpError(`split sizes [${sizes.join(',')}] do not add up to ${dim}`);
  let off = 0;
  return sizes.map((n) => {
    const starts = new Array<number>(r).fill(0);
    const counts = [...data.shape];
    starts[axis] = off;
    counts[axis] = n;
    off += n;
    return sliceValue(data, starts, counts, new Array<number>(r).fill(1));
  });
};

export const Gather: OpFn = ([x, i], ctx) => {
  const data = need(x, 'data');
  const idx = need(i, 'indices');
  const axis = normAxis(ctx.attrs.int('axis', 0), data.shape.length);
  const dim = data.shape[axis]!;
  if (isHost(idx)) {
    const norm = hostMap('int64', [idx], (v) => (v < 0 ? v + dim : v));
    if (Array.from(norm.data).some((v) => v < 0 || v >= dim)) throw new OpError(`an index is out of range for dimension ${dim}`);
    if (isHost(data)) return [hostGather(data, norm, axis)];
    return [selectAlong(T(data), axis, tf.tensor(Array.from(norm.data), norm.shape, 'int32'))];
  }
  // Indices computed at run time (token ids fed as the input): assumed in range.
  return [selectAlong(T(data), axis, tf.cast(idx, 'int32'))];
};

export const Expand: OpFn = ([x, s]) => {
  const data = need(x, 'input');
  const out = broadcastShapes(data.shape, hostValues(s, 'shape'));
  if (isHost(data)) return [hostMap(data.dtype, [data, new HostTensor(data.dtype, out, new Array<number>(sizeOf(out)).fill(0))], (v) => v)];
  return [tf.broadcastTo(data, out)];
};

export const Constant: OpFn = (_inputs, ctx) => {
  const t = ctx.attrs.tensor('value');
  if (t) return [decodeTensor(t, 'Constant value')];
  if (ctx.attrs.has('value_float')) return [HostTensor.scalar('float32', ctx.attrs.float('value_float', 0))];
  if (ctx.attrs.has('value_floats')) return [HostTensor.vector('float32', ctx.attrs.floats('value_floats')!)];
  if (ctx.attrs.has('value_int')) return [HostTensor.scalar('int64', ctx.attrs.int('value_int', 0))];
  if (ctx.attrs.has('value_ints')) return [HostTensor.vector('int64', ctx.attrs.ints('value_ints')!)];
  throw new OpError(`Constant has none of the supported attributes (has ${ctx.attrs.names().join(', ') || 'none'})`);
};

export const ConstantOfShape: OpFn = ([s], ctx) => {
  const shape = hostValues(s, 'shape');
  const t = ctx.attrs.tensor('value');
  const v = t ? decodeTensor(t, 'ConstantOfShape value') : HostTensor.scalar('float32', 0);
  return [new HostTensor(v.dtype, shape, new Array<number>(sizeOf(shape)).fill(v.data[0] ?? 0))];
};

export const Range: OpFn = ([a, b, d]) => {
  const start = hostValues(a, 'start')[0]!;
  const limit = hostValues(b, 'limit')[0]!;
  const delta = hostValues(d, 'delta')[0]!;
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  return [HostTensor.vector((a as HostTensor).dtype, Array.from({ length: n }, (_, k) => start + k * delta))];
};
