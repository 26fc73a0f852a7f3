import type { Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import { createRng, validateSeed, type Rng } from '../engine/rng.ts';
import { NumericError, UsageError } from '../errors.ts';
import { countOption } from '../limits.ts';
import type { Objective } from '../objective/Objective.ts';
import { restrictToBlocks } from '../directions/blockGroups.ts';
import { Norm, normalizeDirection, validateNorm, type Ignore } from '../directions/normalizeDirection.ts';
import { randomDirection, unitize } from '../directions/randomDirection.ts';
import type { Quantiles } from './summaries.ts';
// volumeItems.ts imports this module's helpers back: a cycle of function declarations only,
// safe in ESM (nothing is used at module evaluation).
import { assembleVolume, volumeItem, volumePlan, type VolumeItemRecord } from './volumeItems.ts';

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
export interface VolumeOptions {
  /** The loss increase that bounds the region, > 0. */
  delta: number;
  /** Number of random directions, integer >= 1. */
  directions: number;
  /** Direction scaling (default 'none': uniform on the unit sphere). */
  norm?: Norm;
  /** Block kinds left out of the directions (default none). */
  ignore?: readonly Ignore[];
  /** Radii are searched up to this; beyond, censored. Default 100. */
  maxRadius?: number;
  /** First radius tried, 0 < initialRadius (clamped to maxRadius). Default 0.01. */
  initialRadius?: number;
  /** Relative tolerance of the bisection, in (0, 1). Default 1e-3. */
  tolerance?: number;
  /** Bootstrap resamples, integer >= 1. Default 1000. */
  bootstrap?: number;
  /** Level of the bootstrap interval, in (0, 1). Default 0.95. */
  confidence?: number;
  /** Also estimate per layer (directions within one layer, d = that layer's size). */
  perLayer?: boolean;
  seed?: number;
  /** Called after each direction (over all groups). */
  onProgress?: (done: number, total: number) => void;
}

export const VOLUME_DEFAULTS = {
  maxRadius: 100,
  initialRadius: 0.01,
  tolerance: 1e-3,
  bootstrap: 1000,
  confidence: 0.95,
  seed: 0,
} as const;

export interface Censored {
  count: number;
  /** Indices (into radii) of the directions censored at maxRadius. */
  indices: number[];
}

export interface VolumeEstimate {
  /** Number of coordinates the directions move. */
  dimension: number;
  logVolume: number;
  logVolumeCI: [number, number];
  /** r(u_i), direction order. */
  radii: number[];
  censored: Censored;
  quantiles: Quantiles;
  /** exp(mean log r_i). */
  geometricMeanRadius: number;
  /** True when some radius is censored: logVolume is then a lower bound even for these directions. */
  lowerBound: boolean;
}

export interface LayerVolume extends VolumeEstimate {
  layer: string;
  /** Block indices of the layer. */
  blocks: number[];
}

export interface VolumeResult extends VolumeEstimate {
  delta: number;
  baseLoss: number;
  confidence: number;
  directions: number;
  tolerance: number;
  maxRadius: number;
  initialRadius: number;
  norm: Norm;
  ignore: Ignore[];
  bootstrap: number;
  seed: number;
  perLayer?: LayerVolume[];
  cost: { lossEvaluations: number };
}

/** VolumeOptions with every default filled in (validateVolumeOptions). */
export interface ValidatedVolume {
  delta: number;
  directions: number;
  norm: Norm;
  ignore: Ignore[];
  maxRadius: number;
  initialRadius: number;
  tolerance: number;
  bootstrap: number;
  confidence: number;
  perLayer: boolean;
  seed: number;
}

function positive(x: unknown, option: string): number {
  if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) {
    throw new UsageError(`volume: --${option} must be a positive number, got ${String(x)}`);
  }
  return x;
}

function integerAtLeast(x: unknown, option: 'directions' | 'bootstrap', min: number): number {
  return countOption('volume', option, x, min);
}

function inOpenUnit(x: unknown, option: string): number {
  if (typeof x !== 'number' || !(x > 0 && x < 1)) throw new UsageError(`volume: --${option} must be in (0, 1), got ${String(x)}`);
  return x;
}

export function validateVolumeOptions(opts: VolumeOptions): ValidatedVolume {
  const delta = positive(opts.delta, 'delta');
  const directions = integerAtLeast(opts.directions, 'directions', 1);
  const norm = validateNorm(opts.norm ?? Norm.none, 'volume');
  const ignore = [...(opts.ignore ?? [])];
  for (const k of ignore) if (k !== 'bias' && k !== 'bn') throw new UsageError(`volume: --ignore must be a list of bias, bn, got ${String(k)}`);
  const maxRadius = positive(opts.maxRadius ?? VOLUME_DEFAULTS.maxRadius, 'max-radius');
  const initialRadius = Math.min(positive(opts.initialRadius ?? VOLUME_DEFAULTS.initialRadius, 'initial-radius'), maxRadius);
  const tolerance = inOpenUnit(opts.tolerance ?? VOLUME_DEFAULTS.tolerance, 'tolerance');
  const bootstrap = integerAtLeast(opts.bootstrap ?? VOLUME_DEFAULTS.bootstrap, 'bootstrap', 1);
  const confidence = inOpenUnit(opts.confidence ?? VOLUME_DEFAULTS.confidence, 'confidence');
  const seed = validateSeed(opts.seed ?? VOLUME_DEFAULTS.seed, 'volume');
  return { delta, directions, norm, ignore, maxRadius, initialRadius, tolerance, bootstrap, confidence, perLayer: opts.perLayer ?? false, seed };
}

export interface RadiusSearch {
  initialRadius: number;
  maxRadius: number;
  tolerance: number;
}

export interface RadiusResult {
  radius: number;
  censored: boolean;
  /** Final bracket: L - L0 < delta at lo, >= delta (or not finite) at hi (hi = maxRadius when censored). */
  lo: number;
  hi: number;
  lossEvaluations: number;
}

/**
 * The radius r along u where L(w + r u) - baseLoss first reaches delta (see the notes on
 * flatVolume): doubling from initialRadius, censored at maxRadius, then bisection to the
 * relative tolerance.
 */
export function radiusAlong(
  objective: Objective,
  w: ParamVector,
  u: ParamVector,
  baseLoss: number,
  delta: number,
  search: RadiusSearch,
): RadiusResult {
  let evals = 0;
  const above = (r: number): boolean => {
    const x = pv.axpy(r, u, w);
    try {
      evals++;
      const l = objective.loss(x);
      return !(l - baseLoss < delta);
    } finally {
      pv.dispose(x);
    }
  };
  let lo = 0;
  let hi: number;
  let r = Math.min(search.initialRadius, search.maxRadius);
  if (above(r)) {
    hi = r;
    for (let k = 0; k < 64; k++) {
      r /= 2;
      if (above(r)) hi = r;
      else {
        lo = r;
        break;
      }
    }
  } else {
    lo = r;
    for (;;) {
      if (r >= search.maxRadius) return { radius: search.maxRadius, censored: true, lo, hi: search.maxRadius, lossEvaluations: evals };
      r = Math.min(2 * r, search.maxRadius);
      if (above(r)) {
        hi = r;
        break;
      }
      lo = r;
    }
  }
  while (hi - lo > search.tolerance * hi) {
    const m = 0.5 * (lo + hi);
    if (above(m)) hi = m;
    else lo = m;
  }
  return { radius: 0.5 * (lo + hi), censored: false, lo, hi, lossEvaluations: evals };
}

/** The random stream of direction i: of the whole model (group null) or of layer group k. */
export function volumeDirectionRng(seed: number, index: number, group: number | null = null): Rng {
  const root = createRng(seed);
  return group === null ? root.fork(0).fork(index) : root.fork(1).fork(group).fork(index);
}

export interface DirectionSpec {
  norm: Norm;
  ignore: readonly Ignore[];
  names: readonly string[];
  /** Blocks the direction may move (default all). */
  blocks?: readonly number[];
}

/**
 * A volume direction: Gaussian over all blocks (drawn in full, so the stream does not depend
 * on `blocks`), restricted to `blocks`, with ignored blocks zeroed; then scaled to unit length
 * (norm 'none') or filter/layer-normalised to w (not rescaled). Owned by the caller.
 */
export function volumeDirection(w: ParamVector, spec: DirectionSpec, rng: Rng): Tensor[] {
  const g = randomDirection(pv.shapesOf(w), rng);
  const restricted = spec.blocks ? restrictToBlocks(g, spec.blocks) : g;
  if (restricted !== g) pv.dispose(g);
  const normalized = normalizeDirection(restricted, w, { norm: spec.norm, ignore: spec.ignore, names: spec.names });
  pv.dispose(restricted);
  let out = normalized;
  if (spec.blocks && spec.norm !== Norm.none) {
    // filter / layer normalisation copies w into 1-D blocks: keep the restriction
    out = restrictToBlocks(normalized, spec.blocks);
    pv.dispose(normalized);
  }
  if (spec.norm !== Norm.none) return out;
  try {
    return unitize(out, 'volume');
  } finally {
    pv.dispose(out);
  }
}

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
