/**
 * Real (tiny) models, HVPs by double backward: a 3-layer MLP and a CNN with BatchNorm
 * (inference mode). Their full Hessians are assembled from HVPs, symmetrised and
 * decomposed by ml-matrix; the solvers must agree with them.
 *
 * Tolerances: the HVP is float32 autodiff (the assembled Hessian is symmetric to about
 * 1e-6 of its largest entry), so eigenvalues are compared to 1e-5 of ||H|| with solver
 * tol 1e-4 (residual error enters squared). Traces: within 3 standard errors (fixed seed).
 */
import test from 'ava';
import * as pv from '../../src/engine/paramVector.ts';
import { lanczosEigenpairs } from '../../src/hessian/lanczosEigenpairs.ts';
import { powerIteration } from '../../src/hessian/powerIteration.ts';
import { hutchinson, hutchPlusPlus } from '../../src/hessian/hutchinson.ts';
import { slq } from '../../src/hessian/slq.ts';
import { Which } from '../../src/hessian/types.ts';
import { useBackend } from '../helpers/engine.ts';
import { modelFixture, TINY_CNN, TINY_MLP, assertNoLeak, type ModelFixture } from './hessianFixtures.ts';

test.before(async () => {
  await useBackend('cpu');
});

const fixtures = new Map<string, ModelFixture>();
const fixture = (c: typeof TINY_MLP) => {
  let f = fixtures.get(c.name);
  if (!f) fixtures.set(c.name, (f = modelFixture(c)));
  return f;
};
test.after.always(() => fixtures.forEach((f) => f.dispose()));

for (const c of [TINY_MLP, TINY_CNN]) {
  test.serial(`${c.name}: Lanczos top-3 and bottom-2 equal the eigenvalues of the full Hessian (ml-matrix)`, (t) => {
    const f = fixture(c);
    const scale = Math.max(...f.eigenvalues.map(Math.abs));
    t.true(f.op.dimension >= 40, `${f.op.dimension} parameters`);
    const top = lanczosEigenpairs(f.op, { topK: 3, tol: 1e-4, seed: 1, eigenvectors: true });
    t.true(top.converged);
    top.eigenvalues.forEach((x, i) => t.true(Math.abs(x - f.eigenvalues[i]!) < 1e-5 * scale, `top ${i}: ${x} vs ${f.eigenvalues[i]}`));
    top.eigenvectors!.forEach((v, i) => {
      const hv = f.op.apply(v);
      const res = pv.axpy(-top.eigenvalues[i]!, v, hv);
      t.true(pv.norm(res) <= 1e-4 * Math.abs(top.eigenvalues[i]!) * 1.01, `Hv = lambda v for pair ${i}: ${pv.norm(res)}`);
      pv.dispose(hv, res, v);
    });
    const bottom = lanczosEigenpairs(f.op, { topK: 2, which: Which.smallest, tol: 1e-4, seed: 1 });
    const n = f.eigenvalues.length;
    t.true(bottom.converged);
    bottom.eigenvalues.forEach((x, i) => t.true(Math.abs(x - f.eigenvalues[n - 1 - i]!) < 1e-5 * scale, `bottom ${i}: ${x}`));
  });

  test.serial(`${c.name}: power iteration and Lanczos agree on the top-2`, (t) => {
    const f = fixture(c);
    const scale = Math.max(...f.eigenvalues.map(Math.abs));
    const p = powerIteration(f.op, { topK: 2, tol: 1e-9, maxIter: 2000, seed: 3 });
    const l = lanczosEigenpairs(f.op, { topK: 2, tol: 1e-4, seed: 3 });
    p.eigenvalues.forEach((x, i) => t.true(Math.abs(x - l.eigenvalues[i]!) < 1e-5 * scale, `${x} vs ${l.eigenvalues[i]}`));
    t.true(l.hvps < p.hvps / 2, `Lanczos ${l.hvps} HVPs, power iteration ${p.hvps}`);
  });

  test.serial(`${c.name}: Hutchinson and Hutch++ traces are within 3 standard errors of the exact trace`, (t) => {
    const f = fixture(c);
    const h = hutchinson(f.op, { probes: 200, seed: 2 });
    t.true(Math.abs(h.estimate - f.trace) < 3 * h.stderr!, `Hutchinson ${h.estimate} +- ${h.stderr} vs ${f.trace}`);
    const pp = hutchPlusPlus(f.op, { probes: 60, seed: 2 });
    t.true(Math.abs(pp.estimate - f.trace) < 3 * pp.stderr!, `Hutch++ ${pp.estimate} +- ${pp.stderr} vs ${f.trace}`);
  });

  test.serial(`${c.name}: SLQ with steps = dimension: extreme nodes are the extreme eigenvalues, mean = trace / d`, (t) => {
    const f = fixture(c);
    const d = slq(f.op, { runs: 8, steps: f.op.dimension, seed: 5, gridPoints: 400 });
    // E[sum w theta] = v'Hv / ||v||^2 for unit Rademacher v: mean = trace / d, within the spread of 8 runs.
    const means = d.runs.map((r) => r.nodes.reduce((s, x, i) => s + x * r.weights[i]!, 0));
    const avg = means.reduce((a, b) => a + b, 0) / means.length;
    const sd = Math.sqrt(means.reduce((a, m) => a + (m - avg) ** 2, 0) / (means.length - 1));
    t.true(Math.abs(avg - f.trace / f.op.dimension) < 3 * sd / Math.sqrt(means.length), `${avg} vs ${f.trace / f.op.dimension}`);
    // a full Krylov space holds the extreme eigenvalues exactly
    const scale = Math.max(...f.eigenvalues.map(Math.abs));
    for (const r of d.runs) {
      t.true(Math.abs(r.nodes[r.nodes.length - 1]! - f.eigenvalues[0]!) < 1e-5 * scale);
      t.true(Math.abs(r.nodes[0]! - f.eigenvalues[f.eigenvalues.length - 1]!) < 1e-5 * scale);
    }
  });
}

test.serial('the solvers leave no tensors behind on a model', (t) => {
  const f = fixture(TINY_MLP);
  assertNoLeak(t, 'lanczosEigenpairs on a model', () => void lanczosEigenpairs(f.op, { topK: 2, tol: 1e-3 }));
  assertNoLeak(t, 'powerIteration on a model', () => void powerIteration(f.op, { maxIter: 10 }));
  assertNoLeak(t, 'hutchinson on a model', () => void hutchinson(f.op, { probes: 3 }));
  assertNoLeak(t, 'slq on a model', () => void slq(f.op, { steps: 5, gridPoints: 50 }));
});

test.serial('wasm backend: Lanczos top-3 and Hutch++ on the CNN agree with the full Hessian', async (t) => {
  await useBackend('wasm');
  try {
    const f = modelFixture(TINY_CNN);
    const scale = Math.max(...f.eigenvalues.map(Math.abs));
    const top = lanczosEigenpairs(f.op, { topK: 3, tol: 1e-4, seed: 1 });
    t.true(top.converged);
    top.eigenvalues.forEach((x, i) => t.true(Math.abs(x - f.eigenvalues[i]!) < 1e-5 * scale, `top ${i}: ${x} vs ${f.eigenvalues[i]}`));
    const pp = hutchPlusPlus(f.op, { probes: 60, seed: 2 });
    t.true(Math.abs(pp.estimate - f.trace) < 3 * pp.stderr!, `Hutch++ ${pp.estimate} +- ${pp.stderr} vs ${f.trace}`);
    f.dispose();
  } finally {
    await useBackend('cpu');
  }
});
