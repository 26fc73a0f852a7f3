import { NumericError } from '../errors.ts';
import type { Objective } from '../objective/Objective.ts';
import type { VolumeResult } from '../results/volumeDocument.ts';
import { assembleVolume, volumeItem, volumePlan, type VolumeItemRecord } from './volumeItems.ts';
import { validateVolumeOptions, type VolumeOptions } from './volumeSearch.ts';

export type { Censored, LayerVolume, VolumeEstimate, VolumeResult } from '../results/volumeDocument.ts';
export {
  radiusAlong,
  validateVolumeOptions,
  volumeDirection,
  volumeDirectionRng,
  VOLUME_DEFAULTS,
  type DirectionSpec,
  type RadiusResult,
  type RadiusSearch,
  type ValidatedVolume,
  type VolumeOptions,
} from './volumeSearch.ts';

/**
 * Flat volume (Hochreiter & Schmidhuber 1997): the volume of the region around w where the
 * loss stays within delta of L(w), estimated from the radii r(u) at which L(w + r u) - L(w)
 * reaches delta along random directions u:
 *
 *   log Volume = log V_d + log mean_i exp(d log r_i),   V_d the unit d-ball's volume.
 *
 * This is exact in expectation of mean r^d for a star-shaped region and u uniform on the
 * sphere (Gaussian directions scaled to unit norm, the default `norm: 'none'`).
 *
 * READ WITH CARE: in high dimension the mean of r_i^d is dominated by the largest sampled
 * radius, i.e. by the flattest sampled direction, and the flattest directions of the region
 * are almost never sampled; by Jensen's inequality the estimate is a LOWER BOUND in
 * expectation, and its bootstrap interval only describes the sampled directions. Radii that
 * reach `maxRadius` are censored: they enter at maxRadius, which lowers the estimate further
 * (it is then a lower bound even for the sampled directions). The radii, their quantiles and
 * the geometric mean radius are the robust summaries.
 *
 * With `norm: 'filter'` or `'layer'` the directions are filter/layer-normalised Gaussian
 * directions (see directions/normalizeDirection.ts) and are NOT rescaled to unit length:
 * radii are in units of the weights' own norms (r = 1 moves every filter by its norm), and
 * logVolume is a scale-invariant index in those units rather than a Euclidean volume.
 * Blocks zeroed by `ignore` do not count in the dimension d.
 *
 * The radius along u is the first crossing found by doubling from `initialRadius` (or
 * halving, when already above delta there), then bisection until (hi - lo) <= tolerance * hi;
 * the reported radius is the bracket's midpoint. A non-monotone loss profile could cross
 * delta earlier between doubling points. A non-finite loss counts as above delta.
 */
/** See the notes above VolumeOptions. Built from the items of volumeItems.ts, in item order. */
export function flatVolume(objective: Objective, opts: VolumeOptions): VolumeResult {
  const o = validateVolumeOptions(opts);
  const w = objective.params;
  const plan = volumePlan(objective.names, objective.shapes, o);
  const baseLoss = objective.loss(w);
  if (!Number.isFinite(baseLoss)) throw new NumericError(`volume: the loss at w is ${baseLoss}`);
  const records: VolumeItemRecord[] = [];
  for (let j = 0; j < plan.itemCount; j++) {
    records.push(volumeItem(objective, w, baseLoss, o, j, plan));
    opts.onProgress?.(j + 1, plan.itemCount);
  }
  return assembleVolume(o, plan, baseLoss, records);
}
