import { tf, type Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import type { Rng } from '../engine/rng.ts';
import { UsageError } from '../errors.ts';

/**
 * The neighbourhoods over which `ball` maximises L(w + e):
 * - `box` (Keskar et al. 2017): |e_i| <= r (|w_i| + 1);
 * - `l2` (SAM's rho): ||e||_2 <= r;
 * - `linf`: |e_i| <= r.
 * With `adaptive` (ASAM, Kwon et al. 2021; Andriushchenko et al. 2023) the l2 and linf sets
 * are scaled elementwise by |w_i| (+ eta): ||e / (|w| + eta)||_p <= r, which makes the
 * measure invariant to rescalings of the weights that leave the network's function unchanged
 * (with eta = 0, the default).
 *
 * Every set is written as e = t * z (elementwise) with z in the plain l2 or linf ball of
 * radius r, where t is 1 (plain), |w| + eta (adaptive) or |w| + 1 (box). The ascent runs in
 * z; the functions below are the same operations expressed on e.
 */
export const BallNorm = {
  box: 'box',
  l2: 'l2',
  linf: 'linf',
} as const;
export type BallNorm = (typeof BallNorm)[keyof typeof BallNorm];
export const BALL_NORMS: readonly BallNorm[] = Object.values(BallNorm);
export function isBallNorm(x: unknown): x is BallNorm {
  return typeof x === 'string' && (BALL_NORMS as readonly string[]).includes(x);
}

/** The norm z is bounded in. */
export type BaseNorm = 'l2' | 'linf';

export interface PerturbationSetOptions {
  adaptive?: boolean;
  /** Added to |w_i| in the adaptive scale (ASAM's eta); default 0. */
  eta?: number;
}

export interface PerturbationSet {
  readonly norm: BallNorm;
  readonly adaptive: boolean;
  readonly eta: number;
  readonly base: BaseNorm;
  readonly shapes: readonly (readonly number[])[];
  /** Number of coordinates. */
  readonly dimension: number;
  /** The elementwise scale t, or null when it is 1 everywhere. Owned by the set. */
  readonly scale: readonly Tensor[] | null;
  dispose(): void;
}

/** The set of a norm around weights w (w is read, not kept). */
export function createPerturbationSet(norm: BallNorm, w: ParamVector, opts: PerturbationSetOptions = {}): PerturbationSet {
  if (!isBallNorm(norm)) throw new UsageError(`ball: --norm must be one of ${BALL_NORMS.join(', ')}, got ${String(norm)}`);
  const adaptive = opts.adaptive ?? false;
  const eta = opts.eta ?? 0;
  if (!Number.isFinite(eta) || eta < 0) throw new UsageError(`ball: --eta must be a finite number >= 0, got ${eta}`);
  if (adaptive && norm === BallNorm.box) {
    throw new UsageError('ball: --adaptive applies to --norm l2 and linf, not box (the box is already scaled by |w_i| + 1)');
  }
  let scale: Tensor[] | null = null;
  if (norm === BallNorm.box) scale = tf.tidy(() => w.map((x) => tf.add(tf.abs(x), 1)));
  else if (adaptive) scale = tf.tidy(() => w.map((x) => (eta > 0 ? tf.add(tf.abs(x), eta) : tf.abs(x))));
  const shapes = pv.shapesOf(w);
  return {
    norm,
    adaptive,
    eta,
    base: norm === BallNorm.l2 ? 'l2' : 'linf',
    shapes,
    dimension: pv.sizeOf(shapes),
    scale,
    dispose() {
      if (scale) pv.dispose(scale);
    },
  };
}

// ---- z coordinates (the plain ball) -------------------------------------------------

/** ||z||_2 or max |z_i|. */
export function baseNorm(base: BaseNorm, z: ParamVector): number {
  if (base === 'l2') return pv.norm(z);
  let m = 0;
  for (const t of z) {
    const a = tf.tidy(() => tf.max(tf.abs(t)));
    m = Math.max(m, a.dataSync()[0]!);
    a.dispose();
  }
  return m;
}

/** Euclidean projection onto the plain ball of radius r: radial for l2, clipping for linf. */
export function projectBase(base: BaseNorm, r: number, z: ParamVector): Tensor[] {
  if (base === 'linf') return tf.tidy(() => z.map((t) => tf.clipByValue(t, -r, r)));
  const n = pv.norm(z);
  return n > r ? pv.scale(r / n, z) : pv.clone(z);
}

/**
 * The unit-size steepest-ascent direction for a gradient gz in z: gz / ||gz||_2 (l2) or
 * sign(gz) (linf), so that r times it is the maximiser of <gz, z> over the ball (SAM's step).
 * Null when gz is zero or not finite.
 */
export function ascentDirection(base: BaseNorm, gz: ParamVector): Tensor[] | null {
  const n = pv.norm(gz);
  if (!(n > 0) || !Number.isFinite(n)) return null;
  if (base === 'l2') return pv.scale(1 / n, gz);
  return tf.tidy(() => gz.map((t) => tf.sign(t)));
}

/**
 * A uniform random point of the plain ball of radius r: for l2, a Gaussian direction times
 * r U^(1/d) (d normals drawn first, then U); for linf, r (2 U_i - 1). Drawn in JS from rng.
 * For fixed rng state the point is r times a fixed unit-ball point, so every radius of a run
 * sees the same points scaled (common random numbers). E[z z'] = r^2 / (d + 2) I for l2 and
 * r^2 / 3 I for linf.
 */
export function randomBasePoint(base: BaseNorm, r: number, shapes: readonly (readonly number[])[], rng: Rng): Tensor[] {
  const d = pv.sizeOf(shapes);
  const out = new Float64Array(d);
  if (base === 'l2') {
    let ss = 0;
    for (let i = 0; i < d; i++) {
      out[i] = rng.normal();
      ss += out[i]! * out[i]!;
    }
    const s = (r * Math.pow(rng.uniform(), 1 / d)) / Math.sqrt(ss);
    for (let i = 0; i < d; i++) out[i]! *= s;
  } else {
    for (let i = 0; i < d; i++) out[i] = r * (2 * rng.uniform() - 1);
  }
  return pv.unflatten(out, shapes);
}

/** e = t * z. */
export function toPerturbation(set: PerturbationSet, z: ParamVector): Tensor[] {
  const t = set.scale;
  return t ? tf.tidy(() => z.map((x, i) => tf.mul(x, t[i]!))) : pv.clone(z);
}

/** The gradient with respect to z of L(w + t z): t * g. */
export function toScaledGradient(set: PerturbationSet, g: ParamVector): Tensor[] {
  return toPerturbation(set, g);
}

/** z = e / t, with 0 where t_i = 0 (such coordinates cannot move). */
function toBase(set: PerturbationSet, e: ParamVector): Tensor[] {
  const t = set.scale;
  return t ? tf.tidy(() => e.map((x, i) => tf.divNoNan(x, t[i]!))) : pv.clone(e);
}

// ---- e coordinates --------------------------------------------------------------------

function checkRadius(r: number, where: string): void {
  if (!(r > 0) || !Number.isFinite(r)) throw new UsageError(`${where}: radius must be a positive number, got ${r}`);
}

/**
 * The set's own norm of e: ||e / t||_p (the set is {e : setNorm(e) <= r}). Infinity when e
 * moves a coordinate whose scale is 0.
 */
export function setNorm(set: PerturbationSet, e: ParamVector): number {
  if (set.scale) {
    const t = set.scale;
    let stuck = false;
    for (let i = 0; i < e.length; i++) {
      const s = tf.tidy(() => tf.sum(tf.mul(tf.cast(tf.equal(t[i]!, 0), 'float32'), tf.abs(e[i]!))));
      stuck ||= s.dataSync()[0]! > 0;
      s.dispose();
    }
    if (stuck) return Infinity;
  }
  const z = toBase(set, e);
  try {
    return baseNorm(set.base, z);
  } finally {
    pv.dispose(z);
  }
}

/**
 * A point of the radius-r set near e: the Euclidean projection for l2, linf, box and
 * adaptive linf (clipping); for adaptive l2, the radial retraction in scaled coordinates
 * (e = t z with z pulled back to ||z|| <= r), which is feasible but not the Euclidean
 * projection onto the ellipsoid. Coordinates whose scale is 0 are set to 0.
 */
export function projectToSet(set: PerturbationSet, r: number, e: ParamVector): Tensor[] {
  checkRadius(r, 'projectToSet');
  const z = toBase(set, e);
  const p = projectBase(set.base, r, z);
  const out = toPerturbation(set, p);
  pv.dispose(z, p);
  return out;
}

/** A uniform random point of the radius-r set (the linear image t * z of a uniform z). */
export function randomPointInSet(set: PerturbationSet, r: number, rng: Rng): Tensor[] {
  checkRadius(r, 'randomPointInSet');
  const z = randomBasePoint(set.base, r, set.shapes, rng);
  const out = toPerturbation(set, z);
  pv.dispose(z);
  return out;
}

/**
 * argmax of <g, e> over the radius-r set (SAM's first-order step): r t^2 g / ||t g||_2 for
 * l2 sets, r t sign(g) for linf and box. Zero when g is zero.
 */
export function steepestAscent(set: PerturbationSet, r: number, g: ParamVector): Tensor[] {
  checkRadius(r, 'steepestAscent');
  const gz = toScaledGradient(set, g);
  const dir = ascentDirection(set.base, gz);
  pv.dispose(gz);
  if (!dir) return pv.zerosLike(g);
  const z = pv.scale(r, dir);
  const out = toPerturbation(set, z);
  pv.dispose(dir, z);
  return out;
}
