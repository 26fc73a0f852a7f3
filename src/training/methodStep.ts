/**
 * The gradient each method steps along, for any scalar function of some variables (a
 * minibatch loss of a network, or a closed-form function in tests):
 *
 * - sgd (and swa, fge): g = grad L(w).
 * - sam: g = grad L(w); e_hat from g (samPerturbation.ts); the step's gradient is
 *   grad L(w + e_hat), taken with the variables moved to w + e_hat and put back exactly
 *   afterwards. Hooks run around the second pass (the train loop snapshots and restores
 *   BatchNorm's moving statistics there, so they are updated from the first pass only).
 *
 * The L2 term lambda ||w||^2 sits outside SAM's max (Foret et al. 2021, eq. 1), so its
 * gradient 2 lambda w is taken at w for every method (addL2Gradient); for sgd this is
 * exactly the gradient of L + lambda ||w||^2.
 */
import { tf, type Scalar, type Tensor, type Variable } from '../engine/tf.ts';
import { valueAndGrad } from '../engine/autodiff.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import { samPerturbation, type SamOptions } from './samPerturbation.ts';

export interface StepGradient {
  /** L(w), the loss at the unperturbed point (the first pass for SAM). */
  value: number;
  /** The gradient to step along (caller owns it). */
  grads: Tensor[];
}

export function sgdGradient(loss: () => Scalar, vars: readonly Variable[]): StepGradient {
  return valueAndGrad(loss, vars);
}

export interface SamHooks {
  /** Before the pass at w + e_hat (e.g. snapshot BatchNorm statistics). */
  beforeSecondPass?(): void;
  /** After it (e.g. restore them). Runs even if the pass throws. */
  afterSecondPass?(): void;
}

/**
 * SAM's gradient grad L(w + e_hat) (see module comment). `firstPass` may differ from
 * `secondPass` (e.g. to record accuracy); both are the same loss of the same variables.
 */
export function samGradient(
  firstPass: () => Scalar,
  secondPass: () => Scalar,
  vars: readonly Variable[],
  sam: SamOptions,
  hooks: SamHooks = {},
): StepGradient & { perturbationNorm: number } {
  return samGradientOf(() => valueAndGrad(firstPass, vars), () => valueAndGrad(secondPass, vars), vars, sam, hooks);
}

/**
 * samGradient for any way of taking the gradient at the variables' current values (a
 * whole minibatch, or its chunks added in order: trainLoop.ts): `first` at w, `second`
 * with the variables moved to w + e_hat.
 */
export function samGradientOf(
  first: () => StepGradient,
  second: () => StepGradient,
  vars: readonly Variable[],
  sam: SamOptions,
  hooks: SamHooks = {},
): StepGradient & { perturbationNorm: number } {
  const g1 = first();
  const shapes = pv.shapesOf(vars);
  const g = pv.flatten(g1.grads);
  pv.dispose(g1.grads);
  const w0 = pv.clone(vars);
  try {
    const e = samPerturbation(g, sam, sam.adaptive ? pv.flatten(w0) : undefined);
    let norm2 = 0;
    for (let i = 0; i < e.length; i++) norm2 += e[i]! * e[i]!;
    const eT = pv.unflatten(e, shapes);
    const moved = pv.add(w0, eT);
    pv.dispose(eT);
    vars.forEach((v, i) => v.assign(moved[i]!));
    pv.dispose(moved);
    hooks.beforeSecondPass?.();
    let g2;
    try {
      g2 = second();
    } finally {
      hooks.afterSecondPass?.();
      vars.forEach((v, i) => v.assign(w0[i]!));
    }
    return { value: g1.value, grads: g2.grads, perturbationNorm: Math.sqrt(norm2) };
  } finally {
    pv.dispose(w0);
  }
}

/** grads + 2 lambda w (new tensors; grads is not disposed). */
export function addL2Gradient(grads: ParamVector, vars: ParamVector, l2: number): Tensor[] {
  if (l2 === 0) return pv.clone(grads);
  return tf.tidy(() => grads.map((g, i) => tf.add(g, tf.mul(vars[i]!, 2 * l2))));
}
