import type { Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import type { Rng } from '../engine/rng.ts';
import { randomDirection, unitize } from '../directions/randomDirection.ts';
import { Norm, normalizeDirection, type Ignore } from '../directions/normalizeDirection.ts';

export interface LandscapeDirectionOptions {
  norm: Norm;
  ignore: readonly Ignore[];
  /** Block names (to tell BatchNorm blocks from biases). */
  names: readonly string[];
}

/**
 * A random direction for a landscape, drawn from `rng` (pass `rng.fork(i)` for item i, so
 * each direction depends on its index only):
 * - `filter` / `layer`: a Gaussian direction normalised to `weights` as Li et al. (2018) do
 *   (normalizeDirection), ignored blocks zeroed;
 * - `none`: a Gaussian direction with the ignored blocks zeroed, scaled to unit Euclidean
 *   norm, so that t is the Euclidean distance from w (the rays of Izmailov et al. 2018).
 * The caller owns the result.
 */
export function landscapeDirection(weights: ParamVector, rng: Rng, opts: LandscapeDirectionOptions): Tensor[] {
  const g = randomDirection(pv.shapesOf(weights), rng);
  try {
    const d = normalizeDirection(g, weights, { norm: opts.norm, ignore: opts.ignore, names: opts.names });
    if (opts.norm !== Norm.none) return d;
    try {
      return unitize(d, 'landscape direction');
    } finally {
      pv.dispose(d);
    }
  } finally {
    pv.dispose(g);
  }
}
