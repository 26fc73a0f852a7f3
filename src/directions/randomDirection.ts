import type { Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { Rng } from '../engine/rng.ts';
import { NumericError } from '../errors.ts';

/**
 * A Gaussian direction laid out like `shapes`: i.i.d. N(0, 1) entries drawn from `rng` in
 * block order (so the same rng state gives the same direction on every backend). The
 * caller owns the result.
 */
export function randomDirection(shapes: readonly (readonly number[])[], rng: Rng): Tensor[] {
  return pv.randomNormal(shapes, rng);
}

/** A Gaussian direction scaled to unit Euclidean norm: uniform on the unit sphere. */
export function randomUnitDirection(shapes: readonly (readonly number[])[], rng: Rng): Tensor[] {
  const g = randomDirection(shapes, rng);
  try {
    return unitize(g, 'randomUnitDirection');
  } finally {
    pv.dispose(g);
  }
}

/** v / ||v|| (new tensors); a zero or non-finite v is a NumericError naming `where`. */
export function unitize(v: pv.ParamVector, where: string): Tensor[] {
  const n = pv.norm(v);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new NumericError(`${where}: cannot scale a direction of norm ${n} to unit length`);
  }
  return pv.scale(1 / n, v);
}
