/**
 * Elementwise ONNX ops: activations, arithmetic with numpy broadcasting, comparisons,
 * Where, Cast, Clip, Pow. Each differentiable one is built from tfjs ops whose first and
 * second derivatives are correct with the engine's gradient fixes.
 */
import { tf, type Tensor } from '../../../engine/tf.ts';
import { HostTensor, hostMap, isHost, broadcastShapes, type HostDtype } from '../HostTensor.ts';
import { hostDtypeOf } from '../tensorProto.ts';
import { F, T, OpError, allHost, hostValues, type OpContext, type Value } from './value.ts';

export type OpFn = (inputs: readonly (Value | undefined)[], ctx: OpContext) => Value[];

function erfJs(x: number): number {
  // Numerical Recipes erfc (Chebyshev fit, fractional error < 1.2e-7); host values only (shape arithmetic).
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    1 -
    t *
      Math.exp(
        -x * x -
          1.26551223 +
          t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return x >= 0 ? y : -y;
}

/** A unary op: the engine rule and, for shape arithmetic, a host rule. */
function unary(engine: (x: Tensor, ctx: OpContext) => Tensor, host?: (v: number, ctx: OpContext) => number): OpFn {
  return ([x], ctx) => {
    if (x === undefined) throw new OpError('input 0 is missing');
    if (isHost(x) && host) return [hostMap(x.dtype, [x], (v) => host(v, ctx))];
    return [engine(F(x), ctx)];
  };
}

const sigmoidJs = (v: number) => 1 / (1 + Math.exp(-v));

function hardSigmoid(x: Tensor, alpha: number, beta: number): Tensor {
  return tf.clipByValue(tf.add(tf.mul(x, alpha), beta), 0, 1);
}

/** alpha * (exp(min(x, 0)) - 1) for x < 0, x otherwise: relu plus elu's negative branch. */
function eluAlpha(x: Tensor, alpha: number): Tensor {
  if (alpha === 1) return tf.elu(x);
  return tf.add(tf.relu(x), tf.mul(tf.elu(tf.minimum(x, 0)), alpha));
}

export const UNARY_OPS: Record<string, OpFn> = {
  Relu: unary((x) => tf.relu(x), (v) => Math.max(v, 0)),
  Sigmoid: unary((x) => tf.sigmoid(x), sigmoidJs),
  Tanh: unary((x) => tf.tanh(x), Math.tanh),
  Exp: unary((x) => tf.exp(x), Math.exp),
  Log: unary((x) => tf.log(x), Math.log),
  Sqrt: unary((x) => tf.sqrt(x), Math.sqrt),
  Neg: unary((x) => tf.neg(x), (v) => -v),
  Abs: unary((x) => tf.abs(x), Math.abs),
  Reciprocal: unary((x) => tf.reciprocal(x), (v) => 1 / v),
  Floor: unary((x) => tf.floor(x), Math.floor),
  Ceil: unary((x) => tf.ceil(x), Math.ceil),
  Erf: unary((x) => tf.erf(x), erfJs),
  Softplus: unary((x) => tf.softplus(x)),
  Softsign: unary((x) => tf.div(x, tf.add(tf.abs(x), 1))),
  Elu: unary((x, c) => eluAlpha(x, c.attrs.float('alpha', 1))),
  Selu: unary((x, c) => {
    const alpha = c.attrs.float('alpha', 1.67326319217681884765625);
    const gamma = c.attrs.float('gamma', 1.05070102214813232421875);
    return tf.mul(eluAlpha(x, alpha), gamma);
  }),
  LeakyRelu: unary((x, c) => {
    const alpha = c.attrs.float('alpha', 0.01);
    return tf.sub(tf.relu(x), tf.mul(tf.relu(tf.neg(x)), alpha));
  }),
  HardSigmoid: unary((x, c) => hardSigmoid(x, c.attrs.float('alpha', 0.2), c.attrs.float('beta', 0.5))),
  HardSwish: unary((x) => tf.mul(x, hardSigmoid(x, 1 / 6, 0.5))),
};

/** PRelu: relu(x) - slope * relu(-x), slope broadcast to x (unidirectionally). */
export const PRelu: OpFn = ([x, slope], ctx) => {
  if (x === undefined || slope === undefined) throw new OpError('PRelu needs X and slope');
  const xs = F(x);
  let s = F(slope);
  // Before opset 7 a 1-D slope of C values applies along the channel axis.
  if (ctx.opset < 7 && s.rank === 1 && xs.rank > 2 && s.shape[0] === xs.shape[1] && s.shape[0] !== 1) {
    s = tf.reshape(s, [s.shape[0]!, ...new Array<number>(xs.rank - 2).fill(1)]);
  }
  return [tf.sub(tf.relu(xs), tf.mul(tf.relu(tf.neg(xs)), s))];
};

function resultDtype(a: Value, b: Value): HostDtype {
  const da = isHost(a) ? a.dtype : a.dtype === 'float32' ? 'float32' : 'int64';
  const db = isHost(b) ? b.dtype : b.dtype === 'float32' ? 'float32' : 'int64';
  return da === 'float32' || db === 'float32' ? 'float32' : da;
}

function binary(engine: (a: Tensor, b: Tensor) => Tensor, host: (a: number, b: number, dtype: HostDtype) => number, compare = false): OpFn {
  return ([a, b]) => {
    if (a === undefined || b === undefined) throw new OpError('needs two inputs');
    const dtype = resultDtype(a, b);
    if (isHost(a) && isHost(b)) {
      broadcastShapes(a.shape, b.shape);
      return [hostMap(compare ? 'bool' : dtype, [a, b], (x, y) => host(x, y, dtype))];
    }
    if (dtype === 'float32') return [engine(F(a), F(b))];
    return [engine(T(a), T(b))];
  };
}

export const BINARY_OPS: Record<string, OpFn> = {
  Add: binary(tf.add, (x, y) => x + y),
  Sub: binary(tf.sub, (x, y) => x - y),
  Mul: binary(tf.mul, (x, y) => x * y),
  Div: binary(tf.div, (x, y, d) => (d === 'float32' ? x / y : Math.trunc(x / y))),
  Equal: binary(tf.equal, (x, y) => (x === y ? 1 : 0), true),
  Less: binary(tf.less, (x, y) => (x < y ? 1 : 0), true),
  Greater: binary(tf.greater, (x, y) => (x > y ? 1 : 0), true),
};

/** x ** y; constant exponents 1, 2 and 0.5 use identity, square and sqrt (exact derivatives). */
export const Pow: OpFn = ([x, y]) => {
  if (x === undefined || y === undefined) throw new OpError('Pow needs X and Y');
  if (isHost(x) && isHost(y)) return [hostMap(x.dtype, [x, y], Math.pow)];
  if (isHost(y) && y.size === 1 && y.rank <= 1) {
    const e = y.data[0]!;
    const xs = F(x);
    if (e === 1) return [xs];
    if (e === 2) return [tf.square(xs)];
    if (e === 0.5) return [tf.sqrt(xs)];
    if (e === 3) return [tf.mul(tf.square(xs), xs)];
    return [tf.pow(xs, tf.scalar(e))];
  }
  return [tf.pow(F(x), F(y))];
};

/** Clip(x, min, max) (inputs from opset 11, attributes before). */
export const Clip: OpFn = ([x, lo, hi], ctx) => {
  if (x === undefined) throw new OpError('Clip needs X');
  const min = lo !== undefined ? hostValues(lo, 'Clip min')[0]! : ctx.opset < 11 ? ctx.attrs.float('min', -Infinity) : -Infinity;
  const max = hi !== undefined ? hostValues(hi, 'Clip max')[0]! : ctx.opset < 11 ? ctx.attrs.float('max', Infinity) : Infinity;
  if (isHost(x)) return [hostMap(x.dtype, [x], (v) => Math.min(Math.max(v, min), max))];
  const xs = F(x);
  if (min === -Infinity && max === Infinity) return [xs];
  if (max === Infinity) return [tf.maximum(xs, min)];
  if (min === -Infinity) return [tf.minimum(xs, max)];
  return [tf.clipByValue(xs, min, max)];
};

/** Where(cond, X, Y); cond is normally a constant mask. */
export const Where: OpFn = ([c, a, b]) => {
  if (c === undefined || a === undefined || b === undefined) throw new OpError('Where needs three inputs');
  if (allHost([c, a, b])) {
    const h = [c, a, b] as HostTensor[];
    return [hostMap(resultDtype(a, b), h, (cv, x, y) => (cv ? x : y))];
  }
  const shape = broadcastShapes(broadcastShapes(c.shape, a.shape), b.shape);
  const cond = tf.broadcastTo(tf.cast(T(c), 'bool'), shape);
  const float = resultDtype(a, b) === 'float32';
  const ta = tf.broadcastTo(float ? F(a) : T(a), shape);
  const tb = tf.broadcastTo(float ? F(b) : T(b), shape);
  return [tf.where(cond, ta, tb)];
};

export const Cast: OpFn = ([x], ctx) => {
  if (x === undefined) throw new OpError('Cast needs an input');
  const to = hostDtypeOf(ctx.attrs.int('to', 1));
  if (to === undefined) throw new OpError(`Cast to element type ${ctx.attrs.int('to', 1)} is not supported`);
  if (isHost(x)) {
    const f = to === 'float32' ? (v: number) => Math.fround(v) : to === 'bool' ? (v: number) => (v ? 1 : 0) : Math.trunc;
    return [hostMap(to, [x], f)];
  }
  return [to === 'float32' ? F(x) : tf.cast(x, to === 'bool' ? 'bool' : 'int32')];
};

export const Identity: OpFn = ([x]) => {
  if (x === undefined) throw new OpError('Identity needs an input');
  return [x];
};

/** Dropout is the identity (inference); its optional mask output is all true. */
export const Dropout: OpFn = ([x], ctx) => {
  if (x === undefined) throw new OpError('Dropout needs an input');
  if (ctx.outputs < 2) return [x];
  const mask = isHost(x) ? hostMap('bool', [x], () => 1) : tf.cast(tf.onesLike(x), 'bool');
  return [x, mask];
};
