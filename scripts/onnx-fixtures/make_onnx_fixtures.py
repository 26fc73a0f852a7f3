#!/usr/bin/env python3
"""Writes the ONNX fixtures under fixtures/onnx/ with float64 PyTorch goldens.

Run by hand (never by CI or users), from the repository root:

    python3 scripts/onnx-fixtures/make_onnx_fixtures.py

Needs PyTorch and onnx (Debian bookworm: python3-torch 1.13, python3-onnx 1.12,
python3-numpy). Everything is seeded, so a rerun with the same versions writes the same
files. See README.md next to this script for what each fixture holds.
"""
import json
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.stateless import functional_call

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_reference import run_onnx  # noqa: E402  (numpy check of the exported graphs)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'fixtures', 'onnx')
N = 48  # samples per fixture
OPSET = 14
TRAINING = None  # how the current model was trained, for its golden

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

EXPORT_CALL = (
    "torch.onnx.export(model.eval(), x, path, training=torch.onnx.TrainingMode.PRESERVE, "
    "do_constant_folding=False, input_names=['x'], output_names=['logits'], "
    "dynamic_axes={'x': {0: 'n'}, 'logits': {0: 'n'}}, opset_version=OPSET)"
)
LOSSES = {
    'cross_entropy': 'mean over samples of -sum_k y_k log softmax(logits)_k, y one-hot of the class id '
                     '(Keras categorical cross-entropy from logits = torch F.cross_entropy, reduction mean)',
    'mse': 'mean over all elements of (output - y)^2 (torch F.mse_loss, reduction mean)',
}


# ---------------------------------------------------------------- models

class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(self.flatten(x))))


class CnnBn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(self.flatten(self.gap(x)))


class PreActBlock(nn.Module):
    """BN-ReLU-Conv-BN-ReLU-Conv plus the skip (a 1x1 conv when the shape changes)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)

    def forward(self, x):
        out = F.relu(self.bn1(x))
        skip = x if self.shortcut is None else self.shortcut(out)
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + skip


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.block1 = PreActBlock(6, 6, 1)
        self.block2 = PreActBlock(6, 8, 2)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.AvgPool2d(4)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        return self.fc(self.flatten(self.pool(F.relu(self.bn(x)))))


class TanhLn(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 12)
        self.ln = nn.LayerNorm(12)
        self.fc2 = nn.Linear(12, 8)
        self.fc3 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc3(torch.sigmoid(self.fc2(torch.tanh(self.ln(self.fc1(x))))))


class Attention(nn.Module):
    """Pre-norm transformer block, one head written out: tokens [n, 6, 8] + a learned
    positional table, LN, Q K V, softmax(QK^T / sqrt(8)) V, output projection, residual,
    LN, GELU (exact, erf) MLP, residual, mean over tokens, Linear to 4 classes."""

    def __init__(self, t=6, d=8):
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(t, d))
        self.ln1 = nn.LayerNorm(d)
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp1 = nn.Linear(d, 16)
        self.mlp2 = nn.Linear(16, d)
        self.head = nn.Linear(d, 4)
        self.scale = 1.0 / math.sqrt(d)

    def forward(self, x):
        x = x + self.pos
        h = self.ln1(x)
        a = torch.softmax(torch.matmul(self.q(h), self.k(h).transpose(1, 2)) * self.scale, dim=-1)
        x = x + self.proj(torch.matmul(a, self.v(h)))
        x = x + self.mlp2(F.gelu(self.mlp1(self.ln2(x))))
        return self.head(x.mean(dim=1))


class AttentionMha(nn.Module):
    """The same block with torch's nn.MultiheadAttention (2 heads), as most PyTorch code
    writes it; its export reshapes heads with Shape/Gather/Concat/Reshape ops."""

    def __init__(self, t=6, d=8):
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(t, d))
        self.ln1 = nn.LayerNorm(d)
        self.mha = nn.MultiheadAttention(d, 2, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.mlp1 = nn.Linear(d, 16)
        self.mlp2 = nn.Linear(16, d)
        self.head = nn.Linear(d, 4)

    def forward(self, x):
        x = x + self.pos
        h = self.ln1(x)
        x = x + self.mha(h, h, h, need_weights=False)[0]
        x = x + self.mlp2(F.gelu(self.mlp1(self.ln2(x))))
        return self.head(x.mean(dim=1))


class Twin(nn.Module):
    """Dense(16->12, relu), Dense(12->5): the same network as the TF.js layers model."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(16, 12)
        self.output = nn.Linear(12, 5)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))


# ---------------------------------------------------------------- data

def images(rng, n, c, classes):
    """Class prototypes [classes, c, 8, 8] plus noise: x [n, c, 8, 8] float32, y int64."""
    protos = rng.standard_normal((classes, c, 8, 8))
    y = np.arange(n) % classes
    rng.shuffle(y)
    x = protos[y] + 0.8 * rng.standard_normal((n, c, 8, 8))
    return x.astype(np.float32), y.astype(np.int64)


def teacher_classes(rng, x, classes):
    """Labels from a random linear teacher on the flattened input, with some noise."""
    flat = x.reshape(len(x), -1)
    w = rng.standard_normal((flat.shape[1], classes))
    scores = flat @ w + 0.5 * rng.standard_normal((len(x), classes))
    return scores.argmax(1).astype(np.int64)


def regression(rng, n):
    x = rng.standard_normal((n, 10)).astype(np.float32)
    w = rng.standard_normal((10, 3))
    y = np.tanh(x @ w / 3) + 0.1 * rng.standard_normal((n, 3))
    return x, y.astype(np.float32)


# ---------------------------------------------------------------- training

def loss_fn(kind):
    return F.cross_entropy if kind == 'cross_entropy' else F.mse_loss


def train(model, x, y, kind, steps, lr):
    """A short Adam run (float32, train mode: BN running statistics move) so the fixture
    sits part way to a minimum (loss ~0.1-0.5: gradients and curvature well above float32
    noise), with non-trivial parameters."""
    global TRAINING
    TRAINING = f'{steps} Adam steps (lr {lr}, float32, full batch, train mode) from torch init'
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    lf = loss_fn(kind)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(steps):
        opt.zero_grad()
        lf(model(xt), yt).backward()
        opt.step()
    model.eval()


# ---------------------------------------------------------------- export and checks

def export(model, x, path, opset):
    model.eval()
    torch.onnx.export(model, torch.from_numpy(x[:2]), path,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                      input_names=['x'], output_names=['logits'],
                      dynamic_axes={'x': {0: 'n'}, 'logits': {0: 'n'}}, opset_version=opset)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    out = inferred.graph.output[0].type.tensor_type.shape
    return m, [d.dim_param or d.dim_value for d in out.dim]


def initializer_roles(m, model):
    """Matches ONNX initializers to the module's parameters and buffers.

    Returns (paramNames in initializer order, onnxName -> torchName for renamed ones,
    list of {name, shape, role}). Fails when a parameter is missing, tied to another tensor
    (torch's export merges initializers with equal values when exporting in eval mode and
    reads the copy through an Identity node), or stored with other values."""
    params = dict(model.named_parameters())
    buffers = {k: v for k, v in model.named_buffers() if v.is_floating_point()}
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in m.graph.initializer}
    identity_of = {n.output[0]: n.input[0] for n in m.graph.node if n.op_type == 'Identity'}
    torch_of = {}
    for name in inits:
        if name in params or name in buffers:
            torch_of[name] = name
    for tname, t in list(params.items()) + list(buffers.items()):
        if tname in torch_of.values():
            continue
        if tname in identity_of:
            raise SystemExit(f'{tname} was merged into {identity_of[tname]} by the export '
                             '(equal values): perturb one of them')
        match = [n for n, a in inits.items() if n not in torch_of and a.shape == tuple(t.shape)
                 and np.array_equal(a, t.detach().numpy())]
        if len(match) != 1:
            raise SystemExit(f'{tname}: no single ONNX initializer holds its values ({match})')
        torch_of[match[0]] = tname
    roles, names = [], []
    for i in m.graph.initializer:
        tname = torch_of.get(i.name)
        role = 'parameter' if tname in params else 'state' if tname in buffers else 'constant'
        t = params.get(tname, buffers.get(tname))
        if t is not None and not np.array_equal(inits[i.name], t.detach().numpy()):
            raise SystemExit(f'initializer {i.name} differs from {tname}')
        roles.append({'name': i.name, 'shape': list(i.dims), 'role': role})
        if role == 'parameter':
            names.append(i.name)
    if len(names) != len(params):
        raise SystemExit(f'{len(params)} parameters but {len(names)} parameter initializers')
    renamed = {o: t for o, t in torch_of.items() if o != t}
    return names, renamed, roles


# ---------------------------------------------------------------- goldens (float64)

def golden(model, names, renamed, x, y, kind, seed):
    """Loss, accuracy, gradient, an HVP and the exact Hessian spectrum in float64."""
    model = model.double().eval()
    torch_name = {n: renamed.get(n, n) for n in names}
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    shapes = [tuple(params[torch_name[n]].shape) for n in names]
    sizes = [int(np.prod(s)) for s in shapes]
    xd = torch.from_numpy(x).double()
    yd = torch.from_numpy(y) if kind == 'cross_entropy' else torch.from_numpy(y).double()
    lf = loss_fn(kind)

    def split(flat):
        out, o = {}, 0
        for n, s, k in zip(names, shapes, sizes):
            out[torch_name[n]] = flat[o:o + k].view(s)
            o += k
        return out

    def forward(flat):
        return functional_call(model, {**split(flat), **buffers}, (xd,))

    def f(flat):
        return lf(forward(flat), yd)

    w = torch.cat([params[torch_name[n]].detach().reshape(-1) for n in names]).requires_grad_(True)
    logits = forward(w).detach()
    loss = f(w)
    g = torch.autograd.grad(loss, w, create_graph=True)[0]
    p = w.numel()

    # The direction is float32-representable so a float32 engine reads it exactly.
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(p, generator=gen, dtype=torch.float32).double()
    hv = torch.autograd.grad(g, w, v, retain_graph=True)[0].detach()

    rows = []
    eye = torch.eye(p, dtype=torch.float64)
    for i in range(0, p, 128):
        chunk = eye[i:i + 128]
        try:
            rows.append(torch.autograd.grad(g, w, chunk, retain_graph=True, is_grads_batched=True)[0])
        except RuntimeError:
            rows.append(torch.stack([torch.autograd.grad(g, w, e, retain_graph=True)[0] for e in chunk]))
    h = torch.cat(rows).detach()
    asym = (h - h.T).abs().max().item()
    assert asym <= 1e-10 * max(1.0, h.abs().max().item()), f'Hessian not symmetric ({asym})'
    h = (h + h.T) / 2
    assert torch.allclose(h @ v, hv, rtol=1e-9, atol=1e-12), 'H v disagrees with the HVP'
    eig = torch.linalg.eigvalsh(h)

    def by_name(flat):
        return {n: [float(a) for a in t.reshape(-1).tolist()] for n, t in zip(names, torch.split(flat, sizes))}

    acc = None
    if kind == 'cross_entropy':
        acc = float((logits.argmax(1) == yd).double().mean().item())
    return {
        'loss': float(loss.item()),
        'accuracy': acc,
        'paramNames': names,
        'paramShapes': {n: list(s) for n, s in zip(names, shapes)},
        'paramCount': p,
        'logits': [[float(a) for a in r] for r in logits.tolist()],
        'gradient': by_name(g.detach()),
        'hvp': {'vectorSeed': seed,
                'vector': 'torch.randn(paramCount, generator=torch.Generator().manual_seed(vectorSeed), '
                          'dtype=torch.float32), concatenated in paramNames order',
                'v': by_name(v), 'Hv': by_name(hv)},
        'topEigenvalues': [float(eig[-1]), float(eig[-2])],
        'bottomEigenvalue': float(eig[0]),
        'trace': float(torch.trace(h).item()),
    }, logits.numpy()


# ---------------------------------------------------------------- writing

def dumps(obj):
    return json.dumps(obj, separators=(',', ':'), allow_nan=False)


def write_fixture(name, model, x, y, kind, opset=OPSET, seed=1, gold=None, note=None):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        p = os.path.join(d, f)
        if os.path.isfile(p):
            os.remove(p)
    path = os.path.join(d, 'model.onnx')
    m, out_shape = export(model, x, path, opset)
    names, renamed, roles = initializer_roles(m, model)
    if gold is None:
        gold, logits = golden(model, names, renamed, x, y, kind, seed)
        model.float()
    else:
        logits = np.array(gold['logits'])
    onnx_out = run_onnx(m, x.astype(np.float64))
    # The graph holds its constants (1/sqrt(d), GELU's sqrt(2), LayerNorm's epsilon) as
    # float32, so it can differ from PyTorch's float64 arithmetic by ~1e-7; anything more is
    # a graph computing something else.
    err = float(np.abs(onnx_out - logits).max())
    assert err < 1e-6, f'{name}: the exported graph computes other outputs (max diff {err})'
    np.save(os.path.join(d, 'x.npy'), x)
    np.save(os.path.join(d, 'y.npy'), y)
    doc = {
        'model': name,
        'note': note,
        'torch': torch.__version__,
        'onnx': onnx.__version__,
        'opset': opset,
        'export': EXPORT_CALL.replace('OPSET', str(opset)),
        'ops': sorted({n.op_type for n in m.graph.node}),
        'outputShape': out_shape,
        'loss_definition': {'name': kind, 'definition': LOSSES[kind]},
        'training': TRAINING,
        'batchNorm': 'eval mode: running statistics (initializers with role "state")',
        'samples': int(len(x)),
        'onnxGraphVsGoldenMaxDiff': err,
        'initializers': roles,
        'onnxToTorchNames': renamed,
        **gold,
    }
    with open(os.path.join(d, 'golden.json'), 'w') as fh:
        fh.write(dumps(doc) + '\n')
    return gold, m


def keras_twin(name, model, gold):
    """Writes <name>/tfjs/: a TF.js layers model (model.json + weights.bin) with the
    weights of `model` (Keras kernel [in, out] = torch weight transposed), and adds the
    golden in Keras naming and layout to golden.json."""
    d = os.path.join(OUT, name, 'tfjs')
    os.makedirs(d, exist_ok=True)

    def dense(lname, units, activation, extra):
        init = {'class_name': 'VarianceScaling',
                'config': {'scale': 1, 'mode': 'fan_avg', 'distribution': 'normal', 'seed': None}}
        return {'class_name': 'Dense', 'config': {
            'units': units, 'activation': activation, 'use_bias': True,
            'kernel_initializer': init, 'bias_initializer': {'class_name': 'Zeros', 'config': {}},
            'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
            'kernel_constraint': None, 'bias_constraint': None, 'name': lname, 'trainable': True, **extra}}

    layers = [('hidden', model.hidden, 'relu'), ('output', model.output, 'linear')]
    specs, blobs, keras_names, to_keras = [], [], [], {}
    for i, (lname, lin, act) in enumerate(layers):
        kernel = lin.weight.detach().numpy().T.astype('<f4')
        bias = lin.bias.detach().numpy().astype('<f4')
        specs += [{'name': f'{lname}/kernel', 'shape': list(kernel.shape), 'dtype': 'float32'},
                  {'name': f'{lname}/bias', 'shape': list(bias.shape), 'dtype': 'float32'}]
        blobs += [np.ascontiguousarray(kernel).tobytes(), bias.tobytes()]
        keras_names += [f'{lname}/kernel', f'{lname}/bias']
        to_keras[f'{lname}.weight'] = (f'{lname}/kernel', lin.weight.shape)
        to_keras[f'{lname}.bias'] = (f'{lname}/bias', None)
    topo = {'class_name': 'Sequential', 'config': {'name': 'twin', 'layers': [
        dense('hidden', 12, 'relu', {'batch_input_shape': [None, 16], 'dtype': 'float32'}),
        dense('output', 5, 'linear', {}),
    ]}, 'keras_version': 'tfjs-layers 4.22.0', 'backend': 'tensor_flow.js'}
    doc = {'format': 'layers-model', 'generatedBy': 'scripts/onnx-fixtures/make_onnx_fixtures.py',
           'convertedBy': None, 'modelTopology': topo,
           'weightsManifest': [{'paths': ['weights.bin'], 'weights': specs}]}
    with open(os.path.join(d, 'model.json'), 'w') as fh:
        fh.write(dumps(doc) + '\n')
    with open(os.path.join(d, 'weights.bin'), 'wb') as fh:
        fh.write(b''.join(blobs))

    def relayout(by_torch):
        out = {}
        for tname, (kname, wshape) in to_keras.items():
            a = np.array(by_torch[tname])
            out[kname] = [float(t) for t in (a.reshape(wshape).T.reshape(-1) if wshape is not None else a)]
        return {k: out[k] for k in keras_names}

    gpath = os.path.join(OUT, name, 'golden.json')
    with open(gpath) as fh:
        g = json.load(fh)
    g['keras'] = {
        'model': 'tfjs/model.json',
        'paramNames': keras_names,
        'fromOnnx': {k: t for t, (k, _) in to_keras.items()},
        'layout': 'kernel [in, out] = ONNX/torch weight [out, in] transposed; flat lists row-major',
        'gradient': relayout(gold['gradient']),
        'hvp': {'v': relayout(gold['hvp']['v']), 'Hv': relayout(gold['hvp']['Hv'])},
    }
    with open(gpath, 'w') as fh:
        fh.write(dumps(g) + '\n')


# ---------------------------------------------------------------- the fixtures

def main():
    os.makedirs(OUT, exist_ok=True)
    summary = []

    def record(name, gold, m):
        print(f'{name}: {gold["paramCount"]} parameters', flush=True)
        summary.append((name, gold['paramCount'], sorted({n.op_type for n in m.graph.node})))

    # 1. mlp on 8x8 one-channel images.
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    x, y = images(rng, N, 1, 10)
    model = Mlp()
    train(model, x, y, 'cross_entropy', 10, 0.01)
    record('mlp', *write_fixture('mlp', model, x, y, 'cross_entropy', seed=101))

    # 2. cnn_bn: conv, BN, ReLU, max pool, strided conv, BN, ReLU, global average pool.
    torch.manual_seed(2)
    rng = np.random.default_rng(2)
    x, y = images(rng, N, 1, 10)
    model = CnnBn()
    train(model, x, y, 'cross_entropy', 30, 0.02)
    record('cnn_bn', *write_fixture('cnn_bn', model, x, y, 'cross_entropy', seed=102))

    # 3. resnet: pre-activation residual blocks, one with a 1x1 projection shortcut.
    torch.manual_seed(3)
    rng = np.random.default_rng(3)
    x, y = images(rng, N, 3, 10)
    model = ResNet()
    train(model, x, y, 'cross_entropy', 30, 0.02)
    record('resnet', *write_fixture('resnet', model, x, y, 'cross_entropy', seed=103))

    # 4. tanh_ln: regression (mse), opset 14 (LayerNorm written out) and 17 (LayerNormalization).
    torch.manual_seed(4)
    rng = np.random.default_rng(4)
    x, y = regression(rng, N)
    model = TanhLn()
    train(model, x, y, 'mse', 20, 0.01)
    gold, m = write_fixture('tanh_ln', model, x, y, 'mse', seed=104)
    record('tanh_ln', gold, m)
    note = 'The tanh_ln model exported at opset 17 (LayerNormalization op); same goldens as tanh_ln.'
    record('tanh_ln_opset17', *write_fixture('tanh_ln_opset17', model, x, y, 'mse', opset=17,
                                             gold=gold, note=note))

    # 5. attention: one head written out; attention_mha: nn.MultiheadAttention, two heads.
    for k, (name, cls) in enumerate([('attention', Attention), ('attention_mha', AttentionMha)]):
        torch.manual_seed(5 + k)
        rng = np.random.default_rng(5)
        x = rng.standard_normal((N, 6, 8)).astype(np.float32)
        y = teacher_classes(rng, x, 4)
        model = cls()
        with torch.no_grad():
            model.pos.normal_(0, 0.1)
        train(model, x, y, 'cross_entropy', 40, 0.01)
        record(name, *write_fixture(name, model, x, y, 'cross_entropy', seed=105 + k))

    # 6. layers_twin: the same MLP as ONNX and as a TF.js layers model.
    torch.manual_seed(7)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N, 16)).astype(np.float32)
    y = teacher_classes(rng, x, 5)
    model = Twin()
    train(model, x, y, 'cross_entropy', 30, 0.01)
    gold, m = write_fixture('layers_twin', model, x, y, 'cross_entropy', seed=107,
                            note='Also written as a TF.js layers model in tfjs/ (see "keras").')
    keras_twin('layers_twin', model, gold)
    record('layers_twin', gold, m)

    for name, p, ops in summary:
        print(f'{name:16s} {p:5d} params  {" ".join(ops)}')


if __name__ == '__main__':
    main()
