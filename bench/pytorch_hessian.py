"""PyTorch side of bench/dataParallel.bench.ts: PyHessian-style power iteration (top-1,
tol 1e-3, at most 100 HVPs) at each thread count, forward throughput, and a float64 Lanczos
reference for lambda_max (full reorthogonalisation, 80 steps), with the same weights and
data as the TypeScript side (the architectures and weight conversion of pytorch_bench.py).

    python3 bench/pytorch_hessian.py SPEC.json -> one JSON document on stdout
SPEC: {"x", "y", "n", "sampleShape", "chunk", "threads": [1, 2], "seed", "models": {...}}
"""
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from pytorch_bench import Net, full_hvp, load_weights, power_iteration  # noqa: E402


def lanczos_top(net, params, chunks, n, steps, seed):
    """lambda_max in float64: Lanczos with full reorthogonalisation."""
    g = torch.Generator().manual_seed(seed)
    flat = lambda vs: torch.cat([v.reshape(-1) for v in vs])  # noqa: E731
    shapes = [p.shape for p in params]
    sizes = [p.numel() for p in params]

    def unflat(x):
        return [t.reshape(s) for t, s in zip(torch.split(x, sizes), shapes)]

    q = torch.randn(sum(sizes), generator=g, dtype=torch.float64)
    q /= q.norm()
    Q, alphas, betas = [q], [], []
    for j in range(steps):
        w = flat(full_hvp(net, params, chunks, n, unflat(Q[-1])))
        alphas.append(float(w @ Q[-1]))
        for qq in Q:
            w -= (w @ qq) * qq
        for qq in Q:
            w -= (w @ qq) * qq
        b = float(w.norm())
        if b < 1e-10 or j == steps - 1:
            break
        betas.append(b)
        Q.append(w / b)
    m = len(alphas)
    T = torch.diag(torch.tensor(alphas, dtype=torch.float64))
    for i in range(m - 1):
        T[i, i + 1] = T[i + 1, i] = betas[i]
    return float(torch.linalg.eigvalsh(T)[-1])


def main():
    spec = json.load(open(sys.argv[1]))
    n, shape, c = spec['n'], spec['sampleShape'], spec['chunk']
    x_all = torch.from_numpy(np.fromfile(spec['x'], dtype='<f4').reshape([n] + shape)).permute(0, 3, 1, 2).contiguous()
    y_all = torch.from_numpy(np.fromfile(spec['y'], dtype='<i4').astype(np.int64))
    chunks = [(x_all[s:s + c], y_all[s:s + c]) for s in range(0, n, c)]
    out = {'torch': torch.__version__, 'rows': []}
    for kind, mspec in spec['models'].items():
        weights = load_weights(mspec)
        for threads in spec['threads']:
            torch.set_num_threads(threads)
            net = Net(kind, weights).eval()
            params = list(net.p.values())
            with torch.no_grad():
                net(chunks[0][0])
                ts = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    for xb, yb in chunks:
                        F.cross_entropy(net(xb), yb)
                    ts.append(time.perf_counter() - t0)
            fwd = sorted(ts)[1]
            t0 = time.perf_counter()
            eig, hvps = power_iteration(net, params, chunks, n, 1e-3, 100, spec['seed'])
            secs = time.perf_counter() - t0
            out['rows'].append({'model': kind, 'threads': threads, 'powerSeconds': secs, 'powerHvps': hvps, 'lambda': eig,
                                'forwardSamplesPerSecond': n / fwd})
        torch.set_num_threads(max(spec['threads']))
        net64 = Net(kind, weights).double().eval()
        params64 = list(net64.p.values())
        chunks64 = [(xb.double(), yb) for xb, yb in chunks]
        t0 = time.perf_counter()
        out.setdefault('reference', {})[kind] = {'lambda': lanczos_top(net64, params64, chunks64, n, spec.get('refSteps', 60), 123),
                                                 'seconds': time.perf_counter() - t0}
    json.dump(out, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
