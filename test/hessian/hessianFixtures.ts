/**
 * Shared fixtures of the Hessian tests: operators over closed-form quadratics and over
 * tiny models (HVPs by double backward), the dense Hessian of a tiny model assembled
 * from HVPs and decomposed by ml-matrix, and a tensor-leak guard.
 */
import type { ExecutionContext } from 'ava';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { tf, tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { operatorFromFunction, type HvpOperator } from '../../src/hessian/HvpOperator.ts';
import { seedWeights, makeBatch, type LayerCase } from '../helpers/layerCases.ts';
import { problemFromModel, hessianFromHvps, hvp, type Problem } from '../helpers/derivatives.ts';

const L = tfl.layers;

/** max |a_i - b_i| / |b_i| (Infinity for NaN: NaN is never close). */
export function maxRelativeError(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!);
    if (Number.isNaN(e)) return Infinity;
    m = Math.max(m, e);
  }
  return m;
}

/** Asserts that fn leaves tf.memory().numTensors as it found it. */
export function assertNoLeak(t: ExecutionContext, what: string, fn: () => void): void {
  fn(); // warm-up: kernels may cache tensors on first use
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) fn();
  t.is(tf.memory().numTensors, before, `${what} leaked tensors`);
}

export const TINY_MLP: LayerCase = {
  name: 'MLP tanh/softplus',
  kinked: false,
  loss: 'ce',
  inputShape: [3],
  outputs: 3,
  build: () =>
    tfl.sequential({
      layers: [L.dense({ units: 4, inputShape: [3], activation: 'tanh' }), L.dense({ units: 3, activation: 'softplus' }), L.dense({ units: 3 })],
    }),
};

export const TINY_CNN: LayerCase = {
  name: 'CNN Conv2D + BatchNorm + tanh + avg-pool',
  kinked: false,
  loss: 'ce',
  inputShape: [4, 4, 1],
  outputs: 2,
  build: () =>
    tfl.sequential({
      layers: [
        L.inputLayer({ inputShape: [4, 4, 1] }),
        L.conv2d({ filters: 2, kernelSize: 2, padding: 'same' }),
        L.batchNormalization({}),
        L.activation({ activation: 'tanh' }),
        L.conv2d({ filters: 2, kernelSize: 2, padding: 'same', useBias: false }),
        L.averagePooling2d({ poolSize: 2 }),
        L.flatten(),
        L.dense({ units: 2 }),
      ],
    }),
};

export interface ModelFixture {
  problem: Problem;
  op: HvpOperator;
  /** Eigenvalues of the dense Hessian (symmetrised), descending. */
  eigenvalues: number[];
  /** Dense Hessian, row-major rows. */
  dense: number[][];
  trace: number;
  dispose(): void;
}

/** A tiny model with seeded weights and batch; its Hessian as an operator and densely. */
export function modelFixture(c: LayerCase, seed = 7): ModelFixture {
  const model = c.build();
  seedWeights(model, createRng(seed));
  const { x, y } = makeBatch(c, 6, seed + 1);
  const problem = problemFromModel(model, x, y, c.loss, { training: c.training });
  const op = operatorFromFunction({ shapes: problem.vars.map((v) => v.shape), names: problem.names, apply: (v) => hvp(problem, v) });
  const cols = hessianFromHvps(problem);
  const n = cols.length;
  const dense = cols.map((_, i) => cols.map((_, j) => 0.5 * (cols[i]![j]! + cols[j]![i]!)));
  const eigenvalues = new EigenvalueDecomposition(new Matrix(dense), { assumeSymmetric: true }).realEigenvalues.sort((a, b) => b - a);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += dense[i]![i]!;
  return {
    problem,
    op,
    eigenvalues,
    dense,
    trace,
    dispose: () => {
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}
