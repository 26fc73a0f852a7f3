/**
 * Per-layer blocks. The block operator is the diagonal block H_bb of the full Hessian
 * (checked entry by entry on a quadratic, float32: 1e-6); per-layer top eigenvalues equal
 * ml-matrix on the blocks of a tiny MLP's assembled Hessian (1e-5 of ||H_bb||), and
 * per-layer traces are within 3 standard errors of the blocks' exact traces.
 */
import test from 'ava';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import * as pv from '../../src/engine/paramVector.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { hvpOperator } from '../../src/hessian/HvpOperator.ts';
import { blockOperator, layerGroups, perLayer } from '../../src/hessian/perLayer.ts';
import { Solver } from '../../src/hessian/types.ts';
import { UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { assertNoLeak, modelFixture, TINY_MLP } from './hessianFixtures.ts';

test.before(async () => {
  await useBackend('cpu');
});

test('layerGroups: weights of a layer share the prefix before the last /; order of first appearance', (t) => {
  t.deepEqual(layerGroups(['dense_1/kernel', 'dense_1/bias', 'conv/a/kernel', 'free', 'conv/a/bias']), [
    { layer: 'dense_1', blocks: [0, 1] },
    { layer: 'conv/a', blocks: [2, 4] },
    { layer: 'free', blocks: [3] },
  ]);
});

test('blockOperator is the diagonal block H_bb (zero-padded HVP restricted to the block)', (t) => {
  const eig = [5, 4, 3, 2, 1, 0.5, -1, -2, 0.1];
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 2, shapes: [[2], [3], [2, 2]] });
  const op = hvpOperator(q);
  const b = blockOperator(op, [2, 0]); // blocks 2 (coordinates 5..8) then 0 (0..1)
  t.is(b.dimension, 6);
  t.deepEqual(b.shapes, [[2, 2], [2]]);
  const coords = [5, 6, 7, 8, 0, 1];
  for (let j = 0; j < 6; j++) {
    const e = new Array<number>(6).fill(0);
    e[j] = 1;
    const ej = pv.unflatten(e, b.shapes);
    const col = pv.flatten(b.apply(ej));
    coords.forEach((r, i) => t.true(Math.abs(col[i]! - q.hessian[r * 9 + coords[j]!]!) < 1e-6, `H_bb[${i}][${j}]`));
    pv.dispose(ej);
  }
  t.is(op.hvps, 6, 'one full HVP per block application');
  t.throws(() => blockOperator(op, [0, 0]), { instanceOf: UsageError, message: /distinct indices in \[0, 2\], got \[0,0\]/ });
  t.throws(() => blockOperator(op, [3]), { instanceOf: UsageError });
  t.throws(() => blockOperator(op, []), { instanceOf: UsageError });
});

test('tiny MLP: per-layer top eigenvalue and trace equal those of the diagonal blocks of the full Hessian', (t) => {
  const f = modelFixture(TINY_MLP);
  const r = perLayer(f.op, { tol: 1e-4, probes: 300, seed: 4 });
  t.deepEqual(r.layers.map((l) => l.layer), ['dense_Dense1', 'dense_Dense2', 'dense_Dense3']);
  let offset = 0;
  const offsets = f.op.shapes.map((s) => ((offset += s.reduce((a, b) => a * b, 1)), offset - s.reduce((a, b) => a * b, 1)));
  let total = 0;
  for (const [j, layer] of r.layers.entries()) {
    const groups = layerGroups(f.op.names)[j]!;
    const idx = groups.blocks.flatMap((b) => Array.from({ length: pv.sizeOf([f.op.shapes[b]!]) }, (_, i) => offsets[b]! + i));
    t.is(layer.dimension, idx.length);
    const block = new Matrix(idx.map((r0) => idx.map((c0) => f.dense[r0]![c0]!)));
    const eig = new EigenvalueDecomposition(block, { assumeSymmetric: true }).realEigenvalues.sort((a, b) => b - a);
    const scale = Math.max(...eig.map(Math.abs));
    const trace = idx.reduce((s, i) => s + f.dense[i]![i]!, 0);
    t.true(layer.eigen.converged);
    t.true(Math.abs(layer.eigen.eigenvalues[0]! - eig[0]!) < 1e-5 * scale, `${layer.layer}: ${layer.eigen.eigenvalues[0]} vs ${eig[0]}`);
    t.true(Math.abs(layer.trace.estimate - trace) < 3 * layer.trace.stderr! + 1e-6, `${layer.layer}: trace ${layer.trace.estimate} +- ${layer.trace.stderr} vs ${trace}`);
    t.deepEqual(layer.blocks, groups.blocks.map((b) => f.op.names[b]!));
    total += layer.eigen.hvps + layer.trace.hvps;
  }
  t.is(r.hvps, total);
  // power iteration per layer gives the same top eigenvalues (no dominant negative block eigenvalue here)
  const p = perLayer(f.op, { solver: Solver.power, tol: 1e-9, maxIter: 3000, probes: 3, seed: 4 });
  p.layers.forEach((l, j) => t.true(Math.abs(l.eigen.eigenvalues[0]! - r.layers[j]!.eigen.eigenvalues[0]!) < 1e-4 * Math.abs(r.layers[j]!.eigen.eigenvalues[0]!)));
  f.dispose();
});

test('perLayer leaves no tensors behind', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [5, 4, 3, 2, 1, 0.5, -1, -2, 0.1], seed: 2, shapes: [[2], [3], [2, 2]] });
  const op = hvpOperator(q);
  assertNoLeak(t, 'perLayer', () => void perLayer(op, { probes: 4 }));
});
