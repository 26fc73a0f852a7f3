"""PyTorch side of `npm run bench:resnet18` (bench/resnet18.bench.ts): the same CIFAR
ResNet-18 (bench/resnet18Model.ts) with the same weights on the same data, timed the same
way: loss (forward), one gradient and one HVP by double backward (autograd.grad with
create_graph, then grad of <g, v>) per batch, the batch in chunks that sum as the TypeScript
objective does. Optional: the bench runs it only when `python3 -c "import torch"` works
(Debian: apt-get install python3-torch). Eager mode only (no torch.compile).

    python3 bench/pytorch_resnet18.py SPEC.json  ->  one JSON document on stdout

SPEC.json: {"x": float32 [N, 32, 32, 3] (NHWC), "y": int32 [N], "n": N, "batches": [128],
  "chunk": 32, "reps": 1, "threads": [2], "seed": 1,
  "weights": path of float32 values, "manifest": [{"name", "shape", "offset"}]}

Weights come in TensorFlow.js layouts (Conv2D kernel [kh, kw, in, out], Dense [in, out],
BatchNorm gamma / beta / moving_mean / moving_variance, eps 1e-3) and TensorFlow's 'same'
padding (the extra row / column at the bottom / right at stride 2) is kept, so both sides
compute the same function; BatchNorm uses the running statistics (eval), as our default.
"""
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from pytorch_bench import BN_EPS, Net, load_weights, median, tf_same_pad  # noqa: E402

STAGES = [(64, 1), (128, 2), (256, 2), (512, 2)]


def blocks():
    out, channels = [], 64
    for i, (filters, stride) in enumerate(STAGES):
        for b in range(2):
            s = stride if b == 0 else 1
            out.append((f's{i + 1}b{b + 1}', s, s != 1 or channels != filters))
            channels = filters
    return out


class ResNet18(Net):
    """The bench's ResNet-18 on pytorch_bench's weight container (TensorFlow.js layouts converted)."""

    def __init__(self, weights):
        super().__init__('resnet18', weights)

    def conv_bn(self, x, name, stride):
        k = self.w(f'{name}_conv/kernel')
        x = F.conv2d(tf_same_pad(x, k.shape[2], stride), k, None, stride=stride)
        return F.batch_norm(x, self.w(f'{name}_bn/moving_mean'), self.w(f'{name}_bn/moving_variance'),
                            self.w(f'{name}_bn/gamma'), self.w(f'{name}_bn/beta'), False, 0.0, BN_EPS)

    def forward(self, x):  # NCHW
        h = F.relu(self.conv_bn(x, 'stem', 1))
        for name, stride, proj in blocks():
            y = F.relu(self.conv_bn(h, f'{name}_a', stride))
            y = self.conv_bn(y, f'{name}_b', 1)
            s = self.conv_bn(h, f'{name}_proj', stride) if proj else h
            h = F.relu(s + y)
        return F.linear(h.mean(dim=(2, 3)), self.w('logits/kernel'), self.w('logits/bias'))


def timed(fn, reps):
    out = []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0, time.process_time() - c0))
    return {'seconds': median([o[0] for o in out]), 'cpuSeconds': median([o[1] for o in out])}


def main():
    spec = json.load(open(sys.argv[1]))
    n = spec['n']
    x_all = torch.from_numpy(np.fromfile(spec['x'], dtype='<f4').reshape([n, 32, 32, 3])).permute(0, 3, 1, 2).contiguous()
    y_all = torch.from_numpy(np.fromfile(spec['y'], dtype='<i4').astype(np.int64))
    net = ResNet18(load_weights(spec)).eval()
    params = list(net.p.values())
    g = torch.Generator().manual_seed(spec['seed'])
    v = [torch.randn(p.shape, generator=g) for p in params]
    out = {'torch': torch.__version__, 'trainableParameters': sum(p.numel() for p in params),
           'parameters': sum(p.numel() for p in params) + sum(b.numel() for b in net.buffers()), 'runs': []}
    for threads in spec['threads']:
        torch.set_num_threads(threads)
        # Warm-up of the loss, gradient and double backward on two samples, as our side does.
        x2, y2 = x_all[:2], y_all[:2]
        g2 = torch.autograd.grad(F.cross_entropy(net(x2), y2), params, create_graph=True)
        torch.autograd.grad(g2, params, grad_outputs=v)
        for b in spec['batches']:
            chunks = [(x_all[s:min(s + spec['chunk'], b)], y_all[s:min(s + spec['chunk'], b)]) for s in range(0, b, spec['chunk'])]

            def loss():
                with torch.no_grad():
                    return sum(float(F.cross_entropy(net(x), y, reduction='sum')) for x, y in chunks) / b

            def grad():
                acc = [torch.zeros_like(p) for p in params]
                for x, y in chunks:
                    gs = torch.autograd.grad(F.cross_entropy(net(x), y, reduction='sum') / b, params)
                    for a, t in zip(acc, gs):
                        a.add_(t)
                return acc

            def hvp():
                acc = [torch.zeros_like(p) for p in params]
                for x, y in chunks:
                    gs = torch.autograd.grad(F.cross_entropy(net(x), y, reduction='sum') / b, params, create_graph=True)
                    hv = torch.autograd.grad(gs, params, grad_outputs=v)
                    for a, t in zip(acc, hv):
                        a.add_(t)
                return acc

            value = loss()  # warm-up, and the loss compared with ours
            gn = float(torch.sqrt(sum((t * t).sum() for t in grad())))
            row = {'threads': threads, 'batch': b, 'chunk': spec['chunk'], 'loss': value, 'gradNorm': gn}
            for what, fn in (('forward', loss), ('gradient', grad), ('hvp', hvp)):
                t = timed(fn, spec['reps'])
                t['samplesPerSecond'] = b / t['seconds']
                t['samplesPerCpuSecond'] = b / t['cpuSeconds']
                row[what] = t
                print(f'[pytorch x{threads}] batch {b} {what}: {t["seconds"]:.2f} s', file=sys.stderr)
            row['hvpOverGradient'] = row['hvp']['seconds'] / row['gradient']['seconds']
            out['runs'].append(row)
    out['peakRssMiB'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(out, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
