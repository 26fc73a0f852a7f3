/**
 * One tiny graph per differentiable op (and per distinct code path: strides, pads, groups,
 * ceil_mode, ...). Every graph reads x [2, ...], multiplies it by a parameter `s_in` (so
 * every op has a parameter upstream) and ends in tensor `y`.
 */
import { node, param, ints, values, type GraphSpec, type InitSpec, type NodeSpec, type Attr } from './buildOnnx.ts';

export interface OpCase {
  name: string;
  /** Per-sample input shape. */
  sample: number[];
  nodes: NodeSpec[];
  initializers?: InitSpec[];
  /** Range of the input values (and of s_in, around 1). */
  xRange?: [number, number];
  /** Kinks (relu, max, clip): smaller FD step and looser tolerance. */
  kinked?: boolean;
  training?: boolean;
}

const i = (v: number): Attr => ({ i: v });
const f = (v: number): Attr => ({ f: v });
const is = (v: number[]): Attr => ({ ints: v });

function unary(op: string, attrs?: Record<string, Attr>, extra: Partial<OpCase> = {}): OpCase {
  return { name: op, sample: [3, 4], nodes: [node(op, ['h'], ['y'], attrs)], ...extra };
}

const convW = (o: number, ci: number, k: number, seed = 11) => param('conv.weight', [o, ci, k, k], seed, -0.5, 0.5);

export const OP_CASES: OpCase[] = [
  // ---- CNN / MLP
  { name: 'Conv stride 2, asymmetric pads', sample: [2, 5, 5], nodes: [node('Conv', ['h', 'conv.weight', 'conv.bias'], ['y'], { strides: is([2, 2]), pads: is([1, 0, 0, 1]) })], initializers: [convW(3, 2, 3), param('conv.bias', [3], 12)] },
  { name: 'Conv auto_pad SAME_UPPER', sample: [2, 4, 4], nodes: [node('Conv', ['h', 'conv.weight'], ['y'], { auto_pad: { s: 'SAME_UPPER' }, strides: is([2, 2]) })], initializers: [convW(2, 2, 3)] },
  { name: 'Conv depthwise (group = C, multiplier 2)', sample: [2, 4, 4], nodes: [node('Conv', ['h', 'conv.weight', 'conv.bias'], ['y'], { group: i(2), pads: is([1, 1, 1, 1]) })], initializers: [convW(4, 1, 3), param('conv.bias', [4], 13)] },
  { name: 'Conv groups 2', sample: [4, 4, 4], nodes: [node('Conv', ['h', 'conv.weight'], ['y'], { group: i(2) })], initializers: [convW(4, 2, 2)] },
  { name: 'Conv dilation 2', sample: [1, 6, 6], nodes: [node('Conv', ['h', 'conv.weight'], ['y'], { dilations: is([2, 2]) })], initializers: [convW(2, 1, 3)] },
  { name: 'Conv 1-D', sample: [2, 7], nodes: [node('Conv', ['h', 'conv.weight'], ['y'], { strides: is([2]), pads: is([1, 1]) })], initializers: [param('conv.weight', [3, 2, 3], 14)] },
  {
    name: 'BatchNormalization (running statistics)',
    sample: [3, 2, 2],
    nodes: [node('BatchNormalization', ['h', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], ['y'], { epsilon: f(1e-3) })],
    initializers: [param('bn.weight', [3], 21, 0.5, 1.5), param('bn.bias', [3], 22), param('bn.running_mean', [3], 23), param('bn.running_var', [3], 24, 0.5, 1.5)],
  },
  {
    name: 'BatchNormalization (batch statistics)',
    sample: [3, 2, 2],
    training: true,
    nodes: [node('BatchNormalization', ['h', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], ['y'])],
    initializers: [param('bn.weight', [3], 21, 0.5, 1.5), param('bn.bias', [3], 22), param('bn.running_mean', [3], 23), param('bn.running_var', [3], 24, 0.5, 1.5)],
  },
  unary('Relu', undefined, { kinked: true }),
  unary('LeakyRelu', { alpha: f(0.1) }, { kinked: true }),
  { name: 'PRelu', sample: [3, 2, 2], nodes: [node('PRelu', ['h', 'prelu.weight'], ['y'])], initializers: [param('prelu.weight', [3, 1, 1], 31, 0.1, 0.3)], kinked: true },
  unary('Elu', { alpha: f(0.7) }, { kinked: true }),
  unary('Selu', undefined, { kinked: true }),
  unary('Softplus'),
  unary('HardSigmoid', { alpha: f(0.3), beta: f(0.4) }, { kinked: true, xRange: [-1, 1] }),
  unary('HardSwish', undefined, { kinked: true, xRange: [-2, 2] }),
  unary('Sigmoid'),
  unary('Tanh'),
  unary('Exp'),
  unary('Log', undefined, { xRange: [0.5, 2] }),
  unary('Sqrt', undefined, { xRange: [0.5, 2] }),
  unary('Neg'),
  unary('Erf'),
  unary('Abs', undefined, { kinked: true }),
  unary('Reciprocal', undefined, { xRange: [0.5, 2] }),
  unary('Softsign'),
  unary('Identity'),
  unary('Dropout'),
  { name: 'MaxPool pads + ceil_mode', sample: [2, 5, 5], kinked: true, nodes: [node('MaxPool', ['h'], ['y'], { kernel_shape: is([2, 2]), strides: is([2, 2]), pads: is([1, 1, 0, 0]), ceil_mode: i(1) })] },
  { name: 'MaxPool 3x3 stride 1', sample: [1, 4, 4], kinked: true, nodes: [node('MaxPool', ['h'], ['y'], { kernel_shape: is([3, 3]) })] },
  { name: 'AveragePool count_include_pad=0, ceil_mode', sample: [2, 5, 5], nodes: [node('AveragePool', ['h'], ['y'], { kernel_shape: is([3, 3]), strides: is([2, 2]), pads: is([1, 1, 1, 1]), ceil_mode: i(1) })] },
  { name: 'AveragePool count_include_pad=1', sample: [2, 4, 4], nodes: [node('AveragePool', ['h'], ['y'], { kernel_shape: is([3, 3]), pads: is([1, 1, 1, 1]), count_include_pad: i(1) })] },
  { name: 'GlobalAveragePool', sample: [3, 3, 3], nodes: [node('GlobalAveragePool', ['h'], ['y'])] },
  { name: 'GlobalMaxPool', sample: [3, 3, 3], kinked: true, nodes: [node('GlobalMaxPool', ['h'], ['y'])] },
  { name: 'Add/Sub/Mul/Div of tensors', sample: [3, 4], nodes: [node('Tanh', ['h'], ['t']), node('Add', ['h', 'b1'], ['a']), node('Sub', ['a', 't'], ['s']), node('Mul', ['s', 'h'], ['m']), node('Div', ['m', 'd'], ['y'])], initializers: [param('b1', [4], 41), { name: 'd', shape: [1], data: [1.7] }] },
  { name: 'Div by a tensor', sample: [3, 4], xRange: [0.5, 2], nodes: [node('Exp', ['h'], ['e']), node('Div', ['e', 'h'], ['y'])] },
  { name: 'Pow 2, 3 and 1.5', sample: [3, 4], xRange: [0.5, 2], nodes: [node('Constant', [], ['two'], { value_float: f(2) }), node('Constant', [], ['three'], { value_float: f(3) }), node('Constant', [], ['p15'], { value_float: f(1.5) }), node('Pow', ['h', 'two'], ['a']), node('Pow', ['h', 'three'], ['b']), node('Pow', ['h', 'p15'], ['c']), node('Add', ['a', 'b'], ['ab']), node('Add', ['ab', 'c'], ['y'])] },
  { name: 'Clip', sample: [3, 4], kinked: true, nodes: [node('Constant', [], ['lo'], { value_float: f(-0.5) }), node('Constant', [], ['hi'], { value_float: f(0.6) }), node('Clip', ['h', 'lo', 'hi'], ['y'])] },
  { name: 'Flatten + Gemm (transB, alpha, beta)', sample: [2, 3], nodes: [node('Flatten', ['h'], ['fl']), node('Gemm', ['fl', 'fc.weight', 'fc.bias'], ['g'], { transB: i(1), alpha: f(0.7), beta: f(1.3) }), node('Tanh', ['g'], ['y'])], initializers: [param('fc.weight', [4, 6], 51), param('fc.bias', [4], 52)] },
  { name: 'MatMul 3-D x 2-D and batched', sample: [3, 4], nodes: [node('MatMul', ['h', 'w'], ['a']), node('Transpose', ['a'], ['at'], { perm: is([0, 2, 1]) }), node('MatMul', ['a', 'at'], ['y'])], initializers: [param('w', [4, 2], 53)] },
  { name: 'Reshape from Shape/Gather/Concat (dynamic batch)', sample: [2, 3, 2], nodes: [node('Shape', ['h'], ['sh']), node('Constant', [], ['zero'], { value: { t: { dims: [], dataType: 7, rawData: new Uint8Array(8) } } }), node('Gather', ['sh', 'zero'], ['n'], { axis: i(0) }), node('Unsqueeze', ['n', 'ax0'], ['n1']), node('Concat', ['n1', 'minus1'], ['target'], { axis: i(0) }), node('Reshape', ['h', 'target'], ['r']), node('Sigmoid', ['r'], ['y'])], initializers: [ints('ax0', [0]), ints('minus1', [-1])] },
  { name: 'Concat', sample: [2, 3], nodes: [node('Tanh', ['h'], ['t']), node('Concat', ['h', 't'], ['c'], { axis: i(1) }), node('Mul', ['c', 'c'], ['y'])] },
  { name: 'Pad constant / reflect / edge', sample: [2, 3, 3], nodes: [node('Pad', ['h', 'pads', 'cv'], ['p1'], { mode: { s: 'constant' } }), node('Pad', ['p1', 'pads'], ['p2'], { mode: { s: 'reflect' } }), node('Pad', ['p2', 'pads'], ['p3'], { mode: { s: 'edge' } }), node('Tanh', ['p3'], ['y'])], initializers: [ints('pads', [0, 0, 1, 0, 0, 0, 0, 1]), { name: 'cv', shape: [], data: [0.5] }] },
  // ---- transformer ops
  { name: 'LayerNormalization', sample: [3, 4], nodes: [node('LayerNormalization', ['h', 'ln.weight', 'ln.bias'], ['y'], { epsilon: f(1e-3) })], initializers: [param('ln.weight', [4], 61, 0.5, 1.5), param('ln.bias', [4], 62)] },
  {
    name: 'LayerNorm decomposed (ReduceMean, Sub, Pow, Sqrt, Div)',
    sample: [3, 4],
    nodes: [
      node('ReduceMean', ['h'], ['mu'], { axes: is([-1]) }),
      node('Sub', ['h', 'mu'], ['c']),
      node('Constant', [], ['two'], { value_float: f(2) }),
      node('Pow', ['c', 'two'], ['c2']),
      node('ReduceMean', ['c2'], ['var'], { axes: is([-1]) }),
      node('Constant', [], ['eps'], { value_float: f(1e-3) }),
      node('Add', ['var', 'eps'], ['ve']),
      node('Sqrt', ['ve'], ['sd']),
      node('Div', ['c', 'sd'], ['n']),
      node('Mul', ['n', 'ln.weight'], ['nw']),
      node('Add', ['nw', 'ln.bias'], ['y']),
    ],
    initializers: [param('ln.weight', [4], 61, 0.5, 1.5), param('ln.bias', [4], 62)],
  },
  { name: 'Softmax axis 1', sample: [3, 4], nodes: [node('Softmax', ['h'], ['y'], { axis: i(1) })], xRange: [-2, 2] },
  { name: 'LogSoftmax last axis', sample: [3, 4], nodes: [node('LogSoftmax', ['h'], ['y'])], xRange: [-2, 2] },
  { name: 'Gather embedding (constant ids)', sample: [4, 3], nodes: [node('Gather', ['emb.weight', 'ids'], ['e']), node('Unsqueeze', ['e', 'ax0'], ['e1']), node('Mul', ['h', 'e1'], ['y'])], initializers: [param('emb.weight', [5, 3], 71), ints('ids', [4, 0, 2, 2]), ints('ax0', [0])] },
  { name: 'Gather index selection (negative index)', sample: [3, 4], nodes: [node('Gather', ['h', 'idx'], ['g'], { axis: i(2) }), node('Tanh', ['g'], ['y'])], initializers: [ints('idx', [-1, 0])] },
  { name: 'Unsqueeze / Squeeze', sample: [3, 4], nodes: [node('Unsqueeze', ['h', 'ax'], ['u']), node('Tanh', ['u'], ['t']), node('Squeeze', ['t', 'ax'], ['y'])], initializers: [ints('ax', [2])] },
  { name: 'Slice (steps 2 and -1)', sample: [4, 5], nodes: [node('Slice', ['h', 'st', 'en', 'ax', 'sp'], ['s']), node('Tanh', ['s'], ['y'])], initializers: [ints('st', [0, -1]), ints('en', [4, 0]), ints('ax', [1, 2]), ints('sp', [2, -1])] },
  { name: 'Split', sample: [5, 2], nodes: [node('Split', ['h', 'sizes'], ['a', 'b'], { axis: i(1) }), node('Tanh', ['a'], ['ta']), node('MatMul', ['ta', 'bt'], ['y0']), node('Transpose', ['b'], ['bt0'], { perm: is([0, 2, 1]) }), node('Identity', ['bt0'], ['bt']), node('Identity', ['y0'], ['y'])], initializers: [ints('sizes', [2, 3])] },
  { name: 'Expand', sample: [1, 3], nodes: [node('Expand', ['h', 'shape'], ['e']), node('Tanh', ['e'], ['t']), node('Mul', ['t', 'e'], ['y'])], initializers: [ints('shape', [4, 1])] },
  { name: 'Where with a constant mask (Equal, Less, Cast)', sample: [2, 3], nodes: [node('Less', ['r', 'zero'], ['lt']), node('Equal', ['r', 'one'], ['eq']), node('Cast', ['eq'], ['eqf'], { to: i(1) }), node('Where', ['lt', 'h', 'eqf'], ['w']), node('Tanh', ['w'], ['t']), node('Mul', ['t', 'h'], ['y'])], initializers: [{ name: 'r', shape: [2, 3], data: [-1, 1, 2, -3, 1, 0] }, { name: 'zero', shape: [], data: [0] }, { name: 'one', shape: [], data: [1] }] },
  {
    name: 'attention block (scale 1/sqrt(d) from Shape, Gather, Cast, Sqrt)',
    sample: [3, 4],
    nodes: [
      node('MatMul', ['h', 'wq'], ['q']),
      node('MatMul', ['h', 'wk'], ['k']),
      node('Transpose', ['k'], ['kt'], { perm: is([0, 2, 1]) }),
      node('MatMul', ['q', 'kt'], ['s']),
      node('Shape', ['q'], ['qs']),
      node('Gather', ['qs', 'two'], ['d']),
      node('Cast', ['d'], ['df'], { to: i(1) }),
      node('Sqrt', ['df'], ['sq']),
      node('Div', ['s', 'sq'], ['sc']),
      node('Softmax', ['sc'], ['a'], { axis: i(-1) }),
      node('MatMul', ['a', 'h'], ['y']),
    ],
    initializers: [param('wq', [4, 4], 81), param('wk', [4, 4], 82), ints('two', [2])],
  },
  { name: 'ReduceSum / ReduceMean / ReduceMax', sample: [3, 4], kinked: true, nodes: [node('ReduceSum', ['h', 'ax'], ['s'], { keepdims: i(1) }), node('ReduceMax', ['h'], ['m'], { axes: is([2]), keepdims: i(0) }), node('Tanh', ['s'], ['ts']), node('Mul', ['ts', 'h'], ['p']), node('ReduceMean', ['p'], ['pm'], { axes: is([2]), keepdims: i(0) }), node('Add', ['pm', 'm'], ['y'])], initializers: [ints('ax', [1])] },
];

/** The case's graph: x -> Mul by s_in -> nodes -> y, with a dynamic batch dim. */
export function caseGraph(c: OpCase): GraphSpec {
  const n = c.sample.reduce((a, b) => a * b, 1);
  return {
    opset: 17,
    inputs: [{ name: 'x', shape: ['batch', ...c.sample] }],
    outputs: [{ name: 'y' }],
    nodes: [node('Mul', ['x', 's_in'], ['h']), ...c.nodes],
    initializers: [{ name: 's_in', shape: c.sample, data: values(n, 5, 0.7, 1.3) }, ...(c.initializers ?? [])],
  };
}
