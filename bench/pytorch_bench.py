"""PyTorch side of `npm run bench` (bench/engine.bench.ts): the same architectures, weights
and data as the TypeScript side, timed the same way, so that the bench can print
our / PyTorch ratios measured in one run on one machine. Optional: the bench calls it only
when `python3 -c "import torch"` works (Debian: apt-get install python3-torch).

    python3 bench/pytorch_bench.py SPEC.json  ->  one JSON document on stdout

SPEC.json (written by the TypeScript bench):
  {"x": path to float32 [N, H, W, C] (NHWC, as TensorFlow.js), "y": path to int32 [N],
   "n": N, "sampleShape": [H, W, C], "batches": [128, 1000], "reps": R,
   "threads": [1, 2], "seed": S,
   "models": {"mlp": {"weights": path, "manifest": [{"name", "shape", "offset"}]}, ...},
   "endToEnd": {"samples": 10000, "chunk": 1000, "tol": 1e-3, "maxIter": 100,
                "grid": 21, "models": ["mlp", ...]} or null}

Weights are TensorFlow.js layouts (Dense kernel [in, out], Conv2D kernel [kh, kw, in, out],
BatchNorm gamma / beta / moving_mean / moving_variance) and are converted here; TensorFlow's
'same' padding (extra row / column at the bottom / right) and NHWC flatten order are kept,
so both sides compute the same function (the bench compares the losses).
"""
import json
import math
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

BN_EPS = 1e-3  # Keras / TensorFlow.js BatchNormalization default


def tf_same_pad(x, k, s):
    """Pads NCHW x as TensorFlow's 'same' padding does (extra at the end)."""
    h, w = x.shape[2], x.shape[3]

    def amount(n):
        out = -(-n // s)
        return max((out - 1) * s + k - n, 0)

    ph, pw = amount(h), amount(w)
    if ph == 0 and pw == 0:
        return x
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


class Net(torch.nn.Module):
    """A model built from TensorFlow.js weights; `kind` picks the built-in architecture."""

    def __init__(self, kind, weights):
        super().__init__()
        self.kind = kind
        self.p = torch.nn.ParameterDict()
        self.buffers_ = {}
        for name, arr in weights.items():
            layer, leaf = name.rsplit('/', 1)
            key = name.replace('/', '__')
            t = torch.from_numpy(arr.copy())
            if leaf == 'kernel' and t.dim() == 4:  # [kh, kw, in, out] -> [out, in, kh, kw]
                t = t.permute(3, 2, 0, 1).contiguous()
            elif leaf == 'kernel' and t.dim() == 2:  # [in, out] -> [out, in]
                t = t.t().contiguous()
            if leaf in ('moving_mean', 'moving_variance'):
                self.register_buffer(key, t)
            else:
                self.p[key] = torch.nn.Parameter(t)

    def w(self, name):
        key = name.replace('/', '__')
        return self.p[key] if key in self.p else getattr(self, key)

    def dense(self, x, layer):
        b = f'{layer}__bias'
        return F.linear(x, self.w(f'{layer}/kernel'), self.p[b] if b in self.p else None)

    def conv(self, x, layer, stride=1, same=False):
        k = self.w(f'{layer}/kernel')
        if same:
            x = tf_same_pad(x, k.shape[2], stride)
        b = f'{layer}__bias'
        return F.conv2d(x, k, self.p[b] if b in self.p else None, stride=stride)

    def bn(self, x, layer):
        return F.batch_norm(x, self.w(f'{layer}/moving_mean'), self.w(f'{layer}/moving_variance'),
                            self.w(f'{layer}/gamma'), self.w(f'{layer}/beta'), False, 0.0, BN_EPS)

    @staticmethod
    def flatten_nhwc(x):
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)

    def forward(self, x):  # x: NCHW
        if self.kind == 'mlp':
            h = F.relu(self.dense(self.flatten_nhwc(x), 'dense1'))
            return self.dense(h, 'logits')
        if self.kind == 'cnn':
            h = F.max_pool2d(F.relu(self.bn(self.conv(x, 'conv1'), 'bn1')), 2)
            return self.dense(self.flatten_nhwc(h), 'logits')
        if self.kind == 'resnet':
            h = F.relu(self.bn(self.conv(x, 'stem_conv', 2, True), 'stem_bn'))
            h = self.block(h, 'block1', 1, False)
            h = self.block(h, 'block2', 2, True)
            return self.dense(h.mean(dim=(2, 3)), 'logits')
        raise ValueError(self.kind)

    def block(self, x, name, stride, proj):
        y = F.relu(self.bn(self.conv(x, f'{name}_a_conv', stride, True), f'{name}_a_bn'))
        y = self.bn(self.conv(y, f'{name}_b_conv', 1, True), f'{name}_b_bn')
        s = self.bn(self.conv(x, f'{name}_proj_conv', stride, True), f'{name}_proj_bn') if proj else x
        return F.relu(s + y)


def load_weights(spec):
    flat = np.fromfile(spec['weights'], dtype='<f4')
    out = {}
    for m in spec['manifest']:
        size = int(np.prod(m['shape'])) if m['shape'] else 1
        out[m['name']] = flat[m['offset']:m['offset'] + size].reshape(m['shape'])
    return out


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


def timed(fn, reps):
    fn()  # warm-up
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return median(ts)


def hvp_chunk(net, params, x, y, v):
    loss = F.cross_entropy(net(x), y)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    return torch.autograd.grad(grads, params, grad_outputs=v)


def full_hvp(net, params, chunks, n, v):
    acc = [torch.zeros_like(p) for p in params]
    for x, y in chunks:
        hv = hvp_chunk(net, params, x, y, v)
        w = x.shape[0] / n
        for a, h in zip(acc, hv):
            a.add_(h, alpha=w)
    return acc


def power_iteration(net, params, chunks, n, tol, max_iter, seed):
    """PyHessian's eigenvalues(top_n=1): Gaussian start, stop at relative change < tol."""
    g = torch.Generator().manual_seed(seed)
    v = [torch.randn(p.shape, generator=g) for p in params]
    nrm = math.sqrt(sum(float((t * t).sum()) for t in v))
    v = [t / nrm for t in v]
    eig = None
    hvps = 0
    for _ in range(max_iter):
        hv = full_hvp(net, params, chunks, n, v)
        hvps += 1
        tmp = sum(float((a * b).sum()) for a, b in zip(hv, v))
        nrm = math.sqrt(sum(float((t * t).sum()) for t in hv))
        v = [t / nrm for t in hv]
        if eig is not None and abs(tmp - eig) / (abs(eig) + 1e-6) < tol:
            eig = tmp
            break
        eig = tmp
    return eig, hvps


def landscape(net, params, chunks, n, grid, seed):
    """Loss and accuracy on a grid x grid plane through w along two random directions, scaled per tensor."""
    g = torch.Generator().manual_seed(seed)
    base = [p.detach().clone() for p in params]
    dirs = []
    for _ in range(2):
        d = [torch.randn(p.shape, generator=g) for p in params]
        dirs.append([di * (b.norm() / (di.norm() + 1e-10)) for di, b in zip(d, base)])
    coords = [-1 + 2 * i / (grid - 1) for i in range(grid)]
    losses = []
    with torch.no_grad():
        for a in coords:
            for b in coords:
                for p, w0, d1, d2 in zip(params, base, dirs[0], dirs[1]):
                    p.copy_(w0 + a * d1 + b * d2)
                total, correct = 0.0, 0
                for x, y in chunks:
                    z = net(x)
                    total += float(F.cross_entropy(z, y)) * x.shape[0] / n
                    correct += int((z.argmax(-1) == y).sum())
                losses.append((total, correct / n))
        for p, w0 in zip(params, base):
            p.copy_(w0)
    return losses


def main():
    spec = json.load(open(sys.argv[1]))
    n, shape = spec['n'], spec['sampleShape']
    x_all = torch.from_numpy(np.fromfile(spec['x'], dtype='<f4').reshape([n] + shape)).permute(0, 3, 1, 2).contiguous()
    y_all = torch.from_numpy(np.fromfile(spec['y'], dtype='<i4').astype(np.int64))
    reps = spec['reps']
    out = {'torch': torch.__version__, 'defaultThreads': torch.get_num_threads(), 'runs': []}
    default_threads = torch.get_num_threads()
    for threads in spec['threads']:
        torch.set_num_threads(threads)
        for kind, mspec in spec['models'].items():
            net = Net(kind, load_weights(mspec)).eval()
            params = list(net.p.values())
            row = {'threads': threads, 'model': kind, 'params': sum(p.numel() for p in params)}
            g = torch.Generator().manual_seed(spec['seed'])
            v = [torch.randn(p.shape, generator=g) for p in params]
            for b in spec['batches']:
                x, y = x_all[:b], y_all[:b]
                with torch.no_grad():
                    row[f'loss{b}'] = float(F.cross_entropy(net(x), y))

                def fwd():
                    with torch.no_grad():
                        F.cross_entropy(net(x), y)

                def grad():
                    torch.autograd.grad(F.cross_entropy(net(x), y), params)

                row[f'fwd{b}'] = timed(fwd, reps)
                row[f'grad{b}'] = timed(grad, reps)
                row[f'hvp{b}'] = timed(lambda: hvp_chunk(net, params, x, y, v), reps)
            out['runs'].append(row)
    e2e = spec.get('endToEnd')
    if e2e:
        torch.set_num_threads(max(spec['threads']))
        out['endToEnd'] = []
        m, c = e2e['samples'], e2e['chunk']
        chunks = [(x_all[s:s + c], y_all[s:s + c]) for s in range(0, m, c)]
        for kind in e2e['models']:
            net = Net(kind, load_weights(spec['models'][kind])).eval()
            params = list(net.p.values())
            t0 = time.perf_counter()
            eig, hvps = power_iteration(net, params, chunks, m, e2e['tol'], e2e['maxIter'], spec['seed'])
            t_power = time.perf_counter() - t0
            t0 = time.perf_counter()
            landscape(net, params, chunks, m, e2e['grid'], spec['seed'])
            t_land = time.perf_counter() - t0
            out['endToEnd'].append({'model': kind, 'threads': torch.get_num_threads(), 'powerSeconds': t_power,
                                    'powerHvps': hvps, 'lambdaMax': eig, 'landscapeSeconds': t_land})
        torch.set_num_threads(default_threads)
    out['blas'] = next((line.split()[-1] for line in open('/proc/self/maps') if 'blas' in line), None)
    out['peakRssMiB'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(out, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
