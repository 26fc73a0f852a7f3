/**
 * The ascent of one start over a box-shaped set (linf, adaptive linf, Keskar's box): in the
 * set's scaled coordinates z the set is the cube |z_i| <= r, and the maximum of a convex loss
 * over a cube is at a vertex. Three phases, all keeping the best point seen:
 *
 * 1. APGD (Croce & Hein 2020, Alg. 1) with sign-gradient steps: step size eta = 2r, momentum
 *    0.75 (x+ = P(x + 0.75 (P(x + eta sign g) - x) + 0.25 (x - x_prev))), and at the
 *    checkpoints (apgdCheckpoints: after 22%, 19%, 16%, ... of the steps, at least 6%) eta is
 *    halved and the iterate restarted from the best point when at most 75% of the steps since
 *    the last checkpoint raised the loss, or when the best loss did not improve since it and
 *    eta was not halved there. One gradient per step; `steps` steps.
 * 2. Vertex rounding: from the best point x with gradient g, the vertex v = r sign(g) (x_i
 *    kept where g_i = 0). For a convex loss L(v) >= L(x) + <g, v - x> >= L(x), so this never
 *    loses; repeated while it raises the loss (a fixed point is a vertex where every
 *    coordinate sits at the bound its gradient points to). One gradient per try.
 * 3. Greedy coordinate flips (a local search over vertices), when the dimension is at most
 *    FLIP_MAX_DIMENSION: sweep the coordinates, moving z_i to the opposite bound when that
 *    raises the loss, until a sweep changes nothing (at most MAX_FLIP_SWEEPS sweeps). For a
 *    convex loss a flip-local maximum is also a fixed point of phase 2. One loss evaluation
 *    per flip tried.
 * With steps = 0 only the starting point is evaluated. Trial points with a non-finite loss are
 * never kept.
 *
 * On a cube with at most ENUMERATE_MAX_DIMENSION movable coordinates the starts also share out
 * its 2^k vertices (bestVertexOfPart), so that together they evaluate every one: the exact
 * maximum when the loss is convex (then it is at a vertex), a lower bound like the rest else.
 */
import { tf, type Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';

/** APGD's momentum (Croce & Hein 2020). */
export const APGD_MOMENTUM = 0.75;
/** APGD's fraction of successful steps below which the step is halved at a checkpoint. */
export const APGD_RHO = 0.75;
/** Coordinate flips are tried when the set has at most this many coordinates. */
export const FLIP_MAX_DIMENSION = 64;
/** At most this many sweeps of coordinate flips. */
export const MAX_FLIP_SWEEPS = 8;
/** At most this many vertex-rounding steps. */
export const MAX_ROUNDING_STEPS = 50;

/** The loss and the gradient with respect to z (owned by the caller after the call). */
export interface EvaluatedZ {
  value: number;
  gz: Tensor[];
}

export interface AscentCounters {
  iterations: number;
  gradients: number;
  lossEvaluations: number;
}

/**
 * APGD's checkpoints for N steps, in the reference implementation's integers: the first after
 * max(floor(0.22 N), 1) steps, each next one max(previous interval - max(floor(0.03 N), 1),
 * max(floor(0.06 N), 1)) steps later (ascending, all <= N).
 */
export function apgdCheckpoints(steps: number): number[] {
  const decrease = Math.max(Math.floor(0.03 * steps), 1);
  const minimum = Math.max(Math.floor(0.06 * steps), 1);
  const out: number[] = [];
  for (let k = Math.max(Math.floor(0.22 * steps), 1), w = k; w <= steps; k = Math.max(k - decrease, minimum), w += k) out.push(w);
  return out;
}

const clip = (r: number, z: ParamVector): Tensor[] => tf.tidy(() => z.map((t) => tf.clipByValue(t, -r, r)));

/**
 * Maximises the loss over the cube |z_i| <= r from z0 (owned, consumed). `mask`, when given,
 * is 1 where a coordinate can move and 0 where its scale is 0 (flips skip those). Returns the
 * best loss and point (null and -Infinity when the start has no finite loss).
 */
export function ascendBox(
  evalZ: (z: ParamVector) => EvaluatedZ,
  lossZ: (z: ParamVector) => number,
  r: number,
  z0: Tensor[],
  steps: number,
  counters: AscentCounters,
  movable: Float32Array | null,
): { loss: number; z: Tensor[] | null } {
  let x = clip(r, z0);
  pv.dispose(z0);
  const first = evalZ(x);
  counters.gradients++;
  if (!Number.isFinite(first.value)) {
    pv.dispose(x, first.gz);
    return { loss: -Infinity, z: null };
  }
  // best point (owned) and its gradient (owned)
  let best = { value: first.value, z: pv.clone(x), gz: pv.clone(first.gz) };
  const setBest = (value: number, z: ParamVector, gz: ParamVector): void => {
    pv.dispose(best.z, best.gz);
    best = { value, z: pv.clone(z), gz: pv.clone(gz) };
  };

  // ---- 1. APGD ----
  let cur = first;
  let prev = pv.clone(x);
  let eta = 2 * r;
  const checkpoints = apgdCheckpoints(steps);
  let lastCheckpoint = 0;
  let successes = 0;
  let reducedAtLast = false;
  let bestAtLast = best.value;
  for (let k = 0; k < steps; k++) {
    const next = tf.tidy(() =>
      x.map((xi, i) => {
        const zi = tf.clipByValue(tf.add(xi, tf.mul(eta, tf.sign(cur.gz[i]!))), -r, r);
        const alpha = k === 0 ? 1 : APGD_MOMENTUM;
        const moved = tf.add(tf.add(xi, tf.mul(alpha, tf.sub(zi, xi))), tf.mul(1 - alpha, tf.sub(xi, prev[i]!)));
        return tf.clipByValue(moved, -r, r);
      }),
    );
    const ev = evalZ(next);
    counters.iterations++;
    counters.gradients++;
    pv.dispose(prev);
    prev = x;
    if (Number.isFinite(ev.value)) {
      if (ev.value > cur.value) successes++;
      pv.dispose(cur.gz);
      x = next;
      cur = ev;
      if (ev.value > best.value) setBest(ev.value, x, cur.gz);
    } else {
      // no candidate: back to the best point with a smaller step
      pv.dispose(next, ev.gz, cur.gz);
      x = pv.clone(best.z);
      cur = { value: best.value, gz: pv.clone(best.gz) };
      eta /= 2;
    }
    const step = k + 1;
    if (checkpoints.includes(step)) {
      const tooFew: boolean = successes <= APGD_RHO * (step - lastCheckpoint);
      const stalled: boolean = !reducedAtLast && bestAtLast >= best.value;
      reducedAtLast = tooFew || stalled;
      if (reducedAtLast) {
        eta /= 2;
        pv.dispose(x, prev, cur.gz);
        x = pv.clone(best.z);
        prev = pv.clone(best.z);
        cur = { value: best.value, gz: pv.clone(best.gz) };
      }
      lastCheckpoint = step;
      successes = 0;
      bestAtLast = best.value;
    }
  }
  pv.dispose(x, prev, cur.gz);
  if (steps === 0) {
    // only the starting point
    pv.dispose(best.gz);
    return { loss: best.value, z: best.z };
  }

  // ---- 2. vertex rounding ----
  for (let k = 0; k < MAX_ROUNDING_STEPS; k++) {
    const v = tf.tidy(() => best.z.map((zi, i) => tf.where(tf.equal(best.gz[i]!, 0), zi, tf.mul(r, tf.sign(best.gz[i]!)))));
    const same = tf.tidy(() => v.every((vi, i) => tf.all(tf.equal(vi, best.z[i]!)).dataSync()[0] === 1));
    if (same) {
      pv.dispose(v);
      break;
    }
    const ev = evalZ(v);
    counters.iterations++;
    counters.gradients++;
    const better = Number.isFinite(ev.value) && ev.value > best.value;
    if (better) setBest(ev.value, v, ev.gz);
    pv.dispose(v, ev.gz);
    if (!better) break;
  }

  // ---- 3. coordinate flips ----
  const shapes = pv.shapesOf(best.z);
  const d = pv.sizeOf(shapes);
  if (d <= FLIP_MAX_DIMENSION) {
    const z = pv.flatten(best.z);
    let value = best.value;
    let changed = false;
    for (let sweep = 0; sweep < MAX_FLIP_SWEEPS; sweep++) {
      let flipped = false;
      for (let i = 0; i < d; i++) {
        if (movable && movable[i] === 0) continue;
        const old = z[i]!;
        // to the opposite bound (an interior coordinate goes to the bound it is farther from)
        z[i] = old > 0 ? -r : r;
        const trial = pv.unflatten(z, shapes);
        const l = lossZ(trial);
        pv.dispose(trial);
        counters.iterations++;
        counters.lossEvaluations++;
        if (Number.isFinite(l) && l > value) {
          value = l;
          flipped = true;
          changed = true;
        } else {
          z[i] = old;
        }
      }
      if (!flipped) break;
    }
    if (changed) {
      pv.dispose(best.z);
      best.z = pv.unflatten(z, shapes);
      best.value = value;
    }
  }
  pv.dispose(best.gz);
  return { loss: best.value, z: best.z };
}

/** Every vertex is evaluated (split over the starts) when the cube has at most this many movable coordinates. */
export const ENUMERATE_MAX_DIMENSION = 12;

/**
 * The best of the vertices m = part, part + parts, part + 2 parts, ... (m < 2^k) of the cube
 * |z_i| <= r, with k the number of movable coordinates (bit j of m puts the j-th of them at +r,
 * else -r; the others at 0). One loss evaluation per vertex. Null z when none has a finite loss.
 */
export function bestVertexOfPart(
  lossZ: (z: ParamVector) => number,
  r: number,
  shapes: readonly (readonly number[])[],
  movable: Float32Array | null,
  part: number,
  parts: number,
  counters: AscentCounters,
): { loss: number; z: Tensor[] | null; count: number } {
  const d = pv.sizeOf(shapes);
  const idx: number[] = [];
  for (let i = 0; i < d; i++) if (!movable || movable[i] !== 0) idx.push(i);
  const total = 2 ** idx.length;
  const z = new Float32Array(d);
  let best = -Infinity;
  let bestM = -1;
  let count = 0;
  for (let m = part; m < total; m += parts) {
    idx.forEach((i, j) => (z[i] = Math.floor(m / 2 ** j) % 2 === 1 ? r : -r));
    const t = pv.unflatten(z, shapes);
    const l = lossZ(t);
    pv.dispose(t);
    count++;
    counters.lossEvaluations++;
    if (Number.isFinite(l) && l > best) {
      best = l;
      bestM = m;
    }
  }
  if (bestM < 0) return { loss: -Infinity, z: null, count };
  idx.forEach((i, j) => (z[i] = Math.floor(bestM / 2 ** j) % 2 === 1 ? r : -r));
  return { loss: best, z: pv.unflatten(z, shapes), count };
}

/** The number of vertices of the cube the starts enumerate together: 2^k for k movable coordinates when k <= ENUMERATE_MAX_DIMENSION, else 0. */
export function enumeratedVertexCount(dimension: number, movable: Float32Array | null): number {
  const k = movable ? movable.reduce((s, x) => s + (x === 0 ? 0 : 1), 0) : dimension;
  return k <= ENUMERATE_MAX_DIMENSION ? 2 ** k : 0;
}
