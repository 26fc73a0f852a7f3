import { tf, type Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import { UsageError } from '../errors.ts';
import { newCost, type Cost, type LossAndAccuracy, type Objective } from './Objective.ts';

/**
 * The common frame of the closed-form objectives: parameters are handled as one float64
 * vector, and the subclass supplies value, gradient and Hessian-vector product in float64.
 * Results are returned as float32 tensors laid out like `shapes`.
 */
export interface DenseFunctions {
  kind: string;
  names: string[];
  shapes: number[][];
  numSamples: number;
  /** The point the objective is built at. */
  params: Float64Array;
  value(w: Float64Array): number;
  gradient(w: Float64Array): Float64Array;
  hessianTimes(w: Float64Array, v: Float64Array): Float64Array;
  accuracy?(w: Float64Array): number | null;
}

export function toFloat64(v: ParamVector): Float64Array {
  return Float64Array.from(pv.flatten(v));
}

export function denseObjective(f: DenseFunctions): Objective {
  const dimension = pv.sizeOf(f.shapes);
  if (f.params.length !== dimension) {
    throw new UsageError(`${f.kind}: params have ${f.params.length} values but the shapes hold ${dimension}`);
  }
  const params = pv.unflatten(f.params, f.shapes);
  const cost: Cost = newCost();
  const read = (w: ParamVector, what: string): Float64Array => {
    const flat = toFloat64(w);
    if (flat.length !== dimension) throw new UsageError(`${f.kind}: ${what} has ${flat.length} values, expected ${dimension}`);
    return flat;
  };
  return {
    kind: f.kind,
    names: f.names,
    shapes: f.shapes,
    dimension,
    numSamples: f.numSamples,
    params,
    cost,
    loss(w) {
      cost.lossEvaluations++;
      return f.value(read(w, 'w'));
    },
    lossAndAccuracy(w): LossAndAccuracy {
      cost.lossEvaluations++;
      const x = read(w, 'w');
      return { loss: f.value(x), accuracy: f.accuracy ? f.accuracy(x) : null };
    },
    grad(w) {
      cost.gradients++;
      const x = read(w, 'w');
      return { value: f.value(x), grad: pv.unflatten(f.gradient(x), f.shapes) };
    },
    hvp(w, v): Tensor[] {
      cost.hvps++;
      return pv.unflatten(f.hessianTimes(read(w, 'w'), read(v, 'v')), f.shapes);
    },
    dispose() {
      tf.dispose(params);
    },
  };
}
