/**
 * Ball sharpness (see ballSharpness.ts) as independent items, so that one measurement can be
 * split into shards, across worker threads and over interruptions and still give the same
 * numbers:
 * - for each radius k (in order), its restarts + 1 ascent starts (start 0 the SAM start from
 *   the gradient at w, start i >= 1 random restart i, drawn from rng(seed).fork(1).fork(i)),
 *   then its samples in batches of SAMPLES_PER_ITEM (sample j drawn from
 *   rng(seed).fork(2).fork(j), whatever batch it falls in);
 * - what every item shares (w, the loss and the gradient at w) is the context, built once per
 *   process by createBallContext; an item's record is JSON-safe;
 * - assembleBall turns the records back into the BallResult.
 */
import { tf, type Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import { createRng } from '../engine/rng.ts';
import { InputError, NumericError, UsageError } from '../errors.ts';
import type { Objective } from '../objective/Objective.ts';
import type { BallPoint, BallResult } from '../results/ballDocument.ts';
import {
  ascentDirection,
  baseNorm,
  createPerturbationSet,
  projectBase,
  randomBasePoint,
  toPerturbation,
  toScaledGradient,
  type PerturbationSet,
} from './perturbationSet.ts';
import { ascendBox, bestVertexOfPart, enumeratedVertexCount, FLIP_MAX_DIMENSION } from './boxAscent.ts';
import { meanAndStderr } from './summaries.ts';
import { validateBallOptions, type BallOptions, type ValidatedBallOptions } from './validateBallOptions.ts';

/** Random points of the set evaluated by one item (one loss evaluation each). */
export const SAMPLES_PER_ITEM = 8;

/** What item i computes. */
export type BallItem =
  | { kind: 'start'; radiusIndex: number; start: number }
  | { kind: 'samples'; radiusIndex: number; first: number; count: number };

export interface BallPlan {
  readonly options: ValidatedBallOptions;
  /** restarts + 1 starts, then ceil(samples / SAMPLES_PER_ITEM) sample batches. */
  readonly itemsPerRadius: number;
  readonly itemCount: number;
  /** Item i (0 <= i < itemCount). */
  item(i: number): BallItem;
  /** Whether item i is the last one of its radius. */
  endsRadius(i: number): boolean;
}

/** The items of a ball measurement (validates the options). */
export function ballPlan(options: BallOptions): BallPlan {
  const o = validateBallOptions(options);
  const starts = o.restarts + 1;
  const itemsPerRadius = starts + Math.ceil(o.samples / SAMPLES_PER_ITEM);
  const itemCount = itemsPerRadius * o.radii.length;
  return {
    options: o,
    itemsPerRadius,
    itemCount,
    item(i) {
      if (!Number.isInteger(i) || i < 0 || i >= itemCount) throw new UsageError(`ball: item must be an integer in [0, ${itemCount - 1}], got ${String(i)}`);
      const radiusIndex = Math.floor(i / itemsPerRadius);
      const m = i % itemsPerRadius;
      if (m < starts) return { kind: 'start', radiusIndex, start: m };
      const first = (m - starts) * SAMPLES_PER_ITEM;
      return { kind: 'samples', radiusIndex, first, count: Math.min(SAMPLES_PER_ITEM, o.samples - first) };
    },
    endsRadius(i) {
      return i % itemsPerRadius === itemsPerRadius - 1;
    },
  };
}

/** One ascent start of one radius. */
export interface BallStartRecord {
  kind: 'start';
  radiusIndex: number;
  start: number;
  /** The loss at w (the same in every record of a measurement). */
  baseLoss: number;
  /** The best loss this start reached; null when its starting point has no finite loss. */
  loss: number | null;
  /** ||e||_2 of its best perturbation (0 when loss is null). */
  perturbationNorm: number;
  /** The set's own norm of it. */
  perturbationSetNorm: number;
  /** Ascent steps tried. */
  iterations: number;
  /** Gradients evaluated (at perturbed points). */
  gradients: number;
  /** Loss evaluations (one per step tried). */
  lossEvaluations: number;
  /** The best loss of the ascent alone (loss also counts the vertices this start enumerated); null when not finite. */
  ascentLoss: number | null;
  /** Vertices of the set this start evaluated (box-shaped sets with few coordinates; else 0). */
  vertices: number;
  /** How many vertices the starts of this radius enumerate together (2^k, or 0 when they do not). */
  vertexTotal: number;
}

/** A batch of random points of one radius's set. */
export interface BallSamplesRecord {
  kind: 'samples';
  radiusIndex: number;
  /** Index of the first sample; the batch holds samples first .. first + losses.length - 1. */
  first: number;
  baseLoss: number;
  losses: number[];
}

export type BallRecord = BallStartRecord | BallSamplesRecord;

/** What every item of a measurement shares; built once per process. */
export interface BallContext {
  readonly norm: ValidatedBallOptions['norm'];
  readonly adaptive: boolean;
  readonly eta: number;
  /** The objective's params (not owned). */
  readonly w: ParamVector;
  /** The loss at w. */
  readonly baseLoss: number;
  readonly set: PerturbationSet;
  /** The unit steepest-ascent direction in z from the gradient at w (SAM's); null when that gradient is zero. Owned. */
  readonly samDirection: Tensor[] | null;
  dispose(): void;
}

/** Evaluates the loss and gradient at w (one gradient) and the SAM direction. */
export function createBallContext(objective: Objective, options: BallOptions): BallContext {
  const o = validateBallOptions(options);
  const w = objective.params;
  const set = createPerturbationSet(o.norm, w, { adaptive: o.adaptive, eta: o.eta });
  let samDirection: Tensor[] | null;
  let baseLoss: number;
  try {
    const at0 = objective.grad(w);
    baseLoss = at0.value;
    if (!Number.isFinite(baseLoss)) {
      pv.dispose(at0.grad);
      throw new NumericError(`ball: the loss at w is ${baseLoss}`);
    }
    const gz0 = toScaledGradient(set, at0.grad);
    pv.dispose(at0.grad);
    samDirection = ascentDirection(set.base, gz0);
    pv.dispose(gz0);
  } catch (e) {
    set.dispose();
    throw e;
  }
  return {
    norm: o.norm,
    adaptive: o.adaptive,
    eta: o.eta,
    w,
    baseLoss,
    set,
    samDirection,
    dispose() {
      pv.dispose(samDirection ?? undefined);
      set.dispose();
    },
  };
}

// Step-size control, in units of the radius: start at half the radius, grow by 3/2 after a
// step that raised the loss (up to the set's diameter), halve after one that did not; a
// start ends after `steps` tries or when the step falls below MIN_STEP.
const INITIAL_STEP = 0.5;
const GROW = 1.5;
const MAX_STEP = 2;
const MIN_STEP = 1e-4;

interface Evaluated {
  value: number;
  grad: Tensor[];
}

interface Counters {
  iterations: number;
  gradients: number;
  lossEvaluations: number;
}

/**
 * Projected gradient ascent in the set's scaled coordinates z (e = t z), from `z0` (owned,
 * consumed): normalised steepest-ascent steps of size `step * r`, projected back onto the
 * ball; a step is kept only when it raises the loss. Returns the best point seen (null and
 * -Infinity when the start has no finite loss).
 */
function ascend(
  evalAt: (z: ParamVector) => Evaluated,
  lossAt: (z: ParamVector) => number,
  set: PerturbationSet,
  r: number,
  z0: Tensor[],
  steps: number,
  counters: Counters,
): { loss: number; z: Tensor[] | null } {
  let z = projectBase(set.base, r, z0);
  pv.dispose(z0);
  let cur = evalAt(z);
  counters.gradients++;
  if (!Number.isFinite(cur.value)) {
    // A start where the loss is not finite is no candidate; nothing to ascend from.
    pv.dispose(z, cur.grad);
    return { loss: -Infinity, z: null };
  }
  let step = INITIAL_STEP;
  for (let k = 0; k < steps && step >= MIN_STEP; k++) {
    const gz = toScaledGradient(set, cur.grad);
    const dir = ascentDirection(set.base, gz);
    pv.dispose(gz);
    if (!dir) break; // stationary
    const moved = pv.axpy(step * r, dir, z);
    const trialZ = projectBase(set.base, r, moved);
    pv.dispose(dir, moved);
    // The trial is judged by its loss alone (a model's loss costs a fraction of its
    // gradient); the gradient is taken only where the step is kept.
    const value = lossAt(trialZ);
    counters.iterations++;
    counters.lossEvaluations++;
    if (Number.isFinite(value) && value > cur.value) {
      const next = evalAt(trialZ);
      counters.gradients++;
      pv.dispose(z, cur.grad);
      z = trialZ;
      cur = next;
      step = Math.min(MAX_STEP, step * GROW);
    } else {
      pv.dispose(trialZ);
      step /= 2;
    }
  }
  pv.dispose(cur.grad);
  return { loss: cur.value, z };
}

/** 1 where a coordinate of z moves e, 0 where its scale is 0; null when all move. */
function movableCoordinates(set: PerturbationSet): Float32Array | null {
  if (!set.scale) return null;
  return pv.flatten(set.scale).map((t) => (t === 0 ? 0 : 1));
}

/** Computes item i (see ballPlan) with the context of this objective and options. */
export function ballItem(objective: Objective, context: BallContext, options: BallOptions, i: number): BallRecord {
  const plan = ballPlan(options);
  const o = plan.options;
  if (context.norm !== o.norm || context.adaptive !== o.adaptive || context.eta !== o.eta || context.w !== objective.params) {
    throw new UsageError('ball: the context was built for another objective or other --norm / --adaptive / --eta options');
  }
  const item = plan.item(i);
  const r = o.radii[item.radiusIndex]!;
  const { set, w } = context;
  const lossAt = (z: ParamVector): number => {
    const e = toPerturbation(set, z);
    const x = pv.add(w, e);
    try {
      return objective.loss(x);
    } finally {
      pv.dispose(e, x);
    }
  };

  if (item.kind === 'samples') {
    const sampleRng = createRng(o.seed).fork(2);
    const losses: number[] = [];
    for (let j = item.first; j < item.first + item.count; j++) {
      const z = randomBasePoint(set.base, r, set.shapes, sampleRng.fork(j));
      const l = lossAt(z);
      pv.dispose(z);
      if (!Number.isFinite(l)) throw new NumericError(`ball: the loss at random point ${j} of the radius-${r} set is ${l}`);
      losses.push(l);
    }
    return { kind: 'samples', radiusIndex: item.radiusIndex, first: item.first, baseLoss: context.baseLoss, losses };
  }

  const evalAt = (z: ParamVector): Evaluated => {
    const e = toPerturbation(set, z);
    const x = pv.add(w, e);
    try {
      return objective.grad(x);
    } finally {
      pv.dispose(e, x);
    }
  };
  const counters: Counters = { iterations: 0, gradients: 0, lossEvaluations: 0 };
  let z0: Tensor[];
  if (item.start === 0 && context.samDirection) z0 = pv.scale(r, context.samDirection);
  else {
    const random = randomBasePoint(set.base, r, set.shapes, createRng(o.seed).fork(1).fork(item.start));
    // On a box-shaped set the random starts are vertices (the sign of a uniform point): a
    // convex loss has its maximum at one.
    z0 = set.base === 'linf' ? tf.tidy(() => random.map((t) => tf.mul(r, tf.sign(t)))) : random;
    if (z0 !== random) pv.dispose(random);
  }
  // Which coordinates move (read back only for sets small enough for flips and vertices).
  const movable = set.base === 'linf' && set.dimension <= FLIP_MAX_DIMENSION ? movableCoordinates(set) : null;
  const s =
    set.base === 'linf'
      ? ascendBox(
          (z) => {
            const { value, grad } = evalAt(z);
            const gz = toScaledGradient(set, grad);
            pv.dispose(grad);
            return { value, gz };
          },
          lossAt,
          r,
          z0,
          o.steps,
          counters,
          movable,
        )
      : ascend(evalAt, lossAt, set, r, z0, o.steps, counters);
  const ascentLoss = Number.isFinite(s.loss) ? s.loss : null;
  // Box-shaped sets with few coordinates: this start's share of the vertices.
  const vertexTotal = set.base === 'linf' && o.steps > 0 ? enumeratedVertexCount(set.dimension, movable) : 0;
  let vertices = 0;
  if (vertexTotal > 0) {
    const v = bestVertexOfPart(lossAt, r, set.shapes, movable, item.start, o.restarts + 1, counters);
    vertices = v.count;
    if (v.z && v.loss > s.loss) {
      pv.dispose(s.z ?? undefined);
      s.z = v.z;
      s.loss = v.loss;
    } else pv.dispose(v.z ?? undefined);
  }
  let loss: number | null = null;
  let perturbationNorm = 0;
  let perturbationSetNorm = 0;
  if (s.z) {
    // A start whose best loss is not finite is never the maximiser (see assembleBall).
    if (Number.isFinite(s.loss)) {
      loss = s.loss;
      const e = toPerturbation(set, s.z);
      perturbationNorm = pv.norm(e);
      perturbationSetNorm = baseNorm(set.base, s.z);
      pv.dispose(e);
    }
    pv.dispose(s.z);
  }
  return {
    kind: 'start',
    radiusIndex: item.radiusIndex,
    start: item.start,
    baseLoss: context.baseLoss,
    loss,
    perturbationNorm,
    perturbationSetNorm,
    ...counters,
    ascentLoss,
    vertices,
    vertexTotal,
  };
}

// ---- records read back (progress files, shards) ----------------------------------------

function isRecordObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/**
 * Checks the shape of a record read back from a file (its place in the plan is checked by
 * assembleBall); throws an InputError naming `where` and the item.
 */
export function checkBallRecord(value: unknown, i: number, where: string): BallRecord {
  const bad = (what: string): never => {
    throw new InputError(`${where}: ball item ${i} is not a valid record (${what})`);
  };
  if (!isRecordObject(value)) return bad('not an object');
  if (!isCount(value.radiusIndex)) bad('radiusIndex must be an integer >= 0');
  if (!isFiniteNumber(value.baseLoss)) bad('baseLoss must be a finite number');
  if (value.kind === 'start') {
    if (!isCount(value.start)) bad('start must be an integer >= 0');
    if (value.loss !== null && !isFiniteNumber(value.loss)) bad('loss must be a finite number or null');
    for (const k of ['perturbationNorm', 'perturbationSetNorm'] as const) {
      if (!isFiniteNumber(value[k]) || (value[k] as number) < 0) bad(`${k} must be a finite number >= 0`);
    }
    for (const k of ['iterations', 'gradients', 'lossEvaluations', 'vertices', 'vertexTotal'] as const) if (!isCount(value[k])) bad(`${k} must be an integer >= 0`);
    if (value.ascentLoss !== null && !isFiniteNumber(value.ascentLoss)) bad('ascentLoss must be a finite number or null');
    const { kind, radiusIndex, start, baseLoss, loss, perturbationNorm, perturbationSetNorm, iterations, gradients, lossEvaluations, ascentLoss, vertices, vertexTotal } = value;
    return { kind, radiusIndex, start, baseLoss, loss, perturbationNorm, perturbationSetNorm, iterations, gradients, lossEvaluations, ascentLoss, vertices, vertexTotal } as BallStartRecord;
  }
  if (value.kind === 'samples') {
    if (!isCount(value.first)) bad('first must be an integer >= 0');
    if (!Array.isArray(value.losses) || !value.losses.every(isFiniteNumber)) bad('losses must be finite numbers');
    const { kind, radiusIndex, first, baseLoss, losses } = value;
    return { kind, radiusIndex, first, baseLoss, losses: [...(losses as number[])] } as BallSamplesRecord;
  }
  return bad(`kind must be 'start' or 'samples', got ${JSON.stringify(value.kind) ?? String(value.kind)}`);
}

// ---- assembling -------------------------------------------------------------------------

/**
 * The best two starts agree when their losses differ by at most this fraction of the
 * sharpness (maxLoss - baseLoss), or by at most 1e-6 (1 + |baseLoss|) (float32 noise).
 */
export const CONVERGENCE_MARGIN = 0.01;

/**
 * The spread of the starts' ascent losses (max - min over the finite ones), the gap between
 * the best two, and whether they agree within CONVERGENCE_MARGIN (null values and false with
 * fewer than two finite starts).
 */
export function startAgreement(startLosses: readonly (number | null)[], baseLoss: number, sharpness: number): { spread: number | null; gap: number | null; agree: boolean } {
  const finite = startLosses.filter((l): l is number => l !== null).sort((a, b) => b - a);
  if (finite.length < 2) return { spread: null, gap: null, agree: false };
  const gap = finite[0]! - finite[1]!;
  const margin = Math.max(CONVERGENCE_MARGIN * Math.max(sharpness, 0), 1e-6 * (1 + Math.abs(baseLoss)));
  return { spread: finite[0]! - finite[finite.length - 1]!, gap, agree: gap <= margin };
}

/**
 * Pure: the BallResult from the loss at w and every item's record, in item order. The
 * maximiser of a radius is the first start (in start order) whose loss beats every earlier
 * candidate, the centre (baseLoss) first. Cost: one gradient at w plus what the items spent.
 */
export function assembleBall(options: BallOptions, baseLoss: number, records: readonly BallRecord[]): BallResult {
  const plan = ballPlan(options);
  const o = plan.options;
  if (records.length !== plan.itemCount) {
    throw new InputError(`ball: ${plan.itemCount} item records expected for these options, got ${records.length}`);
  }
  if (!Number.isFinite(baseLoss)) throw new InputError(`ball: the loss at w must be a finite number, got ${baseLoss}`);
  records.forEach((rec, i) => {
    const item = plan.item(i);
    const mismatch = (what: string): never => {
      throw new InputError(`ball: the record of item ${i} does not belong to this measurement (${what})`);
    };
    if (rec.baseLoss !== baseLoss) mismatch(`baseLoss ${rec.baseLoss}, expected ${baseLoss}`);
    if (rec.kind !== item.kind || rec.radiusIndex !== item.radiusIndex) mismatch(`${rec.kind} of radius ${rec.radiusIndex}, expected ${item.kind} of radius ${item.radiusIndex}`);
    if (rec.kind === 'start' && item.kind === 'start' && rec.start !== item.start) mismatch(`start ${rec.start}, expected ${item.start}`);
    if (rec.kind === 'samples' && item.kind === 'samples' && (rec.first !== item.first || rec.losses.length !== item.count)) {
      mismatch(`samples ${rec.first}+${rec.losses.length}, expected ${item.first}+${item.count}`);
    }
  });

  const points: BallPoint[] = o.radii.map((r, k) => {
    const mine = records.slice(k * plan.itemsPerRadius, (k + 1) * plan.itemsPerRadius);
    let maxLoss = baseLoss;
    let bestRestart: number | null = null;
    let perturbationNorm = 0;
    let perturbationSetNorm = 0;
    let iterations = 0;
    let gradients = 0;
    let lossEvaluations = 0;
    const losses: number[] = [];
    const startLosses: (number | null)[] = [];
    let vertices = 0;
    let vertexTotal = 0;
    for (const rec of mine) {
      if (rec.kind === 'samples') {
        losses.push(...rec.losses);
        continue;
      }
      startLosses.push(rec.ascentLoss);
      vertices += rec.vertices;
      vertexTotal = rec.vertexTotal;
      iterations += rec.iterations;
      gradients += rec.gradients;
      lossEvaluations += rec.lossEvaluations;
      if (rec.loss !== null && rec.loss > maxLoss) {
        maxLoss = rec.loss;
        bestRestart = rec.start;
        perturbationNorm = rec.perturbationNorm;
        perturbationSetNorm = rec.perturbationSetNorm;
      }
    }
    const avg = meanAndStderr(losses);
    const sharpness = maxLoss - baseLoss;
    const agreement = startAgreement(startLosses, baseLoss, sharpness);
    const exhaustive = vertexTotal > 0 && vertices === vertexTotal;
    return {
      radius: r,
      maxLoss,
      sharpness,
      keskar: (100 * sharpness) / (1 + baseLoss),
      averageLoss: o.samples > 0 ? avg.mean : null,
      averageStderr: avg.stderr,
      samples: o.samples,
      perturbationNorm,
      perturbationSetNorm,
      iterations,
      gradients,
      lossEvaluations: lossEvaluations + o.samples,
      restarts: o.restarts,
      bestRestart,
      startLosses,
      spread: agreement.spread,
      runnerUpGap: agreement.gap,
      verticesEvaluated: vertices,
      allVertices: exhaustive,
      converged: exhaustive || agreement.agree,
    };
  });
  return {
    baseLoss,
    norm: o.norm,
    adaptive: o.adaptive,
    eta: o.eta,
    steps: o.steps,
    restarts: o.restarts,
    samples: o.samples,
    convergenceMargin: CONVERGENCE_MARGIN,
    points,
    seed: o.seed,
    cost: {
      lossEvaluations: points.reduce((s, p) => s + p.lossEvaluations, 0),
      gradients: 1 + points.reduce((s, p) => s + p.gradients, 0),
    },
  };
}
