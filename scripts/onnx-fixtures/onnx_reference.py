"""A small float64 numpy evaluator for the ONNX ops the fixtures use.

make_onnx_fixtures.py runs every exported graph through it and compares its outputs with
PyTorch's, so a fixture whose graph does not compute what the module computes (an op
exported in training mode, a merged initializer) is never written. It is a check, not a
runtime: ops it does not know stop it with their name.
"""
import math

import numpy as np
import onnx
from onnx import numpy_helper

_erf = np.vectorize(math.erf)


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pads(x, pads, value):
    k = len(pads) // 2
    width = [(0, 0)] * (x.ndim - k) + [(pads[i], pads[i + k]) for i in range(k)]
    return np.pad(x, width, constant_values=value)


def _windows(x, kernel, strides):
    """x [n, c, H, W] -> [n, c, oh, ow, kh, kw]."""
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.empty((n, c, oh, ow, kh, kw), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, :, i, j] = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    return out


def _conv(x, w, b, a):
    assert a.get('group', 1) == 1 and all(d == 1 for d in a.get('dilations', [1, 1]))
    x = _pads(x, a.get('pads', [0, 0, 0, 0]), 0.0)
    win = _windows(x, w.shape[2:], a.get('strides', [1, 1]))
    y = np.einsum('ncijkl,ockl->noij', win, w)
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def _pool(x, a, reduce):
    pads = a.get('pads', [0, 0, 0, 0])
    kernel = a['kernel_shape']
    strides = a.get('strides', kernel)
    if reduce == 'max':
        return _windows(_pads(x, pads, -np.inf), kernel, strides).max(axis=(4, 5))
    assert not any(pads) or a.get('count_include_pad', 0) == 1
    return _windows(_pads(x, pads, 0.0), kernel, strides).mean(axis=(4, 5))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _layer_norm(x, scale, bias, a):
    axes = tuple(range(a.get('axis', -1) % x.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + a.get('epsilon', 1e-5)) * scale
    return y if bias is None else y + bias


def _pad_op(x, pads, value, a):
    assert a.get('mode', b'constant') in (b'constant', 'constant')
    return _pads(x, [int(p) for p in pads], 0.0 if value is None else float(value))


def _slice(x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    idx = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        idx[int(ax)] = slice(int(s), int(e), int(st))
    return x[tuple(idx)]


def _reduce_mean(x, a):
    axes = a.get('axes')
    return x.mean(axis=None if axes is None else tuple(axes), keepdims=bool(a.get('keepdims', 1)))


def _reshape(x, shape):
    shape = [x.shape[i] if s == 0 else int(s) for i, s in enumerate(shape)]
    return x.reshape(shape)


def _float64(a):
    return a.astype(np.float64) if a.dtype.kind == 'f' else a


_CAST = {1: np.float64, 6: np.int32, 7: np.int64, 9: np.bool_, 11: np.float64}

OPS = {
    'Identity': lambda a, x: x,
    'Constant': lambda a: _float64(numpy_helper.to_array(a['value'])),
    'Add': lambda a, x, y: x + y,
    'Sub': lambda a, x, y: x - y,
    'Mul': lambda a, x, y: x * y,
    'Div': lambda a, x, y: x / y if x.dtype.kind == 'f' else x // y,
    'Pow': lambda a, x, y: x ** y,
    'Sqrt': lambda a, x: np.sqrt(x),
    'Erf': lambda a, x: _erf(x),
    'Relu': lambda a, x: np.maximum(x, 0),
    'Tanh': lambda a, x: np.tanh(x),
    'Sigmoid': lambda a, x: 1 / (1 + np.exp(-x)),
    'Softmax': lambda a, x: _softmax(x, a.get('axis', -1)),
    'MatMul': lambda a, x, y: x @ y,
    'Gemm': lambda a, x, w, b=None: (a.get('alpha', 1.0) * ((x.T if a.get('transA') else x) @ (w.T if a.get('transB') else w))
                                     + (0 if b is None else a.get('beta', 1.0) * b)),
    'Transpose': lambda a, x: np.transpose(x, a.get('perm')),
    'Flatten': lambda a, x: x.reshape(int(np.prod(x.shape[:a.get('axis', 1)])), -1),
    'Reshape': lambda a, x, s: _reshape(x, s),
    'Shape': lambda a, x: np.array(x.shape, dtype=np.int64),
    'Gather': lambda a, x, i: np.take(x, i, axis=a.get('axis', 0)),
    'Unsqueeze': lambda a, x, axes: np.expand_dims(x, tuple(int(v) for v in np.atleast_1d(axes))),
    'Squeeze': lambda a, x, axes=None: np.squeeze(x, None if axes is None else tuple(int(v) for v in axes)),
    'Concat': lambda a, *xs: np.concatenate([np.atleast_1d(v) for v in xs], axis=a['axis']),
    'Pad': lambda a, x, pads, value=None: _pad_op(x, pads, value, a),
    'Slice': lambda a, x, *rest: _slice(x, *rest),
    'Cast': lambda a, x: x.astype(_CAST[a['to']]),
    'ReduceMean': lambda a, x: _reduce_mean(x, a),
    'Conv': lambda a, x, w, b=None: _conv(x, w, b, a),
    'MaxPool': lambda a, x: _pool(x, a, 'max'),
    'AveragePool': lambda a, x: _pool(x, a, 'mean'),
    'GlobalAveragePool': lambda a, x: x.mean(axis=(2, 3), keepdims=True),
    'BatchNormalization': lambda a, x, s, b, m, v: (
        (x - m.reshape(1, -1, 1, 1)) / np.sqrt(v.reshape(1, -1, 1, 1) + a.get('epsilon', 1e-5))
        * s.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)),
    'LayerNormalization': lambda a, x, s, b=None: _layer_norm(x, s, b, a),
}


def run_onnx(model, x):
    """Evaluates the graph on input x (float64), returns its first output."""
    g = model.graph
    env = {}
    for i in g.initializer:
        env[i.name] = _float64(numpy_helper.to_array(i))
    env[g.input[0].name] = x
    for node in g.node:
        if node.op_type not in OPS:
            raise SystemExit(f'onnx_reference: no op {node.op_type}')
        a = _attrs(node)
        if node.op_type == 'BatchNormalization' and a.get('training_mode', 0):
            raise SystemExit('BatchNormalization exported in training mode')
        args = [env[n] if n else None for n in node.input]
        while args and args[-1] is None:
            args.pop()
        out = OPS[node.op_type](a, *args)
        env[node.output[0]] = out
    return env[g.output[0].name]
