/**
 * The options, validation, radius search and directions of the flat-volume estimate (see
 * flatVolume.ts for what it estimates), used by flatVolume.ts and by its items
 * (volumeItems.ts) alike.
 */
import type { Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import { createRng, validateSeed, type Rng, DEFAULT_SEED } from '../engine/rng.ts';
import { UsageError } from '../errors.ts';
import { countOption } from '../limits.ts';
import type { Objective } from '../objective/Objective.ts';
import { restrictToBlocks } from '../directions/blockGroups.ts';
import { Norm, normalizeDirection, validateNorm, type Ignore } from '../directions/normalizeDirection.ts';
import { randomDirection, unitize } from '../directions/randomDirection.ts';

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
  seed: DEFAULT_SEED,
} as const;

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
