/**
 * Independent references for derivative tests: central finite differences of the loss
 * and of the gradient, computed by moving the model's variables and restoring them.
 */
import { tf, tfl, type Scalar, type Tensor } from '../../src/engine/tf.ts';
import { valueAndGrad, hessianVectorProduct } from '../../src/engine/autodiff.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import {
  crossEntropyFromLogits,
  meanSquaredError,
  binaryCrossEntropyFromLogits,
  l2Penalty,
} from '../../src/objective/losses.ts';

export interface Problem {
  vars: tf.Variable[];
  names: string[];
  loss: () => Scalar;
}

export type LossKind = 'ce' | 'ce-onehot' | 'mse' | 'bce';

/** A model, a batch and a loss; the model's output is treated as logits for ce/bce. */
export function problemFromModel(
  model: tfl.LayersModel,
  x: Tensor,
  y: Tensor,
  kind: LossKind,
  opts: { training?: boolean; l2?: number } = {},
): Problem {
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const names = model.trainableWeights.map((w) => w.originalName);
  const lossOf = (out: Tensor): Scalar => {
    switch (kind) {
      case 'ce':
      case 'ce-onehot':
        return crossEntropyFromLogits(out, y);
      case 'mse':
        return meanSquaredError(out, y);
      case 'bce':
        return binaryCrossEntropyFromLogits(out, y);
    }
  };
  return {
    vars,
    names,
    loss: () => {
      const out = model.apply(x, { training: opts.training ?? false }) as Tensor;
      const l = lossOf(out);
      return opts.l2 ? (tf.add(l, l2Penalty(vars, opts.l2)) as Scalar) : l;
    },
  };
}

function withShift<T>(p: Problem, dir: readonly Tensor[], eps: number, fn: () => T): T {
  const saved = p.vars.map((v) => v.clone());
  try {
    p.vars.forEach((v, i) => v.assign(tf.tidy(() => tf.add(saved[i]!, tf.mul(dir[i]!, eps)))));
    return fn();
  } finally {
    p.vars.forEach((v, i) => v.assign(saved[i]!));
    pv.dispose(saved);
  }
}

export function lossValue(p: Problem): number {
  return tf.tidy(() => p.loss().dataSync()[0]!);
}

/** (L(w + eps u) - L(w - eps u)) / (2 eps). */
export function directionalDerivativeFD(p: Problem, u: readonly Tensor[], eps: number): number {
  const lp = withShift(p, u, eps, () => lossValue(p));
  const lm = withShift(p, u, -eps, () => lossValue(p));
  return (lp - lm) / (2 * eps);
}

/** (g(w + eps v) - g(w - eps v)) / (2 eps). */
export function hvpFD(p: Problem, v: readonly Tensor[], eps: number): Tensor[] {
  const gp = withShift(p, v, eps, () => valueAndGrad(p.loss, p.vars).grads);
  const gm = withShift(p, v, -eps, () => valueAndGrad(p.loss, p.vars).grads);
  const out = tf.tidy(() => gp.map((g, i) => tf.div(tf.sub(g, gm[i]!), 2 * eps)));
  pv.dispose(gp, gm);
  return out;
}

export function grad(p: Problem): Tensor[] {
  return valueAndGrad(p.loss, p.vars).grads;
}

export function hvp(p: Problem, v: readonly Tensor[]): Tensor[] {
  return hessianVectorProduct(p.loss, p.vars, v, p.names);
}

/** ||a - b|| / ||b||; Infinity when anything is NaN (NaN is never close). */
export function relativeError(a: readonly Tensor[], b: readonly Tensor[]): number {
  const fa = pv.flatten(a);
  const fb = pv.flatten(b);
  let num = 0;
  let den = 0;
  for (let i = 0; i < fa.length; i++) {
    const d = fa[i]! - fb[i]!;
    num += d * d;
    den += fb[i]! * fb[i]!;
  }
  const r = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
  return Number.isNaN(r) ? Infinity : r;
}

/** A unit-norm random direction over the problem's variables. */
export function unitDirection(p: Problem, seed: number): Tensor[] {
  const v = pv.randomNormal(pv.shapesOf(p.vars), createRng(seed));
  const n = pv.norm(v);
  const out = pv.scale(1 / n, v);
  pv.dispose(v);
  return out;
}

/** Dense Hessian assembled column by column from HVPs with the unit vectors. */
export function hessianFromHvps(p: Problem, fd?: { eps: number }): number[][] {
  const shapes = pv.shapesOf(p.vars);
  const n = pv.sizeOf(shapes);
  const H: number[][] = [];
  for (let j = 0; j < n; j++) {
    const e = new Float32Array(n);
    e[j] = 1;
    const ej = pv.unflatten(e, shapes);
    const col = fd ? hvpFD(p, ej, fd.eps) : hvp(p, ej);
    H.push(Array.from(pv.flatten(col)));
    pv.dispose(ej, col);
  }
  return H; // H[j] is column j; symmetric when correct
}
