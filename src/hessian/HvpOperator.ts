/**
 * The Hessian as a linear operator v -> H v: all the solvers need. Built from an Objective
 * at a point (its w* by default), from any function (tests, benchmarks), or restricted to
 * a few parameter blocks (see perLayer.ts), so every solver runs unchanged on each.
 */
import { tf, type Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import type { Objective } from '../objective/Objective.ts';
import { EngineError } from '../errors.ts';

export interface HvpOperator {
  /** Number of coordinates (the sum of the block sizes). */
  readonly dimension: number;
  /** Block shapes, in parameter order. */
  readonly shapes: readonly (readonly number[])[];
  /** One name per block (weight names for a model). */
  readonly names: readonly string[];
  /** H v; never changes v; the caller owns the result. */
  apply(v: ParamVector): Tensor[];
  /** HVPs applied so far through this operator. */
  readonly hvps: number;
}

export interface OperatorSpec {
  shapes: readonly (readonly number[])[];
  names?: readonly string[];
  apply(v: ParamVector): Tensor[];
}

/** Wraps a function as an operator that counts its applications and checks the layout it returns. */
export function operatorFromFunction(spec: OperatorSpec): HvpOperator {
  const shapes = spec.shapes.map((s) => s.slice());
  const names = spec.names ? spec.names.slice() : shapes.map((_, i) => `block${i}`);
  if (names.length !== shapes.length) {
    throw new EngineError(`hessian: ${names.length} names for ${shapes.length} parameter blocks`);
  }
  let hvps = 0;
  return {
    dimension: pv.sizeOf(shapes),
    shapes,
    names,
    get hvps() {
      return hvps;
    },
    apply(v) {
      hvps++;
      const hv = spec.apply(v);
      if (hv.length !== shapes.length || hv.some((t, i) => !tf.util.arraysEqual(t.shape, shapes[i]!))) {
        const got = JSON.stringify(hv.map((t) => t.shape));
        pv.dispose(hv);
        throw new EngineError(`hessian: the HVP returned blocks ${got}, expected ${JSON.stringify(shapes)}`);
      }
      return hv;
    },
  };
}

/** The Hessian of an objective at `at` (default: the point it was built at, w*). */
export function hvpOperator(objective: Objective, at: ParamVector = objective.params): HvpOperator {
  return operatorFromFunction({ shapes: objective.shapes, names: objective.names, apply: (v) => objective.hvp(at, v) });
}

// ---- flat views, used inside the solvers so that basis algebra is a few matMuls ----

/** All blocks concatenated into one 1-D tensor. */
export function toFlat(v: ParamVector): tf.Tensor1D {
  return tf.tidy(() => tf.concat(v.map((t) => tf.reshape(t, [-1]))) as tf.Tensor1D);
}

/** Inverse of toFlat. */
export function toBlocks(x: Tensor, shapes: readonly (readonly number[])[]): Tensor[] {
  return tf.tidy(() => {
    const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
    const parts = shapes.length === 1 ? [x] : tf.split(x, sizes);
    return parts.map((p, i) => tf.reshape(p, shapes[i] as number[]));
  });
}

/** H x for a flat x; the caller owns the result. */
export function applyFlat(op: HvpOperator, x: tf.Tensor1D): tf.Tensor1D {
  const blocks = toBlocks(x, op.shapes);
  try {
    const hv = op.apply(blocks);
    const flat = toFlat(hv);
    pv.dispose(hv);
    return flat;
  } finally {
    pv.dispose(blocks);
  }
}
